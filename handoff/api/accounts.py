"""Agents' own endpoints: log in and out, who am I, presence, and the team list."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response

from common.clock import utcnow
from common.http import bearer
from events import DESK
from handoff.api.auth import current_agent, desk_of
from handoff.api.logins import LoginGuard, LoginRefused
from handoff.api.schemas import AgentOut, Agents, LoginIn, LoginOut, PresenceIn
from store import agents
from store.models import Agent

api = APIRouter()


@api.post(
    "/login",
    response_model=LoginOut,
    responses={
        401: {"description": "wrong email or password"},
        429: {"description": "too many failed logins: wait `Retry-After` seconds"},
        503: {"description": "too many logins being checked at once: retry"},
    },
)
async def login(body: LoginIn, request: Request) -> LoginOut:
    """Backoff per account and address (429), a bounded pool of checks (503): see
    :mod:`handoff.api.logins`."""
    guard: LoginGuard = request.app.state.logins
    address = request.client.host if request.client else "unknown"
    try:
        logged_in = await guard.log_in(body.email, body.password, address)
    except LoginRefused as refused:
        headers = {"Retry-After": str(refused.seconds)}
        raise HTTPException(refused.status, str(refused), headers=headers) from None
    if logged_in is None:
        raise HTTPException(401, "wrong email or password")
    desk = desk_of(request)
    with desk.database() as db:
        agent = agents.agent_for_token(db, logged_in.token)
        assert agent is not None
        # Logging in changes no presence: an agent who chose Away stays away.
        return LoginOut(token=logged_in.token, agent=AgentOut(**desk.agent_view(agent)))


@api.post("/logout", status_code=204, response_class=Response)
def logout(
    request: Request, authorization: str = Header(""), _: Agent = Depends(current_agent)
) -> None:
    """Ends this token's session; the agent is offline at once (no more chats, and
    users are no longer told someone is there)."""
    desk = desk_of(request)
    with desk.database.begin() as db:
        row = agents.log_out(db, bearer(authorization))
        out = AgentOut(**desk.agent_view(row)) if row is not None else None
    if out is not None:
        desk.hub.publish(DESK, {"type": "presence", "agent": out.dict()})


@api.get("/me", response_model=AgentOut)
def me(request: Request, agent: Agent = Depends(current_agent)) -> AgentOut:
    return AgentOut(**desk_of(request).agent_view(agent))


@api.put("/presence", response_model=AgentOut)
def presence(body: PresenceIn, request: Request, agent: Agent = Depends(current_agent)) -> AgentOut:
    desk = desk_of(request)
    with desk.database.begin() as db:
        row = agents.set_presence(db, agent.id, body.presence)
        row.last_seen_at = utcnow()
        out = AgentOut(**desk.agent_view(row))
    desk.hub.publish(DESK, {"type": "presence", "agent": out.dict()})
    return out


@api.get("/agents", response_model=Agents)
def list_agents(request: Request, _: Agent = Depends(current_agent)) -> Agents:
    desk = desk_of(request)
    with desk.database() as db:
        rows = agents.active_agents(db)
        return Agents(agents=[AgentOut(**desk.agent_view(a)) for a in rows])
