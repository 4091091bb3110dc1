"""Canned replies: an agent's ready answers, one per shortcut, in zh, en and es.

The table lives here rather than in :mod:`store.models` (one module per thing
stored); it is declared on the same ``Base``, so migrations and the schema check
see it. Texts are checked by :mod:`handoff.canned` before they get here.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.clock import utcnow
from common.language import LANGUAGES, Language
from store.errors import Conflict, NotFound
from store.models import Base, UtcDateTime


class CannedReply(Base):
    __tablename__ = "handoff_canned_replies"

    id = Column(Integer, primary_key=True)
    shortcut = Column(String(32), nullable=False, unique=True)  # lower-case, without the "/"
    # A NULL variant is one nobody wrote; the console then falls back (see handoff.canned).
    text_zh = Column(Text, nullable=True)
    text_en = Column(Text, nullable=True)
    text_es = Column(Text, nullable=True)
    # Who wrote it: they and supervisors may change it. NULL once that agent is deleted.
    created_by = Column(
        Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"), nullable=True
    )
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    def variants(self) -> dict[Language, str]:
        found = {lang: getattr(self, f"text_{lang}") for lang in LANGUAGES}
        return {lang: text for lang, text in found.items() if text}


def all_replies(db: Session) -> list[CannedReply]:
    return list(db.execute(select(CannedReply).order_by(CannedReply.shortcut)).scalars())


def get_reply(db: Session, reply_id: int) -> CannedReply:
    reply = db.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(f"no canned reply {reply_id}")
    return reply


def _taken(db: Session, shortcut: str, other_than: int | None) -> bool:
    query = select(func.count()).select_from(CannedReply).where(CannedReply.shortcut == shortcut)
    if other_than is not None:
        query = query.where(CannedReply.id != other_than)
    return bool(db.execute(query).scalar())


def save_reply(
    db: Session,
    shortcut: str,
    variants: dict[Language, str],
    agent_id: int | None = None,
    reply: CannedReply | None = None,
) -> CannedReply:
    """Create a reply (*reply* None) or replace *reply*'s shortcut and variants.

    A shortcut another reply has is a :class:`Conflict`, checked first for a clear
    message and again by the unique index when two agents save at the same moment."""
    if _taken(db, shortcut, reply.id if reply else None):
        raise Conflict(f"the shortcut /{shortcut} is already taken")
    if reply is None:
        reply = CannedReply(created_by=agent_id)
    reply.shortcut = shortcut
    for lang in LANGUAGES:
        setattr(reply, f"text_{lang}", variants.get(lang))
    reply.updated_at = utcnow()
    try:
        with db.begin_nested():
            db.add(reply)
            db.flush()
    except IntegrityError as exc:
        raise Conflict(f"the shortcut /{shortcut} is already taken") from exc
    return reply


def delete_reply(db: Session, reply: CannedReply) -> None:
    db.delete(reply)
    db.flush()
