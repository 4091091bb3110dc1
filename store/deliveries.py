"""Platform deliveries seen before: a key per delivery (a Telegram ``update_id``, a WeChat
``MsgId``, a web chat client's message id), recorded in the transaction that stores
what it brought, so a redelivery is recognised in any process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from store.db import insert_new
from store.models import Delivery, Message


def first_delivery(db: Session, channel: str, key: str) -> bool:
    """True the first time a platform delivers *key*; False for its retries, in any process.

    A concurrent first delivery of the same key in another process makes this wait for
    its transaction: False once it committed, True if it rolled back."""
    result = db.execute(insert_new(db, Delivery).values(channel=channel, key=key[:200]))
    return bool(result.rowcount == 1)


def delivered_message(db: Session, channel: str, key: str) -> Message | None:
    """The message the first delivery of *key* stored, if it stored one."""
    row = db.get(Delivery, (channel, key[:200]))
    return db.get(Message, row.message_id) if row is not None and row.message_id else None


def link_delivery(db: Session, channel: str, key: str, message_id: int) -> None:
    # One UPDATE: the row first_delivery added is no longer in the session's identity
    # map (nothing holds it), so loading it first would cost a SELECT per message.
    db.execute(
        update(Delivery)
        .where(Delivery.channel == channel, Delivery.key == key[:200])
        .values(message_id=message_id)
        .execution_options(synchronize_session=False)
    )


def forget(db: Session, channel: str, before: datetime) -> int:
    """Drop *channel*'s keys recorded before *before* (keys that only matter for a while,
    such as WeChat's nonces); returns how many."""
    result = db.execute(
        delete(Delivery).where(Delivery.channel == channel, Delivery.created_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)
