"""The tables (prefixed ``handoff_``): conversations and their messages, handoff
sessions, CSAT ratings, agents and their login tokens, platform deliveries seen,
leases, shared cached values and the audit log.

Declared with SQLAlchemy 1.4 ``Column``s (Rasa pins 1.4; ``mapped_column`` is 2.0).
Schema changes go through Alembic (``store/migrations``), never ``create_all``.
Every timestamp is a :class:`UtcDateTime`: aware UTC in and out, whatever the
database (SQLite hands back naive values).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import declarative_base
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

from common.clock import as_utc, utcnow

Base = declarative_base()

SESSION_STATES = ("queued", "assigned", "resolved", "reopened")
OPEN_STATES = ("queued", "reopened")  # claimable
# Each role may do what the ones before it may: a supervisor also works chats, an admin
# also supervises (see handoff.api.auth.require_role).
ROLES = ("agent", "supervisor", "admin")


class UtcDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that always reads back as aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class Agent(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_agents"

    id = Column(Integer, primary_key=True)
    email = Column(String(254), nullable=False, unique=True)
    display_name = Column(String(100), nullable=False)
    password_hash = Column(String(200), nullable=False)
    presence = Column(String(10), nullable=False, default="away")
    active = Column(Boolean, nullable=False, default=True)
    # agent | supervisor (sees the team's load, moves others' sessions) | admin (also
    # manages accounts, routing profiles and end users' data). Was is_admin (0006).
    role = Column(String(12), nullable=False, default="agent")
    # Refreshed while the agent's console is connected; "online" counts only while fresh.
    last_seen_at = Column(UtcDateTime(), nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("presence IN ('online', 'away')", name="presence"),
        CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),
    )

    # The old flag, kept as a view of the role so that scripts and tests that set it
    # (``agent.is_admin = True``, ``update(Agent).values(is_admin=True)``) still work.
    @hybrid_property
    def is_admin(self) -> bool:
        return bool(self.role == "admin")

    @is_admin.setter  # type: ignore[no-redef]
    def is_admin(self, value: bool) -> None:
        self.role = "admin" if value else "agent"

    @is_admin.expression  # type: ignore[no-redef]
    def is_admin(cls) -> ColumnElement[bool]:
        return cls.role == "admin"

    @is_admin.update_expression  # type: ignore[no-redef]
    def is_admin(cls, value: bool) -> list[tuple[Any, str]]:
        return [(cls.role, "admin" if value else "agent")]


class PasswordLink(Base):  # type: ignore[valid-type,misc]
    """A one-time link that lets an agent set their password (a new account, or a
    reset): only the sha256 of its token is kept; it works once, before expires_at."""

    __tablename__ = "handoff_password_links"

    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="CASCADE"), nullable=False)
    created_by = Column(
        Integer, ForeignKey("handoff_agents.id", ondelete="SET NULL"), nullable=True
    )
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UtcDateTime(), nullable=False)
    used_at = Column(UtcDateTime(), nullable=True)


class AgentToken(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_agent_tokens"

    token_hash = Column(String(64), primary_key=True)  # sha256 of the bearer token
    agent_id = Column(Integer, ForeignKey("handoff_agents.id", ondelete="CASCADE"), nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)


class Conversation(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_conversations"

    id = Column(String(200), primary_key=True)  # the Rasa sender id
    channel = Column(String(30), nullable=False, default="rest")
    language = Column(String(5), nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    # When the user last wrote, and what we sent since: some platforms (WeChat's
    # 48-hour customer-service window) only accept replies within a window.
    last_inbound_at = Column(UtcDateTime(), nullable=True)
    sent_since_inbound = Column(Integer, nullable=False, default=0)
    tags = Column(JSON, nullable=True)  # ["scam_report", "secret_shared"]: shown to agents


class Message(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_messages"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), nullable=False
    )
    author = Column(String(10), nullable=False)  # user | bot | agent | system
    kind = Column(String(10), nullable=False, default="message")  # message | note
    text = Column(Text, nullable=False)
    buttons = Column(JSON, nullable=True)  # [{"title": …, "payload": …}] offered with the text
    # {"kind": "image"|"file", "path": "var/media/…", "name": …, "mime": …}
    attachment = Column(JSON, nullable=True)
    # Outbound: NULL = delivered; "sending" = stored, being sent by ``handler`` (a
    # dead handler's are sent again by the recovery job); "undelivered" = kept until
    # the user can be reached again; "failed" = the platform refused it after retries
    # (the retry job tries again); "refused" = refused for good, e.g. the user blocked
    # the bot; "dead" = retried to the bound and given up: a human is asked to step in.
    # A user message: "dead" = its turn failed to the bound, the bot never answered it.
    delivery = Column(String(12), nullable=True)
    delivery_error = Column(Text, nullable=True)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    # A user message whose turn has not finished. Set in the transaction that stores
    # it, cleared when the turn is done. A gateway killed mid-turn leaves it set, and
    # once that gateway's liveness lease (``alive:<handler>``) lapses another
    # process's recovery job takes the turn over (it becomes the handler) and
    # finishes it. So pending means unanswered, and a recoverer that dies too
    # leaves the turn to the next one.
    pending = Column(Boolean, nullable=False, default=False)
    # The process handling the turn (a user message) or sending it (a reply).
    handler = Column(String(100), nullable=True)
    # A reply: how often it was sent again (a "failed" one by the retry job, one left
    # "sending" by a dead process by the recovery job). A user message: how often its
    # turn was taken over by the recovery job. Past the bound it is dead-lettered.
    attempts = Column(Integer, nullable=False, default=0)
    # A user message whose recovered turn failed is not taken again before this.
    retry_at = Column(UtcDateTime(), nullable=True)
    # A reply: the user message whose turn sent it. A turn found to have its answer
    # stored is not run again by the recovery job (that would answer it twice).
    reply_to = Column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint("author IN ('user', 'bot', 'agent', 'system')", name="author"),
        CheckConstraint("kind IN ('message', 'note')", name="kind"),
        Index("ix_handoff_messages_conversation", "conversation_id", "id"),
        Index("ix_handoff_messages_delivery", "conversation_id", "delivery"),
        Index("ix_handoff_messages_pending", "pending", "created_at"),
        Index("ix_handoff_messages_failed", "delivery", "created_at"),
        Index("ix_handoff_messages_author_created", "author", "created_at", "conversation_id"),
        Index("ix_handoff_messages_reply_to", "reply_to"),
    )


class HandoffSession(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_sessions"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(
        String(200), ForeignKey("handoff_conversations.id", ondelete="CASCADE"), nullable=False
    )
    # The bot's payload, kept whole; `payload_key` makes a redelivered payload a no-op.
    payload = Column(JSON, nullable=False)
    payload_key = Column(String(64), nullable=False, unique=True)
    reason = Column(String(30), nullable=False)
    priority = Column(String(10), nullable=False)
    language = Column(String(5), nullable=False)
    sla_hours = Column(Integer, nullable=True)
    due_at = Column(UtcDateTime(), nullable=True)
    state = Column(String(10), nullable=False, default="queued")
    # "chat": an agent was available, the bot is silent until resolved;
    # "ticket": nobody was, the bot keeps answering and the agent replies later.
    kind = Column(String(10), nullable=False, default="chat")
    agent_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    queued_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    assigned_at = Column(UtcDateTime(), nullable=True)
    resolved_at = Column(UtcDateTime(), nullable=True)
    reopened_at = Column(UtcDateTime(), nullable=True)
    breached_at = Column(UtcDateTime(), nullable=True)  # first seen past due_at
    csat_status = Column(String(10), nullable=True)  # asked | answered | skipped
    csat_asked_at = Column(UtcDateTime(), nullable=True)
    reminded_at = Column(UtcDateTime(), nullable=True)  # the due-soon reminder
    # The place in the queue the user was last told, and when: they are told again
    # when they move up (store.positions).
    position_told = Column(Integer, nullable=True)
    position_told_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint("state IN ('queued', 'assigned', 'resolved', 'reopened')", name="state"),
        CheckConstraint("kind IN ('chat', 'ticket')", name="kind"),
        Index("ix_handoff_sessions_state_queued", "state", "queued_at"),
        Index("ix_handoff_sessions_conversation", "conversation_id", "state"),
        Index("ix_handoff_sessions_queued", "queued_at"),
        Index("ix_handoff_sessions_breached", "breached_at"),
    )

    @property
    def ticket(self) -> str:
        return f"T-{self.id:06d}"


class Csat(Base):  # type: ignore[valid-type,misc]
    __tablename__ = "handoff_csat"

    id = Column(Integer, primary_key=True)
    session_id = Column(
        Integer, ForeignKey("handoff_sessions.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    score = Column(Integer, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score"),
        Index("ix_handoff_csat_created", "created_at"),
    )


class Delivery(Base):  # type: ignore[valid-type,misc]
    """One row per delivery id (Telegram update_id, WeChat MsgId, a web chat client id).

    A retry, in any process, finds the row and is a no-op; ``message_id`` is what
    the first delivery stored, so a client's retry can be answered with it.
    """

    __tablename__ = "handoff_deliveries"

    channel = Column(String(20), primary_key=True)
    key = Column(String(200), primary_key=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    message_id = Column(Integer, nullable=True)


class Lease(Base):  # type: ignore[valid-type,misc]
    """A named job or role, held by one process until ``expires_at`` (see store.leases)."""

    __tablename__ = "handoff_leases"

    name = Column(String(100), primary_key=True)
    holder = Column(String(100), nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)
    runs = Column(Integer, nullable=False, default=0)


class CachedValue(Base):  # type: ignore[valid-type,misc]
    """Values every gateway process shares, such as a platform access token."""

    __tablename__ = "handoff_cache"

    key = Column(String(100), primary_key=True)
    value = Column(Text, nullable=False)
    expires_at = Column(UtcDateTime(), nullable=False)


class Audit(Base):  # type: ignore[valid-type,misc]
    """What agents tried that the guard stopped (a request for a phrase, an unknown link),
    and what admins and supervisors did (accounts, roles, moved sessions, end users'
    data exported or erased: see store.audit)."""

    __tablename__ = "handoff_audit"

    id = Column(Integer, primary_key=True)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    session_id = Column(Integer, nullable=True)
    action = Column(String(40), nullable=False)
    detail = Column(Text, nullable=False)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_handoff_audit_created", "created_at"),)
