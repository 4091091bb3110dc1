"""The agent API's request and response bodies (the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, constr

from common.http import client_id_field
from common.messages import MAX_TEXT

Text = constr(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)


class LoginIn(BaseModel):
    email: str
    password: str


class AgentOut(BaseModel):
    id: int
    email: str
    display_name: str
    presence: Literal["online", "away", "offline"] = Field(
        ...,
        description="what others see: away (the agent's choice), online (chose online and "
        "a console is connected), offline (chose online, but logged out or no console)",
    )
    chosen: Literal["online", "away"] = Field(..., description="the agent's own choice")
    role: Literal["agent", "supervisor", "admin"] = Field(
        "agent", description="what the API lets them do: see docs/desk-api.md, Roles"
    )


class LoginOut(BaseModel):
    token: str
    agent: AgentOut


class PresenceIn(BaseModel):
    presence: Literal["online", "away"]


class TextIn(BaseModel):
    text: Text  # type: ignore[valid-type]
    client_id: str | None = client_id_field(
        "the console's id for this reply: a retry with the same id (say, after a gateway "
        "died mid-request) is sent once and answered with the first copy"
    )


class TransferIn(BaseModel):
    agent_id: int
    away_ok: bool = Field(
        False, description="transfer even though the agent is away or offline (else 409)"
    )


class SessionSummary(BaseModel):
    id: int
    ticket: str
    kind: Literal["chat", "ticket"]
    state: Literal["queued", "assigned", "resolved", "reopened"]
    priority: str
    reason: str
    language: str
    channel: str
    conversation_id: str
    summary: str
    queued_at: str | None
    assigned_at: str | None
    resolved_at: str | None
    due_at: str | None
    overdue: bool
    waiting_seconds: int
    agent: AgentOut | None
    csat: int | None
    tags: list[str] = Field([], description="scam_report, secret_shared: read before replying")


class DeskMessage(BaseModel):
    id: int
    author: Literal["user", "bot", "agent", "system"]
    kind: Literal["message", "note"]
    text: str
    buttons: list[dict[str, str]] = []
    attachment: dict[str, str] | None = Field(
        None,
        description="a file the user sent: GET /api/agent/media/{id} (bearer), or a signed "
        "link from /api/agent/media/{id}/link for an <img>",
    )
    delivery: Literal["sending", "undelivered", "failed", "refused", "dead"] | None = Field(
        None,
        description="outbound: null once delivered, sending until the platform took it; "
        "refused is final (never retried); dead: retried to the bound, reach the user "
        "another way. A user message: dead when the bot could not answer it (answer it)",
    )
    delivery_error: str | None = None
    agent: AgentOut | None
    created_at: str | None


class SessionDetail(SessionSummary):
    payload: dict[str, Any] = Field(..., description="the bot's handoff payload, whole")
    messages: list[DeskMessage]


class ConversationOut(BaseModel):
    id: str
    channel: str
    language: str | None
    sessions: list[SessionSummary]
    messages: list[DeskMessage]


class Sessions(BaseModel):
    sessions: list[SessionSummary]


class Agents(BaseModel):
    agents: list[AgentOut]
