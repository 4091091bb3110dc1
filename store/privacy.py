"""One end user's rows: find them, show them, delete them (data rights, retention).

An end user is who wrote to a channel: their conversation id is ``channel:user``
(``InboundMessage.conversation_id``). Asked about ``USER``, the store takes the
conversation with that id, and on every channel the conversation of that platform
user (``webchat:USER``, ``telegram:USER``, ``wechat:USER``): the same person on two
channels has two platform ids, and each can be asked for. An email user is asked for by
their address: their threads are the conversations ``email:t<thread id>``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from store import activity, callbacks
from store.email_tables import EmailMessageId, EmailThread
from store.models import (
    Agent,
    CachedValue,
    Conversation,
    Csat,
    Delivery,
    HandoffSession,
    Message,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def conversations_of(db: Session, user: str) -> list[Conversation]:
    user = user.strip()
    if not user:
        return []
    named = [user]
    if "@" in user:  # an email address: the threads it wrote
        found = db.execute(select(EmailThread.id).where(EmailThread.address == user.lower()))
        named += [f"email:t{number}" for number in found.scalars()]
    query = select(Conversation).where(
        or_(Conversation.id.in_(named), Conversation.id == Conversation.channel + ":" + user)
    )
    return list(db.execute(query.order_by(Conversation.created_at, Conversation.id)).scalars())


def stale_conversations(db: Session, before: datetime, limit: int) -> list[str]:
    """Conversations started before *before*, nobody wrote in since, and with no session
    still open: what retention deletes. Per conversation an index probe (``NOT EXISTS``
    on its messages), not an aggregate over every message."""
    recent = (
        select(Message.id)
        .where(Message.conversation_id == Conversation.id, Message.created_at >= before)
        .exists()
    )
    still_open = select(HandoffSession.conversation_id).where(
        HandoffSession.state.in_(("queued", "assigned", "reopened"))
    )
    query = (
        select(Conversation.id)
        .where(
            Conversation.created_at < before,
            ~recent,
            Conversation.id.not_in(still_open),
        )
        .order_by(Conversation.created_at)
        .limit(limit)
    )
    return list(db.execute(query).scalars())


def exported(db: Session, conversation: Conversation) -> dict[str, Any]:
    """Everything stored of one conversation, as JSON-ready data."""
    names = dict(db.execute(select(Agent.id, Agent.display_name)).all())
    rows = db.execute(
        select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
    ).scalars()
    sessions = db.execute(
        select(HandoffSession)
        .where(HandoffSession.conversation_id == conversation.id)
        .order_by(HandoffSession.id)
    ).scalars()
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "language": conversation.language,
        "created_at": _iso(conversation.created_at),
        "last_inbound_at": _iso(conversation.last_inbound_at),
        "tags": conversation.tags or [],
        "messages": [
            {
                "id": m.id,
                "author": m.author,
                "kind": m.kind,
                "text": m.text,
                "buttons": m.buttons or [],
                "attachment": m.attachment or None,
                "delivery": m.delivery,
                "agent": names.get(m.agent_id) if m.agent_id else None,
                "created_at": _iso(m.created_at),
            }
            for m in rows
        ],
        "tickets": [_session(db, s, names) for s in sessions],
        "email_thread": _email_thread(db, conversation.id),
    }


def _email_thread(db: Session, conversation_id: str) -> dict[str, Any] | None:
    number = conversation_id.removeprefix("email:t")
    if not conversation_id.startswith("email:t") or not number.isdigit():
        return None
    thread = db.get(EmailThread, int(number))
    return {"address": thread.address, "subject": thread.subject} if thread else None


def _session(db: Session, s: HandoffSession, names: dict[int, str]) -> dict[str, Any]:
    csat = db.execute(select(Csat).where(Csat.session_id == s.id)).scalar_one_or_none()
    return {
        "ticket": s.ticket,
        "kind": s.kind,
        "state": s.state,
        "reason": s.reason,
        "priority": s.priority,
        "language": s.language,
        "payload": s.payload,
        "agent": names.get(s.agent_id) if s.agent_id else None,
        "queued_at": _iso(s.queued_at),
        "assigned_at": _iso(s.assigned_at),
        "resolved_at": _iso(s.resolved_at),
        "due_at": _iso(s.due_at),
        "csat": {"score": csat.score, "created_at": _iso(csat.created_at)} if csat else None,
        "callback": _callback(db, s.id),
    }


def _callback(db: Session, session_id: int) -> dict[str, Any] | None:
    """A booked callback: the user's own number is theirs to see (erased with the ticket,
    by the foreign key's ``ON DELETE CASCADE``; a held one with the conversation)."""
    row = callbacks.of_session(db, session_id)
    if row is None:
        return None
    slot = {"slot_start": _iso(row.slot_start), "slot_end": _iso(row.slot_end)}
    return {"number": row.number, **slot, "state": row.state, "outcome": row.outcome}


def attachments(db: Session, conversation_ids: list[str]) -> list[dict[str, Any]]:
    """The attachments these conversations' messages name (files may be gone)."""
    query = select(Message.attachment).where(
        Message.conversation_id.in_(conversation_ids), Message.attachment.is_not(None)
    )
    return [a for a in db.execute(query).scalars() if isinstance(a, dict)]


def erase(db: Session, conversation_ids: list[str]) -> dict[str, int]:
    """Delete the conversations and everything hanging off them; counts per kind.

    Explicit deletes, children first, rather than relying on ``ON DELETE CASCADE``:
    the counts are what the audit row records.
    """
    if not conversation_ids:
        return {"conversations": 0, "messages": 0, "tickets": 0, "ratings": 0}
    quick = {"synchronize_session": False}  # nothing of these is loaded to keep in step
    sessions = select(HandoffSession.id).where(HandoffSession.conversation_id.in_(conversation_ids))
    message_ids = select(Message.id).where(Message.conversation_id.in_(conversation_ids))
    ratings = db.execute(delete(Csat).where(Csat.session_id.in_(sessions)), execution_options=quick)
    db.execute(
        delete(Delivery).where(Delivery.message_id.in_(message_ids)), execution_options=quick
    )
    activity.erase(db, conversation_ids)  # the analytics roll-up of their messages
    messages = db.execute(
        delete(Message).where(Message.conversation_id.in_(conversation_ids)),
        execution_options=quick,
    )
    tickets = db.execute(
        delete(HandoffSession).where(HandoffSession.conversation_id.in_(conversation_ids)),
        execution_options=quick,
    )
    # What a WeChat user was last offered to pick from (connectors/wechat).
    keys = [
        f"wechat:choices:{c.split(':', 1)[1]}" for c in conversation_ids if c.startswith("wechat:")
    ]
    if keys:
        db.execute(delete(CachedValue).where(CachedValue.key.in_(keys)), execution_options=quick)
    # An email thread holds the sender's address and subject, and its Message-IDs.
    threads = [int(c[7:]) for c in conversation_ids if c.startswith("email:t") and c[7:].isdigit()]
    if threads:
        db.execute(
            delete(EmailMessageId).where(EmailMessageId.thread_id.in_(threads)),
            execution_options=quick,
        )
        db.execute(delete(EmailThread).where(EmailThread.id.in_(threads)), execution_options=quick)
    gone = db.execute(
        delete(Conversation).where(Conversation.id.in_(conversation_ids)), execution_options=quick
    )
    return {
        "conversations": int(gone.rowcount or 0),
        "messages": int(messages.rowcount or 0),
        "tickets": int(tickets.rowcount or 0),
        "ratings": int(ratings.rowcount or 0),
    }
