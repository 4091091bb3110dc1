"""Routing's tables: each agent's languages and chat capacity, and the desk's routing
switch. Kept apart from :mod:`store.models`; ``store/__init__`` imports this module so
that its tables are on ``Base`` wherever the models are."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Integer, String

from store.models import Base, UtcDateTime


class AgentRouting(Base):
    """An agent's routing profile. No row = every language, the default capacity."""

    __tablename__ = "handoff_routing_agents"

    agent_id = Column(
        Integer, ForeignKey("handoff_agents.id", ondelete="CASCADE"), primary_key=True
    )
    languages = Column(String(20), nullable=False)  # "en,es": a subset of zh, en, es
    max_chats = Column(Integer, nullable=False)
    # When routing last gave this agent a chat: with their last message, "idle since".
    last_assigned_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (CheckConstraint("max_chats >= 1", name="max_chats"),)


class RoutingSetting(Base):
    """The desk-wide switch, set by an admin; it overrides ``DESK_AUTO_ASSIGN``."""

    __tablename__ = "handoff_routing_settings"

    id = Column(Integer, primary_key=True)  # always 1: one row
    auto_assign = Column(Boolean, nullable=False)
