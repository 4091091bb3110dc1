"""What agents' consoles show of rows: sessions, messages, agents (JSON-ready dicts).

The user's own pages show messages as :func:`common.messages.chat_json`; these are
the desk's richer views (notes, delivery state, who wrote it, the session's SLA).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from store import ratings
from store.agents import shown_presence
from store.models import Agent, Conversation, HandoffSession, Message


def agent_json(agent: Agent | None, online_since: datetime | None = None) -> dict[str, Any] | None:
    """*online_since*: consoles seen since then count as online (see
    :func:`store.agents.shown_presence`); without it, the agent's own choice."""
    if agent is None:
        return None
    chosen = "online" if agent.presence == "online" else "away"
    return {
        "id": agent.id,
        "email": agent.email,
        "display_name": agent.display_name,
        "presence": chosen if online_since is None else shown_presence(agent, online_since),
        "chosen": chosen,
        "role": agent.role,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def desk_message(db: Session, message: Message) -> dict[str, Any]:
    agent = db.get(Agent, message.agent_id) if message.agent_id else None
    return {
        "id": message.id,
        "author": message.author,
        "kind": message.kind,
        "text": message.text,
        "buttons": message.buttons or [],
        "attachment": message.attachment,
        "delivery": message.delivery,
        "delivery_error": message.delivery_error,
        "agent": agent_json(agent),
        "created_at": _iso(message.created_at),
    }


def message_event(db: Session, message: Message, session_id: int | None) -> dict[str, Any] | None:
    """The console event for *message*, if an unresolved session shows it."""
    if session_id is None:
        return None
    return {
        "type": "message",
        "session_id": session_id,
        "conversation_id": message.conversation_id,
        "message": desk_message(db, message),
    }


def summary(
    db: Session, session: HandoffSession, now: datetime, online_since: datetime | None = None
) -> dict[str, Any]:
    due = session.due_at
    start = session.reopened_at or session.queued_at or now
    end = session.assigned_at if session.state == "assigned" else None
    if session.state == "resolved":
        end = session.resolved_at
    conversation = db.get(Conversation, session.conversation_id)
    return {
        "id": session.id,
        "ticket": session.ticket,
        "kind": session.kind,
        "state": session.state,
        "priority": session.priority,
        "reason": session.reason,
        "language": session.language,
        "channel": conversation.channel
        if conversation
        else session.conversation_id.partition(":")[0],
        "conversation_id": session.conversation_id,
        "summary": (session.payload or {}).get("summary", ""),
        "queued_at": _iso(session.queued_at),
        "assigned_at": _iso(session.assigned_at),
        "resolved_at": _iso(session.resolved_at),
        "due_at": _iso(due),
        "overdue": session.state != "resolved" and due is not None and due < now,
        "waiting_seconds": int(max(0.0, ((end or now) - start).total_seconds())),
        "agent": agent_json(
            db.get(Agent, session.agent_id) if session.agent_id else None, online_since
        ),
        "csat": ratings.csat_score(db, session.id),
        "tags": (conversation.tags if conversation else None) or [],
    }
