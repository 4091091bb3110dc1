"""Where a waiting live chat stands in the queue, and telling its user when that improves.

Each told place is recorded on the session by a conditional update, so when two
gateways notice the same move only one of them tells the user.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from store.handoffs import queued
from store.models import HandoffSession


def places(db: Session) -> list[tuple[HandoffSession, int]]:
    """Every waiting live chat with its place (1 = the next an agent takes)."""
    chats = [s for s in queued(db) if s.kind == "chat"]
    return [(session, place) for place, session in enumerate(chats, 1)]


def told(db: Session, session_id: int, place: int, now: datetime) -> None:
    """The user was told *place* (when the session was queued)."""
    db.execute(
        update(HandoffSession)
        .where(HandoffSession.id == session_id)
        .values(position_told=place, position_told_at=now)
        .execution_options(synchronize_session=False)
    )


def moved_up(db: Session, now: datetime, quiet: timedelta) -> list[tuple[HandoffSession, int]]:
    """Waiting chats whose place is better than the one their user was last told.

    Marks them told. A user told less than *quiet* ago waits for the next call
    (no message per claim in a busy hour), except one who is now next in line.
    """
    moved = []
    for session, place in places(db):
        last = session.position_told
        if last is None or place >= last:
            continue
        recent = session.position_told_at is not None and now - session.position_told_at < quiet
        if recent and place != 1:
            continue
        result = db.execute(
            update(HandoffSession)
            .where(HandoffSession.id == session.id, HandoffSession.position_told == last)
            .values(position_told=place, position_told_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            moved.append((session, place))
    return moved
