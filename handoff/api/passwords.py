"""The one-time set-password link, used by the agent it was made for (no login).

The token travels in the request body only; a used, expired or unknown one is 410."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from handoff.api.auth import desk_of
from store import NotFound, accounts, audit
from store.agents import AgentError

api = APIRouter(prefix="/password-link")
GONE = "this link is unknown, expired or already used: ask an admin for a new one"


class LinkIn(BaseModel):
    token: str = Field(..., max_length=100)


class PasswordIn(LinkIn):
    password: str = Field(..., max_length=1000)


class LinkInfo(BaseModel):
    email: str
    display_name: str
    expires_at: datetime


@api.post("/check", response_model=LinkInfo, responses={410: {"description": GONE}})
def check(body: LinkIn, request: Request) -> LinkInfo:
    """Whose link it is, if it still works (the page shows the email)."""
    with desk_of(request).database() as db:
        row = accounts.open_link(db, body.token)
        agent = accounts.agent(db, row.agent_id) if row is not None else None
        if row is None or agent is None or not agent.active:
            raise HTTPException(410, GONE)
        return LinkInfo(
            email=agent.email, display_name=agent.display_name, expires_at=row.expires_at
        )


@api.post(
    "",
    status_code=204,
    response_class=Response,
    responses={410: {"description": GONE}, 422: {"description": "a weak password"}},
)
def use(body: PasswordIn, request: Request) -> None:
    """Set the password; the link stops working, and the agent logs in with it."""
    with desk_of(request).database.begin() as db:
        try:
            agent = accounts.use_link(db, body.token, body.password)
        except AgentError as exc:
            raise HTTPException(422, str(exc)) from exc
        except NotFound as exc:
            raise HTTPException(410, str(exc)) from exc
        audit.record(db, agent.id, "agent.password_set", {"agent": agent.id, "by": "link"})
