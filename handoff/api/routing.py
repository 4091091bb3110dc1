"""Routing's endpoints: the auto-assignment switch, agents' languages and capacity,
and the supervisor's view of the team's load. See docs/desk-api.md, "Routing"."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, validator
from sqlalchemy.orm import Session

from handoff.api.auth import current_agent, desk_of, require_role
from handoff.api.schemas import AgentOut
from handoff.api.supervision import supervisor
from handoff.desk import Desk
from handoff.views import agent_json
from store import agents, audit, routing
from store.models import Agent

api = APIRouter(prefix="/routing")


class RoutingOut(BaseModel):
    auto_assign: bool
    languages: list[str]  # the languages an agent may have


class RoutingIn(BaseModel):
    auto_assign: bool


class ProfileIn(BaseModel):
    languages: list[str] | None = None
    max_chats: int | None = None

    @validator("languages")
    def _languages(cls, value: list[str] | None) -> list[str] | None:
        ordered = routing.checked(value, None)  # RoutingError is a ValueError: 422
        return list(ordered) if ordered is not None else None

    @validator("max_chats")
    def _max_chats(cls, value: int | None) -> int | None:
        routing.checked(None, value)
        return value


class AgentLoad(BaseModel):
    agent: AgentOut
    is_admin: bool
    role: str  # agent | supervisor | admin
    available: bool  # online and seen lately: auto-assignment may give them chats
    languages: list[str]
    max_chats: int
    load: int  # live chats assigned now
    over_capacity: bool  # more than max_chats (claimed by hand or reassigned)


class Team(BaseModel):
    agents: list[AgentLoad]


def _loads(desk: Desk, db: Session, rows: list[Agent]) -> list[AgentLoad]:
    seen_since = desk.clock() - timedelta(seconds=desk.settings.presence_timeout_seconds)
    profiles = routing.profiles(db, [a.id for a in rows])
    out = []
    for agent in rows:
        profile = profiles[agent.id]
        seen = agent.last_seen_at is not None and agent.last_seen_at >= seen_since
        out.append(
            AgentLoad(
                agent=AgentOut(**agent_json(agent) or {}),
                is_admin=bool(agent.is_admin),
                role=agent.role,
                available=agent.presence == "online" and seen,
                languages=list(profile.languages),
                max_chats=profile.max_chats,
                load=profile.load,
                over_capacity=profile.load > profile.max_chats,
            )
        )
    return out


def _setting(desk: Desk, db: Session) -> RoutingOut:
    on = routing.auto_assign(db, desk.settings.auto_assign)
    return RoutingOut(auto_assign=on, languages=list(routing.LANGUAGES))


@api.get("", response_model=RoutingOut)
def setting(request: Request, _: Agent = Depends(current_agent)) -> RoutingOut:
    desk = desk_of(request)
    with desk.database() as db:
        return _setting(desk, db)


@api.put("", response_model=RoutingOut)
async def switch(
    body: RoutingIn, request: Request, boss: Agent = Depends(supervisor)
) -> RoutingOut:
    """Turn auto-assignment on or off for the whole desk (every gateway)."""
    desk = desk_of(request)
    with desk.database.begin() as db:
        routing.set_auto_assign(db, body.auto_assign)
        audit.record(db, boss.id, "routing.switch", {"auto_assign": body.auto_assign})
        out = _setting(desk, db)
    await desk.routed()  # the chats already waiting
    return out


@api.get("/me", response_model=AgentLoad)
def mine(request: Request, agent: Agent = Depends(current_agent)) -> AgentLoad:
    """The caller's own languages, capacity and load."""
    desk = desk_of(request)
    with desk.database() as db:
        row = db.get(Agent, agent.id)
        assert row is not None
        return _loads(desk, db, [row])[0]


@api.get("/agents", response_model=Team)
def team(request: Request, _: Agent = Depends(supervisor)) -> Team:
    """Every active agent's presence, languages and load (the supervisor view)."""
    desk = desk_of(request)
    with desk.database() as db:
        return Team(agents=_loads(desk, db, agents.active_agents(db)))


@api.put("/agents/{agent_id}", response_model=AgentLoad)
async def set_profile(
    agent_id: int, body: ProfileIn, request: Request, admin: Agent = Depends(require_role("admin"))
) -> AgentLoad:
    """Set an agent's languages and/or maximum of concurrent chats (admins)."""
    desk = desk_of(request)
    with desk.database.begin() as db:
        row = db.get(Agent, agent_id)
        if row is None or not row.active:
            raise HTTPException(404, f"no active agent {agent_id}")
        profile = routing.set_profile(db, agent_id, body.languages, body.max_chats)
        detail = {"agent": agent_id, "languages": list(profile.languages)}
        audit.record(db, admin.id, "agent.profile", {**detail, "max_chats": profile.max_chats})
    await desk.routed()  # a new language or a higher cap may fit a waiting chat
    with desk.database() as db:
        row = db.get(Agent, agent_id)
        assert row is not None
        return _loads(desk, db, [row])[0]
