"""A supervisor's hand on another agent's chats: release them to the queue, or give
them to a colleague. Used when an agent is disabled mid-shift (CLI and admin API)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from events import DESK, EventHub
from store import NotFound, audit, handoffs, messages
from store.models import Agent


def hand_over(
    database: sessionmaker[Session],
    agent_id: int,
    to_agent: int | None = None,
    by: str = "a supervisor",
    hub: EventHub | None = None,
    actor_id: int | None = None,
) -> list[int]:
    """Release (or, with *to_agent*, reassign) every session *agent_id* holds; their ids.

    Each session moves by the store's conditional update, so one the agent resolved
    a moment ago is skipped rather than reopened. The move is in the audit log, by
    *actor_id* (None: the operator's CLI).
    """
    moved = []
    with database.begin() as db:
        agent = db.get(Agent, agent_id)
        if agent is None:
            raise NotFound(f"no agent {agent_id}")
        target = db.get(Agent, to_agent) if to_agent is not None else None
        if to_agent is not None and (target is None or not target.active):
            raise NotFound(f"no active agent {to_agent}")
        for session in handoffs.assigned_to(db, agent_id):
            if target is None:
                handoffs.release(db, session.id, agent_id)
                note = f"Released to the queue by {by} (was {agent.display_name})"
            else:
                handoffs.transfer(db, session.id, agent_id, target.id)
                note = f"Reassigned by {by} from {agent.display_name} to {target.display_name}"
            messages.add_message(db, session.conversation_id, "system", note, kind="note")
            moved.append(session.id)
        action = "sessions.release" if target is None else "sessions.reassign"
        detail = {"agent": agent_id, "to_agent": to_agent, "sessions": moved, "by": by}
        audit.record(db, actor_id, action, detail)
    if hub is not None and moved:
        hub.publish(DESK, {"type": "queue"})
    return moved
