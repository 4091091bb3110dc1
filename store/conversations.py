"""Conversations: one row per user and channel (the Rasa sender id is its key)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import Conversation, Message


def ensure_conversation(db: Session, conversation_id: str, channel: str, language: str) -> None:
    """Create the conversation row once, however many deliveries race for it."""
    if db.get(Conversation, conversation_id) is not None:
        return
    try:
        with db.begin_nested():
            db.add(Conversation(id=conversation_id, channel=channel, language=language))
    except IntegrityError:
        pass  # created by a concurrent delivery: it is the same conversation


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
    """The user just wrote: platforms that reply only within a window start it again."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is not None:
        conversation.last_inbound_at, conversation.sent_since_inbound = now, 0
