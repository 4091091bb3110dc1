"""Messages of a conversation: what users, the bot, agents and the system wrote, and
whether each reply reached its platform (``delivery``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from common.clock import utcnow
from common.messages import Attachment, OutboundMessage
from store import gaps
from store.errors import NotFound
from store.leases import ALIVE
from store.models import Conversation, Lease, Message

_INSERT = insert(Message.__table__)  # every column given: one compiled statement


def add_message(
    db: Session,
    conversation_id: str,
    author: str,
    text: str,
    kind: str = "message",
    agent_id: int | None = None,
    buttons: list[dict[str, str]] | None = None,
    attachment: dict[str, str] | None = None,
    pending: bool = False,
    handler: str | None = None,
    delivery: str | None = None,
    reply_to: int | None = None,
    checked: bool = False,
) -> Message:
    """*checked*: the caller has just seen the conversation in this transaction.

    Inserted by one plain INSERT (the id comes back with it), and the row joins the
    session as if loaded: the unit of work's flush, run for each message before, cost
    more CPU than the rest of storing it."""
    if not checked and db.get(Conversation, conversation_id) is None:
        raise NotFound(f"no conversation {conversation_id}")
    if db.new:  # rows added before it (its conversation, say) are written first, as before
        db.flush()
    values = {
        "conversation_id": conversation_id,
        "author": author,
        "kind": kind,
        "text": text,
        "buttons": buttons or None,
        "attachment": attachment,
        "delivery": delivery,
        "delivery_error": None,
        "agent_id": agent_id,
        "created_at": utcnow(),
        "pending": pending,
        "handler": handler if pending or delivery == "sending" else None,
        "attempts": 0,
        "retry_at": None,
        "reply_to": reply_to,
    }
    result = db.execute(_INSERT, values)
    message = Message(id=result.inserted_primary_key[0], **values)
    make_transient_to_detached(message)  # as loaded: nothing for the session to write
    db.add(message)
    return message


def messages(
    db: Session, conversation_id: str, after: int = 0, include_notes: bool = False
) -> list[Message]:
    statement = select(Message).where(
        Message.conversation_id == conversation_id, Message.id > after
    )
    if not include_notes:
        statement = statement.where(Message.kind == "message")
    return list(db.execute(statement.order_by(Message.id)).scalars())


def answers_to(db: Session, message: Message) -> list[Message]:
    """What was sent back after user *message*, up to the user's next message."""
    later = db.execute(
        select(Message)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.id > message.id,
            Message.kind == "message",
        )
        .order_by(Message.id)
        .limit(50)
    ).scalars()
    answers = []
    for row in later:
        if row.author == "user":
            break
        answers.append(row)
    return answers


def mark_delivery(db: Session, message_id: int, status: str | None, error: str = "") -> None:
    """``None`` = delivered, ``"undelivered"`` = kept for later, ``"failed"`` = retried by
    the retry job, ``"refused"`` = refused for good (never retried), ``"dead"`` = retried
    to the bound (an agent is asked to step in)."""
    message = db.get(Message, message_id)
    if message is not None:
        message.delivery = status
        message.delivery_error = error[:1000] or None
        message.handler = None


def has_undelivered(db: Session, conversation_id: str) -> bool:
    row = db.execute(
        select(Message.id)
        .where(Message.conversation_id == conversation_id, Message.delivery == "undelivered")
        .limit(1)
    ).first()
    return row is not None


def undelivered(db: Session, conversation_id: str) -> list[Message]:
    rows = db.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.delivery == "undelivered")
        .order_by(Message.id)
    )
    return list(rows.scalars())


def claim_resend(
    db: Session, message_id: int, status: str, holder: str, previous: str | None = None
) -> bool:
    """Take a kept or failed reply for sending again; one process wins each.

    *holder* is recorded as its sender: if that process dies before the send is
    recorded, the reply is left ``sending`` and the recovery job takes it again
    (*status* ``"sending"``, *previous* the dead sender).
    """
    condition = [Message.id == message_id, Message.delivery == status]
    if status == "sending":
        condition.append(
            Message.handler.is_(None) if previous is None else Message.handler == previous
        )
    result = db.execute(
        update(Message)
        .where(*condition)
        .values(delivery="sending", attempts=Message.attempts + 1, handler=holder)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def mark_sent(db: Session, message_ids: list[int], holder: str) -> None:
    """Replies *holder* stored as ``sending`` reached the platform."""
    db.execute(
        update(Message)
        .where(Message.id.in_(message_ids), Message.delivery == "sending")
        .where(Message.handler == holder)
        .values(delivery=None, handler=None)
        .execution_options(synchronize_session=False)
    )


def stuck_sending(
    db: Session, now: datetime, limit: int = 100
) -> list[tuple[int, str, str | None]]:
    """Replies left ``sending`` by a process that is gone (its liveness lease lapsed):
    (message id, conversation id, the dead sender)."""
    alive = (
        select(Lease.name)
        .where(Lease.name == literal(ALIVE) + Message.handler, Lease.expires_at > now)
        .exists()
    )
    rows = db.execute(
        select(Message.id, Message.conversation_id, Message.handler)
        .where(
            Message.delivery == "sending",
            Message.created_at < now - timedelta(seconds=2),
            ~alive,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [(int(i), str(c), h) for i, c, h in rows]


def failed_deliveries(
    db: Session, since: datetime, attempts: int, limit: int = 100
) -> list[tuple[int, str]]:
    """Replies a platform refused since *since*, tried fewer than *attempts* times:
    (message id, conversation id)."""
    rows = db.execute(
        select(Message.id, Message.conversation_id)
        .where(
            Message.delivery == "failed",
            Message.created_at >= since,
            Message.attempts < attempts,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return [(int(i), str(c)) for i, c in rows]


def as_outbound(message: Message) -> OutboundMessage:
    """A stored message as the connectors send it."""
    return OutboundMessage(
        text=message.text,
        buttons=tuple((b["title"], b["payload"]) for b in message.buttons or []),
        attachment=_attachment(message.attachment),
        id=message.id,
        author=message.author,
        created_at=message.created_at,
    )


def _attachment(stored: dict[str, str] | None) -> Attachment | None:
    if not stored or not stored.get("path"):
        return None
    return Attachment(
        str(stored.get("kind") or "file"),
        str(stored["path"]),
        str(stored.get("name") or ""),
        str(stored.get("mime") or ""),
    )


def redact(db: Session, message_ids: list[int], kind: str) -> None:
    """Replace earlier pieces of a secret, recognised only once the rest arrived."""
    for message_id in message_ids:
        message = db.get(Message, message_id)
        if message is not None:
            message.text = f"[redacted: {kind}]"
    gaps.forget_vectors(db, message_ids)  # a content gap's embedding of the old text
