"""Turns: a user message is *pending* from the transaction that stores it until its
answer is stored. A process that dies in between leaves it pending, and once that
process's liveness lease lapses another one takes the turn over (see
``gateway.router.Router.recover``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import literal, select, update
from sqlalchemy.orm import Session

from store.leases import ALIVE
from store.models import Lease, Message


def finish_turn(db: Session, message_id: int) -> bool:
    """Clear *message_id*'s pending flag; True only for the call that cleared it."""
    result = db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(pending=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def take_over_turn(db: Session, message: Message, holder: str) -> bool:
    """Make *holder* the handler of *message*'s unfinished turn; True for one process.

    The turn stays pending until it is done, so a process that dies while recovering
    it leaves it to be taken over again, and "nothing pending" means every turn has
    its answer.
    """
    if message.handler == holder:  # the update would change nothing: no claim to win
        return False
    previous = (
        Message.handler.is_(None) if message.handler is None else Message.handler == message.handler
    )
    result = db.execute(
        update(Message)
        .where(Message.id == message.id, Message.pending, previous)
        .values(handler=holder)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def abandon_turn(db: Session, message_id: int) -> None:
    db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(handler=None)
        .execution_options(synchronize_session=False)
    )


def stale_turns(db: Session, now: datetime, limit: int = 100) -> list[Message]:
    """Pending turns whose process is gone: its liveness lease has lapsed (or never was)."""
    alive = (
        select(Lease.name)
        .where(Lease.name == literal(ALIVE) + Message.handler, Lease.expires_at > now)
        .exists()
    )
    rows = db.execute(
        select(Message)
        .where(Message.pending, Message.created_at < now - timedelta(seconds=2), ~alive)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())
