"""Content gaps: the user messages the bot had no good answer for, and their groups.

A gap points at the stored user message rather than copying its text: the stored
text is the guard's redacted copy, a later redaction (a phrase sent in pieces) reaches
the gap too, and erasing a user's messages erases their gaps (``ON DELETE CASCADE``).
One gap per message. A *group* is what the Gaps page showed: the gaps it held when it
was grouped (``members``), so acting on it later acts on exactly what was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from common.clock import utcnow
from store.errors import NotFound
from store.models import Base, Message, UtcDateTime
from store.outcomes import TurnOutcome

# miss and suggest: no article fitted (suggest offered the nearest as buttons); clarify:
# "did you mean…"; escalation: handed to a human because the bot had no answer;
# low_csat: rated 1-2 after the bot had answered (docs/desk-api.md, "Content gaps").
KINDS = ("miss", "suggest", "clarify", "escalation", "low_csat")
TURN_KINDS = ("miss", "suggest", "clarify")  # a turn outcome that is a gap by itself
# An escalation names the miss that led to it when that miss is this recent.
ESCALATION_WINDOW = timedelta(hours=1)


class GapEntry(Base):
    __tablename__ = "gaps_entries"

    id = Column(Integer, primary_key=True)
    message_id = Column(
        Integer, ForeignKey("handoff_messages.id", ondelete="CASCADE"), nullable=False
    )
    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind = Column(String(12), nullable=False)
    language = Column(String(5), nullable=False)
    channel = Column(String(30), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    dismissed_at = Column(UtcDateTime(), nullable=True)
    # The article this message was added to as an example question.
    article_id = Column(String(100), nullable=True)

    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="gap_kind"),
        Index("ux_gaps_entries_message", "message_id", unique=True),
        Index("ix_gaps_entries_created", "created_at"),
        Index("ix_gaps_entries_conversation", "conversation_id", "created_at"),
    )


class GapGroup(Base):
    __tablename__ = "gaps_groups"

    id = Column(Integer, primary_key=True)
    # What was grouped: the period and the gaps in it (a page reloaded with nothing
    # new reuses the groups instead of grouping again).
    fingerprint = Column(String(64), nullable=False)
    members = Column(JSON, nullable=False)  # gap ids, the group's order
    size = Column(Integer, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    dismissed_at = Column(UtcDateTime(), nullable=True)
    dismissed_by = Column(String(100), nullable=True)

    __table_args__ = (Index("ix_gaps_groups_fingerprint", "fingerprint", "created_at"),)


@dataclass(frozen=True)
class Gap:
    id: int
    message_id: int
    conversation_id: str
    text: str  # the stored, redacted text
    kind: str
    language: str
    channel: str
    created_at: datetime
    article_id: str | None


def record(
    db: Session,
    message_id: int,
    conversation_id: str,
    kind: str,
    language: str,
    channel: str,
    now: datetime,
) -> None:
    """A gap for the message, unless it is one already (its first kind stays)."""
    if kind not in KINDS:
        raise ValueError(f"unknown gap kind {kind!r}")
    if db.execute(select(GapEntry.id).where(GapEntry.message_id == message_id)).first():
        return
    db.add(
        GapEntry(
            message_id=message_id,
            conversation_id=conversation_id,
            kind=kind,
            language=language,
            channel=channel,
            created_at=now,
        )
    )
    db.flush()


def escalated(db: Session, conversation_id: str, now: datetime) -> bool:
    """Mark the conversation's latest recent miss as the one a human was called for;
    False when there is none (the caller records the escalating message itself)."""
    latest = db.execute(
        select(GapEntry)
        .where(
            GapEntry.conversation_id == conversation_id,
            GapEntry.kind.in_(TURN_KINDS),
            GapEntry.created_at >= now - ESCALATION_WINDOW,
        )
        .order_by(GapEntry.created_at.desc(), GapEntry.id.desc())
        .limit(1)
    ).scalar()
    if latest is None:
        return False
    latest.kind = "escalation"
    return True


def last_answered(db: Session, conversation_id: str, before: datetime) -> Message | None:
    """The user message the bot last answered with an article before *before*."""
    answered = db.execute(
        select(TurnOutcome.created_at)
        .where(
            TurnOutcome.conversation_id == conversation_id,
            TurnOutcome.outcome == "answer",
            TurnOutcome.created_at <= before,
        )
        .order_by(TurnOutcome.created_at.desc())
        .limit(1)
    ).scalar()
    if answered is None:
        return None
    found: Message | None = db.execute(
        select(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.author == "user",
            Message.kind == "message",
            Message.created_at <= answered,
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    ).scalar()
    return found


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """Ids a few hundred at a time: SQLite limits the parameters of one statement."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _gap(entry: GapEntry, text: str) -> Gap:
    return Gap(
        id=entry.id,
        message_id=entry.message_id,
        conversation_id=entry.conversation_id,
        text=text,
        kind=entry.kind,
        language=entry.language,
        channel=entry.channel,
        created_at=entry.created_at,
        article_id=entry.article_id,
    )


