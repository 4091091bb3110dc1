"""Admins' endpoints: accounts (create, disable, role, languages, set-password links)
and the audit log. Every change is an audit row written with it. See docs/desk-api.md,
"Roles and accounts"."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field, validator
from sqlalchemy.orm import Session

from handoff.api.auth import desk_of, errors, require_role
from handoff.supervision import hand_over
from store import accounts, audit, routing
from store.agents import AgentError, create_agent
from store.models import Agent, PasswordLink

api = APIRouter(prefix="/admin")
admin_only = require_role("admin")
Role = Literal["agent", "supervisor", "admin"]


class AccountOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    active: bool
    languages: list[str]
    max_chats: int
    created_at: datetime


class Accounts(BaseModel):
    agents: list[AccountOut]


def _languages(value: list[str] | None) -> list[str] | None:
    ordered = routing.checked(value, None)  # RoutingError is a ValueError: 422
    return list(ordered) if ordered is not None else None


class AccountIn(BaseModel):
    email: str = Field(..., max_length=254)
    display_name: str = Field(..., max_length=100)
    role: Role = "agent"
    languages: list[str] | None = None
    password: str | None = Field(
        None, description="an initial password; without one a set-password link is returned"
    )

    _check = validator("languages", allow_reuse=True)(_languages)


class AccountPatch(BaseModel):
    role: Role | None = None
    active: bool | None = None
    languages: list[str] | None = None
    display_name: str | None = Field(None, min_length=1, max_length=100)

    _check = validator("languages", allow_reuse=True)(_languages)


class LinkOut(BaseModel):
    url: str = Field(..., description="the console page that sets the password; shown once")
    expires_at: datetime


class Created(BaseModel):
    agent: AccountOut
    link: LinkOut | None


class AuditRow(BaseModel):
    id: int
    action: str
    agent_id: int | None
    agent: str | None  # who did it (display name); None: the operator's CLI or a job
    session_id: int | None
    detail: dict[str, Any]
    created_at: datetime


class AuditLog(BaseModel):
    rows: list[AuditRow]


def _account(db: Session, agent: Agent) -> AccountOut:
    profile = routing.profiles(db, [agent.id])[agent.id]
    return AccountOut(
        id=agent.id,
        email=agent.email,
        display_name=agent.display_name,
        role=agent.role,
        active=bool(agent.active),
        languages=list(profile.languages),
        max_chats=profile.max_chats,
        created_at=agent.created_at,
    )


def _link(token: str, row: PasswordLink) -> LinkOut:
    # In the fragment: a browser never sends it, so no access log holds the token.
    return LinkOut(url=f"/console/set-password.html#token={token}", expires_at=row.expires_at)


@api.get("/agents", response_model=Accounts)
def list_accounts(request: Request, _: Agent = Depends(admin_only)) -> Accounts:
    """Every account, disabled ones included."""
    with desk_of(request).database() as db:
        return Accounts(agents=[_account(db, a) for a in accounts.everyone(db)])


@api.post("/agents", response_model=Created, status_code=201)
async def create(body: AccountIn, request: Request, admin: Agent = Depends(admin_only)) -> Created:
    """A new account with an initial password, or (without one) a one-time link."""
    desk = desk_of(request)
    link = None
    with desk.database.begin() as db:
        try:
            row = create_agent(db, body.email, body.display_name, body.password, body.role)
        except AgentError as exc:
            raise HTTPException(422, str(exc)) from exc
        if body.languages is not None:
            routing.set_profile(db, row.id, body.languages)
        if body.password is None:
            link = _link(*accounts.new_link(db, row.id, admin.id))
        detail = {"agent": row.id, "email": row.email, "role": row.role}
        audit.record(db, admin.id, "agent.create", {**detail, "by_link": link is not None})
        out = _account(db, row)
    return Created(agent=out, link=link)


@api.patch("/agents/{agent_id}", response_model=AccountOut)
async def change(
    agent_id: int, body: AccountPatch, request: Request, admin: Agent = Depends(admin_only)
) -> AccountOut:
    """Change the role, enable or disable, set languages or the name; each change is an
    audit row. Disabling ends the agent's logins and puts their chats back in the queue.
    The last active admin can't be demoted or disabled (409)."""
    desk = desk_of(request)
    with errors(), desk.database.begin() as db:
        row = accounts.agent(db, agent_id)
        if body.role is not None and body.role != row.role:
            before = row.role
            accounts.set_role(db, agent_id, body.role)
            audit.record(
                db, admin.id, "agent.role", {"agent": agent_id, "from": before, "to": body.role}
            )
        if body.active is not None and body.active != row.active:
            accounts.set_active(db, agent_id, body.active)
            action = "agent.enable" if body.active else "agent.disable"
            audit.record(db, admin.id, action, {"agent": agent_id, "email": row.email})
        if body.languages is not None:
            profile = routing.set_profile(db, agent_id, body.languages)
            detail = {"agent": agent_id, "languages": list(profile.languages)}
            audit.record(db, admin.id, "agent.profile", detail)
        if body.display_name is not None and body.display_name.strip() != row.display_name:
            detail = {"agent": agent_id, "from": row.display_name, "to": body.display_name}
            row.display_name = body.display_name.strip()
            audit.record(db, admin.id, "agent.rename", detail)
    if body.active is False:
        with errors():
            hand_over(
                desk.database, agent_id, by=admin.display_name, hub=desk.hub, actor_id=admin.id
            )
    if body.languages is not None or body.active is not None:
        await desk.routed()  # a waiting chat may fit the change
    with desk.database() as db:
        return _account(db, accounts.agent(db, agent_id))


@api.post("/agents/{agent_id}/link", response_model=LinkOut, status_code=201)
def new_link(agent_id: int, request: Request, admin: Agent = Depends(admin_only)) -> LinkOut:
    """A new one-time set-password link (a reset); an older unused one stops working."""
    desk = desk_of(request)
    with errors(), desk.database.begin() as db:
        if not accounts.agent(db, agent_id).active:
            raise HTTPException(409, "the account is disabled: enable it first")
        link = _link(*accounts.new_link(db, agent_id, admin.id))
        audit.record(db, admin.id, "agent.link", {"agent": agent_id})
    return link


@api.get("/audit", response_model=AuditLog)
def audit_log(
    request: Request, limit: int = 100, before: int | None = None, _: Agent = Depends(admin_only)
) -> AuditLog:
    """The newest rows first; ``before`` (an id) pages back."""
    with desk_of(request).database() as db:
        rows = audit.recent(db, max(1, min(limit, 500)), before)
        names = {a.id: a.display_name for a in accounts.everyone(db)}
        return AuditLog(
            rows=[
                AuditRow(
                    id=r.id,
                    action=r.action,
                    agent_id=r.agent_id,
                    agent=names.get(r.agent_id) if r.agent_id else None,
                    session_id=r.session_id,
                    detail=audit.detail_of(r),
                    created_at=r.created_at,
                )
                for r in rows
            ]
        )
