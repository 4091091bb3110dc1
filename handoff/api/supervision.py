"""Supervisors' endpoints: release or reassign the sessions another agent holds."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from handoff.api.auth import desk_of, errors, require_role
from handoff.supervision import hand_over
from store.models import Agent, HandoffSession

api = APIRouter()


class ReassignIn(BaseModel):
    to_agent: int


class Moved(BaseModel):
    sessions: list[int]


# A supervisor or an admin (see handoff.api.auth.require_role).
supervisor = require_role("supervisor")


@api.post("/agents/{agent_id}/release", response_model=Moved)
def release(agent_id: int, request: Request, admin: Agent = Depends(supervisor)) -> Moved:
    """Put every session *agent_id* holds back in the queue."""
    desk = desk_of(request)
    with errors():
        moved = hand_over(
            desk.database, agent_id, by=admin.display_name, hub=desk.hub, actor_id=admin.id
        )
    return Moved(sessions=moved)


@api.post("/agents/{agent_id}/reassign", response_model=Moved)
async def reassign(
    agent_id: int, body: ReassignIn, request: Request, admin: Agent = Depends(supervisor)
) -> Moved:
    """Give every session *agent_id* holds to ``to_agent`` (an active agent)."""
    desk = desk_of(request)
    with errors():
        moved = hand_over(
            desk.database, agent_id, body.to_agent, admin.display_name, desk.hub, admin.id
        )
    # Each user is told who has their case now, as after an agent's own transfer.
    with desk.database() as db:
        target = db.get(Agent, body.to_agent)
        name = target.display_name if target is not None else ""
        sessions = [db.get(HandoffSession, session_id) for session_id in moved]
        told = [(s.conversation_id, s.language) for s in sessions if s is not None]
    for conversation_id, language in told:
        await desk.outbox.tell(conversation_id, language, "transferred", agent=name)
    return Moved(sessions=moved)
