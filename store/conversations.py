"""Conversations: one row per user and channel (the Rasa sender id is its key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import Select

from store.db import insert_new
from store.models import OPEN_STATES, Conversation, HandoffSession, Message


def ensure_conversation(db: Session, conversation_id: str, channel: str, language: str) -> None:
    """Create the conversation row once, however many deliveries race for it."""
    if db.get(Conversation, conversation_id) is not None:
        return
    try:
        with db.begin_nested():
            db.add(Conversation(id=conversation_id, channel=channel, language=language))
    except IntegrityError:
        pass  # created by a concurrent delivery: it is the same conversation


def _for_message_query() -> Select:
    other = aliased(HandoffSession)
    latest = (
        select(other.id)
        .where(other.conversation_id == Conversation.id)
        .order_by(other.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    waiting = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.delivery == "undelivered")
        .exists()
    )
    return (
        select(Conversation, HandoffSession, waiting)
        .outerjoin(HandoffSession, HandoffSession.id == latest)
        .where(Conversation.id == bindparam("conversation_id"))
    )


# Built once, as the statements run on every message are: building one (the alias and
# its column proxies above) cost more CPU than anything else the turn does in Python,
# and a statement reused also reuses its compiled SQL cache key.
_FOR_MESSAGE = _for_message_query()
_ACTIVE = (
    select(HandoffSession.id)
    .where(
        HandoffSession.conversation_id == Conversation.id,
        HandoffSession.state.in_((*OPEN_STATES, "assigned")),
    )
    .limit(1)
    .scalar_subquery()
)
_WITH_ACTIVE_SESSION = select(_ACTIVE).where(Conversation.id == bindparam("conversation_id"))
_USER_WROTE = (
    update(Conversation.__table__)
    .where(Conversation.__table__.c.id == bindparam("conversation_id"))
    .values(last_inbound_at=bindparam("now"), sent_since_inbound=0)
)


def for_message(
    db: Session, conversation_id: str, channel: str, language: str
) -> tuple[Conversation, HandoffSession | None, bool]:
    """The conversation a user message goes to (created for the first one), its latest
    handoff session, and whether replies wait for delivery to the user
    (``undelivered``): one query for all three, on every message but a conversation's
    first."""
    key = {"conversation_id": conversation_id}
    row = db.execute(_FOR_MESSAGE, key).first()
    if row is None:  # the first message: a concurrent delivery may create it too
        new = {"id": conversation_id, "channel": channel, "language": language}
        db.execute(insert_new(db, Conversation).values(**new))
        row = db.execute(_FOR_MESSAGE, key).one()
    conversation, session, undelivered = row
    return conversation, session, bool(undelivered)


def with_active_session(db: Session, conversation_id: str) -> tuple[bool, int | None]:
    """Whether the conversation exists, and its unresolved session's id, in one query."""
    row = db.execute(_WITH_ACTIVE_SESSION, {"conversation_id": conversation_id}).first()
    return (False, None) if row is None else (True, row[0])


def last_outbound_text(db: Session, conversation_id: str) -> str | None:
    return db.execute(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.author.in_(("bot", "agent")))
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar()


def language(db: Session, conversation_id: str) -> str | None:
    conversation = db.get(Conversation, conversation_id)
    return str(conversation.language) if conversation and conversation.language else None


def add_tag(db: Session, conversation_id: str, tag: str) -> None:
    """Mark the conversation for agents ("scam_report", "secret_shared"); once per tag."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is not None and tag not in (conversation.tags or []):
        conversation.tags = [*(conversation.tags or []), tag]


def user_wrote(db: Session, conversation_id: str, now: datetime) -> None:
    """The user just wrote: platforms that reply only within a window start it again.

    A plain UPDATE of the table, not a change to the loaded row: the session then has
    nothing to flush for it at the commit (a flush costs far more CPU than the
    statement). The loaded row, if any, is brought up to date to match."""
    db.execute(_USER_WROTE, {"conversation_id": conversation_id, "now": now})
    loaded = db.identity_map.get(identity_key(Conversation, conversation_id))
    if loaded is not None:
        set_committed_value(loaded, "last_inbound_at", now)
        set_committed_value(loaded, "sent_since_inbound", 0)
