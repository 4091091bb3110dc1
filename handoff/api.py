"""The agent API: login, presence, the queue, and claim/transfer/reply/note/resolve/reopen.

Every endpoint but login needs ``Authorization: Bearer <agent token>``: none or an
unknown one is 401, a web chat visitor's token is 403. See docs/desk-api.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, WebSocket
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, constr
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.settings import ROOT
from handoff import agents, queue
from handoff.desk import Blocked, Desk, Forbidden, agent_json
from handoff.events import DESK, stream_events
from handoff.models import Agent, Conversation, HandoffSession, Message, utcnow

api = APIRouter(prefix="/api/agent", tags=["agent desk"])

HEARTBEAT_SECONDS = 30
MEDIA_ROOT = (ROOT / "var" / "media").resolve()
Text = constr(strip_whitespace=True, min_length=1, max_length=4000)


class LoginIn(BaseModel):
    email: str
    password: str


class AgentOut(BaseModel):
    id: int
    email: str
    display_name: str
    presence: Literal["online", "away"]


class LoginOut(BaseModel):
    token: str
    agent: AgentOut


class PresenceIn(BaseModel):
    presence: Literal["online", "away"]


def client_id_field(description: str) -> Any:
    """A client's own id for what it sends, so that a retry is recognised (optional)."""
    return Field(
        None, min_length=8, max_length=64, regex=r"^[A-Za-z0-9_.:-]+$", description=description
    )


class TextIn(BaseModel):
    text: Text  # type: ignore[valid-type]
    client_id: str | None = client_id_field(
        "the console's id for this reply: a retry with the same id (say, after a gateway "
        "died mid-request) is sent once and answered with the first copy"
    )


