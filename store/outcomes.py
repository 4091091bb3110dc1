"""How each bot turn ended (an answer, a miss, a handoff…), kept for analytics.

The metrics count turns by outcome too, but only the database can say which
*conversation* had them: "resolved by the bot" means a conversation with no handoff
and no repeated miss. ``store/__init__`` imports this module so that the table is on
``Base`` wherever the models are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, insert
from sqlalchemy.orm import Session

from store.models import Base, UtcDateTime

# answer | suggest (no article fitted; the nearest ones offered as buttons) | miss
# (nothing offered) | clarify ("did you mean") | out_of_scope | handoff | fallback (an
# action failed) | unavailable (Rasa or its action server down)
OUTCOMES = (
    "answer",
    "suggest",
    "miss",
    "clarify",
    "out_of_scope",
    "handoff",
    "fallback",
    "unavailable",
)
MISSES = ("miss", "suggest")  # the bot had no answer, whatever it offered instead


class TurnOutcome(Base):
    __tablename__ = "handoff_turn_outcomes"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), nullable=False
    )
    outcome = Column(String(20), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False)

    __table_args__ = (
        CheckConstraint(f"outcome IN {OUTCOMES!r}", name="outcome"),
        # The period's misses, per conversation, from the index alone.
        Index("ix_handoff_turn_outcomes_outcome", "outcome", "created_at", "conversation_id"),
        Index("ix_handoff_turn_outcomes_conversation", "conversation_id"),
    )


def record(db: Session, conversation_id: str, outcome: str, now: datetime) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    # A plain INSERT, not a row for the session's unit of work to flush (every bot turn
    # writes one; the flush cost more CPU than the statement).
    values = {"conversation_id": conversation_id, "outcome": outcome, "created_at": now}
    db.execute(insert(TurnOutcome.__table__), values)
