"""The analytics roll-up: user messages per conversation and quarter-hour (migration 0021).

A month of a busy desk is half a million user messages; the Analytics page's active
conversations and busiest hours need only, per conversation and quarter-hour, the first
user message's time and how many there were: about one row per conversation. A trigger
on ``handoff_messages`` keeps the rows, in the transaction that stores each message,
whatever path stores it; erasing a conversation deletes its rows with it.

The rows give exactly the raw messages' figures when the period begins and ends on a
quarter-hour, and (busiest hours) when the viewer's UTC offset is whole quarter-hours:
every whole-day period in every time zone in use today. Otherwise ``store.analytics``
counts the raw messages, for the same figures, slower.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, delete
from sqlalchemy.orm import Session

from store.models import Base, UtcDateTime

SLOT = 900  # seconds; the trigger's and the backfill's too (migration 0021)


class UserActivity(Base):
    __tablename__ = "handoff_user_activity"

    slot = Column(BigInteger, primary_key=True)  # seconds since 1970 // SLOT
    conversation_id = Column(
        String(200),
        ForeignKey("handoff_conversations.id", ondelete="CASCADE"),
        primary_key=True,
    )
    first_at = Column(UtcDateTime(), nullable=False)  # its first user message in the slot
    messages = Column(Integer, nullable=False)  # its user messages in the slot

    __table_args__ = (Index("ix_handoff_user_activity_conversation", "conversation_id"),)


def slots(start: datetime, end: datetime) -> tuple[int, int] | None:
    """The slots from *start* up to *end* (exclusive), when both fall on a slot's edge."""
    edges = [int(moment.timestamp()) for moment in (start, end)]
    if start.microsecond or end.microsecond or any(edge % SLOT for edge in edges):
        return None
    return edges[0] // SLOT, edges[1] // SLOT


def erase(db: Session, conversation_ids: list[str]) -> None:
    db.execute(
        delete(UserActivity).where(UserActivity.conversation_id.in_(conversation_ids)),
        execution_options={"synchronize_session": False},
    )
