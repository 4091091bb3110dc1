"""Deadlines of handoff sessions: SLA breaches, reminders before a ticket is due, and
live chats nobody can take turned into tickets. Each marks a row once, whichever
process gets there first."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from common.clock import utcnow
from store.models import OPEN_STATES, HandoffSession


def waiting_chats(db: Session) -> list[HandoffSession]:
    rows = db.execute(
        select(HandoffSession).where(
            HandoffSession.state.in_(OPEN_STATES), HandoffSession.kind == "chat"
        )
    )
    return list(rows.scalars())


def make_ticket(db: Session, session_id: int, now: datetime | None = None) -> bool:
    """Turn a waiting live chat into a ticket (nobody is there to take it); its SLA
    counts from now, as the user is told."""
    result = db.execute(
        update(HandoffSession)
        .where(
            HandoffSession.id == session_id,
            HandoffSession.kind == "chat",
            HandoffSession.state.in_(OPEN_STATES),
        )
        .values(kind="ticket", position_told=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session = db.get(HandoffSession, session_id)
    if session is not None and session.due_at is None and session.sla_hours:
        db.refresh(session)
        session.due_at = (now or utcnow()) + timedelta(hours=session.sla_hours)
        db.flush()
    return True


def flag_breaches(db: Session, now: datetime) -> list[int]:
    """Mark sessions past their SLA once; returns the ids newly marked."""
    candidates = list(
        db.execute(
            select(HandoffSession.id).where(
                HandoffSession.state != "resolved",
                HandoffSession.due_at.is_not(None),
                HandoffSession.due_at < now,
                HandoffSession.breached_at.is_(None),
            )
        ).scalars()
    )
    marked = []
    for session_id in candidates:
        result = db.execute(
            update(HandoffSession)
            .where(HandoffSession.id == session_id, HandoffSession.breached_at.is_(None))
            .values(breached_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # another process may have marked it first
            marked.append(session_id)
    return marked


def due_soon(db: Session, before: datetime, now: datetime) -> list[HandoffSession]:
    """Open tickets due before *before* whose agents haven't been reminded; marks them."""
    candidates = db.execute(
        select(HandoffSession.id).where(
            HandoffSession.kind == "ticket",
            HandoffSession.state != "resolved",
            HandoffSession.due_at.is_not(None),
            HandoffSession.due_at < before,
            HandoffSession.reminded_at.is_(None),
        )
    ).scalars()
    marked = []
    for session_id in list(candidates):
        result = db.execute(
            update(HandoffSession)
            .where(HandoffSession.id == session_id, HandoffSession.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session = db.get(HandoffSession, session_id)
            if session is not None:
                marked.append(session)
    return marked
