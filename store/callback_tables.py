"""Phone callbacks' tables (migration 0019). Kept apart from :mod:`store.models`;
``store/__init__`` imports this module so that its tables are on ``Base``.

The full number lives here and nowhere else: every message, transcript, log line and
Rasa turn holds its masked token (``[phone …8000]``, :mod:`common.phones`).
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Text

from common.clock import utcnow
from store.models import Base, UtcDateTime


class CallbackHold(Base):
    """A conversation's callback number before it is booked, and whether the bot just
    asked for one (then digits that make no number are masked too)."""

    __tablename__ = "callback_holds"

    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), primary_key=True
    )
    number = Column(String(20), nullable=True)  # E.164
    held_at = Column(UtcDateTime(), nullable=True)
    asked_at = Column(UtcDateTime(), nullable=True)


class CallbackRequest(Base):
    """A booked callback: the ticket it belongs to, the number to dial, the slot, and
    what came of it."""

    __tablename__ = "callback_requests"

    id = Column(Integer, primary_key=True)
    session_id = Column(
        Integer,
        ForeignKey("handoff_sessions.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )
    number = Column(String(20), nullable=True)  # E.164; None if it was lost on the way
    slot_start = Column(UtcDateTime(), nullable=False)
    slot_end = Column(UtcDateTime(), nullable=False)
    state = Column(String(10), nullable=False, default="booked")
    outcome = Column(Text, nullable=True)
    done_by = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    done_at = Column(UtcDateTime(), nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (CheckConstraint("state IN ('booked', 'done')", name="callback_state"),)
