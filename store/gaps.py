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

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.gaps_tables import KINDS, TURN_KINDS, GapEntry, GapGroup
from store.models import Message
from store.outcomes import TurnOutcome

__all__ = ["KINDS", "TURN_KINDS", "GapEntry", "GapGroup"]

# An escalation names the miss that led to it when that miss is this recent.
ESCALATION_WINDOW = timedelta(hours=1)
# A low rating counts against the bot's answer when that answer came this soon before
# the handoff.
RATED_ANSWER_WINDOW = timedelta(days=1)


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
    vector: bytes | None = None
    vector_key: str | None = None


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
    """The user message the bot last answered with an article in the day before
    *before* (an answer from an earlier visit is not what the rating is about)."""
    answered = db.execute(
        select(TurnOutcome.created_at)
        .where(
            TurnOutcome.conversation_id == conversation_id,
            TurnOutcome.outcome == "answer",
            TurnOutcome.created_at <= before,
            TurnOutcome.created_at >= before - RATED_ANSWER_WINDOW,
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
        vector=entry.vector,
        vector_key=entry.vector_key,
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


def unembedded(db: Session, limit: int) -> list[Gap]:
    """The newest open gaps without a vector."""
    rows = db.execute(
        select(GapEntry, Message.text)
        .join(Message, Message.id == GapEntry.message_id)
        .where(GapEntry.vector.is_(None), GapEntry.dismissed_at.is_(None))
        .order_by(GapEntry.created_at.desc(), GapEntry.id.desc())
        .limit(limit)
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


def save_vectors(db: Session, vectors: dict[int, tuple[bytes, str]]) -> None:
    """Each gap's embedding and the key it was made with."""
    db.bulk_update_mappings(
        GapEntry,
        [{"id": i, "vector": v, "vector_key": k} for i, (v, k) in vectors.items()],
    )


def forget_vectors(db: Session, message_ids: list[int]) -> None:
    """A message was redacted: no embedding of what it said before stays."""
    for part in _chunks(message_ids):
        db.execute(
            update(GapEntry)
            .where(GapEntry.message_id.in_(part))
            .values(vector=None, vector_key=None)
            .execution_options(synchronize_session=False)
        )
