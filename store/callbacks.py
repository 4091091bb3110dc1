"""Phone callbacks: the number a user gave (held until booked), the booked callback on
its ticket, and marking it done. Tables: :mod:`store.callback_tables`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.callback_tables import CallbackHold, CallbackRequest
from store.errors import Conflict, NotFound

# How long after the bot asked for a number the next message is read as the answer, and
# how long a number given stays held for the booking.
ASKED_FOR = timedelta(minutes=30)
HELD_FOR = timedelta(hours=24)


def _hold(db: Session, conversation_id: str) -> CallbackHold:
    row = db.get(CallbackHold, conversation_id)
    if row is None:
        row = CallbackHold(conversation_id=conversation_id)
        db.add(row)
    return row


def ask(db: Session, conversation_id: str, now: datetime | None) -> None:
    """The bot asked for a number (*now*): the next answer's digits are one, or masked;
    or it moved on (None)."""
    _hold(db, conversation_id).asked_at = now


def expecting(db: Session, conversation_id: str, now: datetime) -> bool:
    row = db.get(CallbackHold, conversation_id)
    return bool(row and row.asked_at and now - row.asked_at < ASKED_FOR)


def hold(db: Session, conversation_id: str, number: str, now: datetime) -> None:
    row = _hold(db, conversation_id)
    row.number, row.held_at = number, now


def held(db: Session, conversation_id: str, now: datetime) -> str | None:
    """The number the user gave last, unless it is too old to book with."""
    row = db.get(CallbackHold, conversation_id)
    if row is None or row.number is None or row.held_at is None:
        return None
    return str(row.number) if now - row.held_at < HELD_FOR else None


def release(db: Session, conversation_id: str) -> None:
    """Booked (or given up): the number is kept on the booking only."""
    row = db.get(CallbackHold, conversation_id)
    if row is not None:
        db.delete(row)


def book(
    db: Session,
    session_id: int,
    number: str | None,
    start: datetime,
    end: datetime,
) -> CallbackRequest:
    """The callback on ticket *session_id*; a second booking on the same ticket moves it."""
    row = of_session(db, session_id)
    if row is None:
        row = CallbackRequest(session_id=session_id, state="booked")
        db.add(row)
    row.number = number or row.number
    # In UTC: SQLite keeps the wall-clock digits and drops the offset.
    row.slot_start, row.slot_end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    row.state, row.outcome, row.done_by, row.done_at = "booked", None, None, None
    db.flush()
    return row


def of_session(db: Session, session_id: int) -> CallbackRequest | None:
    statement = select(CallbackRequest).where(CallbackRequest.session_id == session_id)
    return db.execute(statement).scalar_one_or_none()


def mark_done(
    db: Session, session_id: int, agent_id: int, outcome: str, now: datetime
) -> CallbackRequest:
    """One conditional ``UPDATE``: of two agents marking it at once, one wins (409)."""
    result = db.execute(
        update(CallbackRequest)
        .where(CallbackRequest.session_id == session_id, CallbackRequest.state == "booked")
        .values(state="done", outcome=outcome, done_by=agent_id, done_at=now)
        .execution_options(synchronize_session=False)
    )
    row = of_session(db, session_id)
    if row is None:
        raise NotFound(f"session {session_id} has no callback")
    if result.rowcount != 1:
        raise Conflict(f"the callback of session {session_id} is already done")
    db.refresh(row)
    return row