def open_gaps(db: Session, start: datetime, end: datetime) -> list[Gap]:
    """The period's gaps not dismissed, oldest first, with their stored text."""
    rows = db.execute(
        select(GapEntry, Message.text)
        .join(Message, Message.id == GapEntry.message_id)
        .where(
            GapEntry.created_at >= start,
            GapEntry.created_at < end,
            GapEntry.dismissed_at.is_(None),
        )
        .order_by(GapEntry.created_at, GapEntry.id)
    ).all()
    return [_gap(entry, text) for entry, text in rows]


def gaps(db: Session, ids: list[int]) -> list[Gap]:
    """These gaps (those still stored), in the order given."""
    found: dict[int, Gap] = {}
    for part in _chunks(ids):
        rows = db.execute(
            select(GapEntry, Message.text)
            .join(Message, Message.id == GapEntry.message_id)
            .where(GapEntry.id.in_(part))
        ).all()
        found.update((entry.id, _gap(entry, text)) for entry, text in rows)
    return [found[i] for i in ids if i in found]


def reusable(db: Session, fingerprint: str, since: datetime) -> list[GapGroup]:
    """Groups made of exactly these gaps since *since*, none dismissed (else: regroup)."""
    groups = list(
        db.execute(
            select(GapGroup)
            .where(GapGroup.fingerprint == fingerprint, GapGroup.created_at >= since)
            .order_by(GapGroup.id)
        ).scalars()
    )
    if not groups or any(g.dismissed_at is not None for g in groups):
        return []
    newest = max(g.created_at for g in groups)
    return [g for g in groups if g.created_at == newest]


def save_groups(
    db: Session, fingerprint: str, members: list[list[int]], now: datetime
) -> list[GapGroup]:
    groups = [
        GapGroup(fingerprint=fingerprint, members=ids, size=len(ids), created_at=now)
        for ids in members
    ]
    db.add_all(groups)
    db.flush()
    return groups


def prune(db: Session, before: datetime) -> int:
    """Groups shown before *before* and never dismissed: nobody acts on them any more."""
    gone = db.execute(
        delete(GapGroup)
        .where(GapGroup.created_at < before, GapGroup.dismissed_at.is_(None))
        .execution_options(synchronize_session=False)
    )
    return int(gone.rowcount or 0)


def get_group(db: Session, group_id: int) -> GapGroup:
    group = db.get(GapGroup, group_id)
    if group is None:
        raise NotFound(f"no gap group {group_id} (groups are kept a day: reload the page)")
    return group


def dismiss(db: Session, group: GapGroup, by: str, now: datetime) -> int:
    """The group and the gaps it held are dismissed; how many gaps."""
    group.dismissed_at, group.dismissed_by = now, by
    done = 0
    for part in _chunks(list(group.members)):
        done += int(
            db.execute(
                update(GapEntry)
                .where(GapEntry.id.in_(part), GapEntry.dismissed_at.is_(None))
                .values(dismissed_at=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            or 0
        )
    return done


def mark_added(db: Session, gap_id: int, article_id: str) -> None:
    db.execute(
        update(GapEntry)
        .where(GapEntry.id == gap_id)
        .values(article_id=article_id)
        .execution_options(synchronize_session=False)
    )
