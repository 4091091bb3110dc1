"""The content gaps' tables (migration 0018): a gap per user message the bot had no
good answer for, and the groups the Gaps page showed (store/gaps.py uses them)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
)

from common.clock import utcnow
from store.models import Base, UtcDateTime

# miss and suggest: no article fitted (suggest offered the nearest as buttons); clarify:
# "did you mean…"; escalation: handed to a human because the bot had no answer;
# low_csat: rated 1-2 after the bot had answered (docs/desk-api.md, "Content gaps").
KINDS = ("miss", "suggest", "clarify", "escalation", "low_csat")
TURN_KINDS = ("miss", "suggest", "clarify")  # a turn outcome that is a gap by itself


class GapEntry(Base):
    __tablename__ = "gaps_entries"

    id = Column(Integer, primary_key=True)
    message_id = Column(
        Integer, ForeignKey("handoff_messages.id", ondelete="CASCADE"), nullable=False
    )
    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), nullable=False
    )
    kind = Column(String(12), nullable=False)
    language = Column(String(5), nullable=False)
    channel = Column(String(30), nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    dismissed_at = Column(UtcDateTime(), nullable=True)
    # The article this message was added to as an example question.
    article_id = Column(String(100), nullable=True)
    # The message's embedding (float32), kept so that grouping embeds each message
    # once; ``vector_key`` names the model and text it was made from (a redaction
    # clears both: see forget_vectors).
    vector = Column(LargeBinary, nullable=True)
    vector_key = Column(String(64), nullable=True)

    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="gap_kind"),
        Index("ux_gaps_entries_message", "message_id", unique=True),
        Index("ix_gaps_entries_created", "created_at"),
        Index("ix_gaps_entries_conversation", "conversation_id", "created_at"),
    )


class GapGroup(Base):
    __tablename__ = "gaps_groups"

    id = Column(Integer, primary_key=True)
    # What was grouped: the period and the gaps in it (a page reloaded with nothing
    # new reuses the groups instead of grouping again).
    fingerprint = Column(String(64), nullable=False)
    members = Column(JSON, nullable=False)  # gap ids, the group's order
    size = Column(Integer, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    dismissed_at = Column(UtcDateTime(), nullable=True)
    dismissed_by = Column(String(100), nullable=True)

    __table_args__ = (Index("ix_gaps_groups_fingerprint", "fingerprint", "created_at"),)
