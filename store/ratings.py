"""Satisfaction ratings: the 1–5 question after a resolve, and its answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import Csat, HandoffSession


def rating_pending(session: HandoffSession, since: datetime) -> bool:
    """Whether *session* was resolved and its rating question, asked after *since*, is open."""
    return (
        session.state == "resolved"
        and session.csat_status == "asked"
        and session.csat_asked_at is not None
        and session.csat_asked_at >= since
    )


def ask_csat(db: Session, session_id: int, now: datetime) -> None:
    db.execute(
        update(HandoffSession)
        .where(HandoffSession.id == session_id)
        .values(csat_status="asked", csat_asked_at=now)
        .execution_options(synchronize_session=False)
    )


def record_csat(db: Session, session_id: int, score: int | None) -> bool:
    """Store the rating (or ``None``: the user moved on); False if already settled."""
    result = db.execute(
        update(HandoffSession)
        .where(HandoffSession.id == session_id, HandoffSession.csat_status == "asked")
        .values(csat_status="answered" if score is not None else "skipped")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if score is not None:
        if not 1 <= score <= 5:
            raise ValueError("a rating is 1 to 5")
        db.add(Csat(session_id=session_id, score=score))
        db.flush()
    return True


def csat_score(db: Session, session_id: int) -> int | None:
    row = db.execute(select(Csat.score).where(Csat.session_id == session_id)).scalar()
    return int(row) if row is not None else None
