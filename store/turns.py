"""Turns: a user message is *pending* from the transaction that stores it until its
answer is stored. A process that dies in between leaves it pending, and once that
process's liveness lease lapses another one takes the turn over (see
``gateway.router.Router.recover``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, literal, or_, select, update
from sqlalchemy.orm import Session

from store.leases import ALIVE
from store.models import Lease, Message

# Built once (every turn runs it), on the table: an ORM statement would first flush
# the session, which the commit does anyway, and be built and keyed again each time.
_MESSAGES = Message.__table__
_FINISH = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"), _MESSAGES.c.pending)
    .values(pending=False)
)


def finish_turn(db: Session, message_id: int) -> bool:
    """Clear *message_id*'s pending flag; True only for the call that cleared it.

    A loaded copy of the message keeps its old flag (as before: the update never
    synchronised the session)."""
    result = db.execute(_FINISH, {"message_id": message_id})
    return bool(result.rowcount == 1)


def take_over_turn(db: Session, message: Message, holder: str) -> bool:
    """Make *holder* the handler of *message*'s unfinished turn; True for one process.

    The turn stays pending until it is done, so a process that dies while recovering
    it leaves it to be taken over again, and "nothing pending" means every turn has
    its answer. Each take-over counts as an attempt (a turn that kills every process
    that runs it counts too), so the recovery job can give up on it.
    """
    if message.handler == holder:  # the update would change nothing: no claim to win
        return False
    previous = (
        Message.handler.is_(None) if message.handler is None else Message.handler == message.handler
    )
    result = db.execute(
        update(Message)
        .where(Message.id == message.id, Message.pending, previous)
        .values(handler=holder, attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def abandon_turn(db: Session, message_id: int, retry_at: datetime | None = None) -> None:
    """A live process failed the turn: any process may take it over (not before *retry_at*)."""
    db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(handler=None, retry_at=retry_at)
        .execution_options(synchronize_session=False)
    )


def dead_letter_turn(db: Session, message_id: int, why: str) -> bool:
    """Give the turn up: no longer pending, and marked for agents; True for one process."""
    result = db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(pending=False, handler=None, delivery="dead", delivery_error=why[:1000])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def stale_turns(db: Session, now: datetime, limit: int = 100) -> list[Message]:
    """Pending turns whose process is gone (its liveness lease has lapsed, or never was)
    and whose backoff, after a failed recovery, is over."""
    alive = (
        select(Lease.name)
        .where(Lease.name == literal(ALIVE) + Message.handler, Lease.expires_at > now)
        .exists()
    )
    rows = db.execute(
        select(Message)
        .where(
            Message.pending,
            Message.created_at < now - timedelta(seconds=2),
            ~alive,
            or_(Message.retry_at.is_(None), Message.retry_at <= now),
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())


def answered(db: Session, message_id: int) -> bool:
    """Whether the turn of *message_id* stored its answer (a process died after that)."""
    row = db.execute(select(Message.id).where(Message.reply_to == message_id).limit(1)).first()
    return row is not None