class TransferIn(BaseModel):
    agent_id: int


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
        None, description="a file the user sent; fetch it from /api/agent/media/{id}"
    )
    delivery: Literal["undelivered", "failed"] | None = Field(
        None, description="outbound only: null once delivered"
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


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _bearer(authorization: str) -> str:
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def authenticate(desk: Desk, token: str, visitor_check: Any) -> Agent:
    if not token:
        raise HTTPException(401, "log in first: POST /api/agent/login")
    with desk.sessions() as db:
        agent = agents.agent_for_token(db, token)
    if agent is not None:
        return agent
    if visitor_check(token) is not None:
        raise HTTPException(403, "this is an agent endpoint; a web chat token can't use it")
    raise HTTPException(401, "the session token is unknown or expired: log in again")


def current_agent(request: Request, authorization: str = Header("")) -> Agent:
    return authenticate(
        desk_of(request), _bearer(authorization), request.app.state.visitor_tokens.verify
    )


@contextlib.contextmanager
def errors() -> Iterator[None]:
    """The store's exceptions as HTTP answers."""
    try:
        yield
    except queue.NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except queue.Conflict as exc:
        raise HTTPException(409, str(exc)) from exc
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from exc
    except Blocked as exc:
        raise HTTPException(422, str(exc)) from exc


def _summary(desk: Desk, db: Session, session: HandoffSession) -> SessionSummary:
    return SessionSummary(**desk.summary(db, session))


def _summary_of(desk: Desk, session_id: int) -> SessionSummary:
    with desk.sessions() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        return _summary(desk, db, session)


@api.post(
    "/login", response_model=LoginOut, responses={401: {"description": "wrong email or password"}}
)
def login(body: LoginIn, request: Request) -> LoginOut:
    desk = desk_of(request)
    with desk.sessions.begin() as db:
        token = agents.log_in(db, body.email, body.password)
        if token is None:
            raise HTTPException(401, "wrong email or password")
        agent = agents.agent_for_token(db, token)
        assert agent is not None
        return LoginOut(token=token, agent=AgentOut(**agent_json(agent) or {}))


@api.post("/logout", status_code=204, response_class=Response)
def logout(
    request: Request, authorization: str = Header(""), _: Agent = Depends(current_agent)
) -> None:
    desk = desk_of(request)
    with desk.sessions.begin() as db:
        agents.log_out(db, _bearer(authorization))


@api.get("/me", response_model=AgentOut)
def me(agent: Agent = Depends(current_agent)) -> AgentOut:
    return AgentOut(**agent_json(agent) or {})


@api.put("/presence", response_model=AgentOut)
def presence(body: PresenceIn, request: Request, agent: Agent = Depends(current_agent)) -> AgentOut:
    desk = desk_of(request)
    with desk.sessions.begin() as db:
        row = agents.set_presence(db, agent.id, body.presence)
        row.last_seen_at = utcnow()
        out = AgentOut(**agent_json(row) or {})
    desk.hub.publish(DESK, {"type": "presence", "agent": out.dict()})
    return out


@api.get("/agents", response_model=Agents)
def list_agents(request: Request, _: Agent = Depends(current_agent)) -> Agents:
    desk = desk_of(request)
    with desk.sessions() as db:
        rows = agents.active_agents(db)
        return Agents(agents=[AgentOut(**agent_json(a) or {}) for a in rows])


@api.get("/sessions", response_model=Sessions)
def sessions(
    request: Request,
    view: Literal["queue", "mine", "open", "resolved"] = "queue",
    agent: Agent = Depends(current_agent),
) -> Sessions:
    desk = desk_of(request)
    with desk.sessions() as db:
        rows = queue.listing(db, view, agent.id)
        return Sessions(sessions=[_summary(desk, db, s) for s in rows])


@api.get("/sessions/{session_id}", response_model=SessionDetail)
def session_detail(
    session_id: int, request: Request, _: Agent = Depends(current_agent)
) -> SessionDetail:
    desk = desk_of(request)
    with desk.sessions() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        rows = queue.messages(db, session.conversation_id, include_notes=True)
        return SessionDetail(
            **desk.summary(db, session),
            payload=session.payload,
            messages=[DeskMessage(**desk.desk_message(db, m)) for m in rows],
        )


@api.get("/conversations/{conversation_id}", response_model=ConversationOut)
def conversation(
    conversation_id: str, request: Request, _: Agent = Depends(current_agent)
) -> ConversationOut:
    """A whole conversation: every session it had and every message, notes included."""
    desk = desk_of(request)
    with desk.sessions() as db:
        row = db.get(Conversation, conversation_id)
        if row is None:
            raise HTTPException(404, f"no conversation {conversation_id}")
        history = db.execute(
            select(HandoffSession)
            .where(HandoffSession.conversation_id == conversation_id)
            .order_by(HandoffSession.id)
        ).scalars()
        rows = queue.messages(db, conversation_id, include_notes=True)
        return ConversationOut(
            id=row.id,
            channel=row.channel,
            language=row.language,
            sessions=[_summary(desk, db, s) for s in history],
            messages=[DeskMessage(**desk.desk_message(db, m)) for m in rows],
        )


@api.get("/media/{message_id}", response_class=FileResponse)
def media(
    message_id: int, request: Request, token: str = "", authorization: str = Header("")
) -> FileResponse:
    """A file the user sent (``?token=`` works too, so the console can use it in ``<img>``)."""
    desk = desk_of(request)
    verify = request.app.state.visitor_tokens.verify
    authenticate(desk, _bearer(authorization) or token, verify)
    with desk.sessions() as db:
        message = db.get(Message, message_id)
        attachment = message.attachment if message is not None else None
    if not attachment:
        raise HTTPException(404, f"message {message_id} has no attachment")
    path = (ROOT / attachment["path"]).resolve()
    if MEDIA_ROOT not in path.parents or not path.is_file():
        raise HTTPException(404, "the file is gone")
    return FileResponse(path, media_type=attachment.get("mime") or None, filename=path.name)


@api.post("/sessions/{session_id}/claim", response_model=SessionSummary, responses={409: {}})
async def claim(session_id: int, request: Request, agent: Agent = Depends(current_agent)) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.claim(agent, session_id)
    return _summary_of(desk, session_id)


@api.post("/sessions/{session_id}/transfer", response_model=SessionSummary)
async def transfer(
    session_id: int, body: TransferIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.transfer(agent, session_id, body.agent_id)
    return _summary_of(desk, session_id)


@api.post("/sessions/{session_id}/messages", response_model=DeskMessage)
async def reply(
    session_id: int, body: TextIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    """Reply to the user; it reaches their chat at once."""
    desk = desk_of(request)
    with errors():
        sent = await desk.reply(agent, session_id, body.text, body.client_id)
    desk = desk_of(request)
    with desk.sessions() as db:
        stored = db.get(Message, sent.id)
        assert stored is not None
        return DeskMessage(**desk.desk_message(db, stored))


@api.post("/sessions/{session_id}/notes", response_model=DeskMessage)
def note(
    session_id: int, body: TextIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    """An internal note: agents see it, the user never does."""
    with errors():
        return DeskMessage(**desk_of(request).note(agent, session_id, body.text))


@api.post("/sessions/{session_id}/resolve", response_model=SessionSummary)
async def resolve(session_id: int, request: Request, agent: Agent = Depends(current_agent)) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.resolve(agent, session_id)
    return _summary_of(desk, session_id)


@api.post("/sessions/{session_id}/reopen", response_model=SessionSummary)
async def reopen(session_id: int, request: Request, agent: Agent = Depends(current_agent)) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.reopen(agent, session_id)
    return _summary_of(desk, session_id)


@api.websocket("/ws")
async def stream(websocket: WebSocket, token: str = "") -> None:
    """Pushes queue, message and presence events to a logged-in console."""
    desk: Desk = websocket.app.state.desk
    try:
        agent = authenticate(desk, token, websocket.app.state.visitor_tokens.verify)
    except HTTPException as exc:
        await websocket.close(code=4000 + exc.status_code, reason=str(exc.detail))
        return
    await websocket.accept()

    def seen() -> None:
        with desk.sessions.begin() as db:
            row = db.get(Agent, agent.id)
            if row is not None:
                row.last_seen_at = utcnow()

    async with desk.hub.subscribe(DESK) as events:
        await stream_events(websocket, events, tick=seen, every=HEARTBEAT_SECONDS)
