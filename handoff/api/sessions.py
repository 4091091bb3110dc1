"""The queue and one session's life: list, read, claim, transfer, reply, note, resolve,
reopen. Each change is one conditional update, so two agents never both win."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.api.auth import current_agent, desk_of, errors
from handoff.api.schemas import (
    ConversationOut,
    DeskMessage,
    SessionDetail,
    Sessions,
    SessionSummary,
    TextIn,
    TransferIn,
)
from handoff.canned import marker, unfilled
from handoff.desk import Desk
from handoff.views import desk_message
from store import handoffs, messages, routing
from store.models import Agent, Conversation, HandoffSession, Message

api = APIRouter()


def _summary(desk: Desk, db: Session, session: HandoffSession) -> SessionSummary:
    return SessionSummary(**desk.summary(db, session))


def _thread(db: Session, conversation_id: str) -> list[DeskMessage]:
    """Every message of the conversation, notes included, as the console shows them."""
    rows = messages.messages(db, conversation_id, include_notes=True)
    return [DeskMessage(**desk_message(db, m)) for m in rows]


def _summary_of(desk: Desk, session_id: int) -> SessionSummary:
    with desk.database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        return _summary(desk, db, session)


@api.get("/sessions", response_model=Sessions)
def sessions(
    request: Request,
    view: Literal["queue", "mine", "open", "resolved"] = "queue",
    language: Literal["zh", "en", "es"] | None = None,
    channel: str | None = Query(None, max_length=30),
    priority: Literal["urgent", "high", "normal"] | None = None,
    mine: bool = Query(False, description="only sessions assigned to me"),
    agent: Agent = Depends(current_agent),
) -> Sessions:
    """A list, narrowed by the console's filters (each one optional)."""
    desk = desk_of(request)
    where = routing.session_filters(language, channel, priority, agent.id if mine else None)
    with desk.database() as db:
        rows = handoffs.listing(db, view, agent.id, where=where)
        return Sessions(sessions=[_summary(desk, db, s) for s in rows])


@api.get("/sessions/{session_id}", response_model=SessionDetail)
def session_detail(
    session_id: int, request: Request, _: Agent = Depends(current_agent)
) -> SessionDetail:
    desk = desk_of(request)
    with desk.database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        return SessionDetail(
            **desk.summary(db, session),
            payload=session.payload,
            messages=_thread(db, session.conversation_id),
        )


@api.get("/conversations/{conversation_id}", response_model=ConversationOut)
def conversation(
    conversation_id: str, request: Request, _: Agent = Depends(current_agent)
) -> ConversationOut:
    """A whole conversation: every session it had and every message, notes included."""
    desk = desk_of(request)
    with desk.database() as db:
        row = db.get(Conversation, conversation_id)
        if row is None:
            raise HTTPException(404, f"no conversation {conversation_id}")
        history = db.execute(
            select(HandoffSession)
            .where(HandoffSession.conversation_id == conversation_id)
            .order_by(HandoffSession.id)
        ).scalars()
        return ConversationOut(
            id=row.id,
            channel=row.channel,
            language=row.language,
            sessions=[_summary(desk, db, s) for s in history],
            messages=_thread(db, conversation_id),
        )


@api.post("/sessions/{session_id}/claim", response_model=SessionSummary, responses={409: {}})
async def claim(session_id: int, request: Request, agent: Agent = Depends(current_agent)) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.claim(agent, session_id)
    return _summary_of(desk, session_id)


@api.post(
    "/sessions/{session_id}/transfer",
    response_model=SessionSummary,
    responses={
        404: {"description": "no such agent"},
        409: {"description": "not yours, or the agent is away/offline (see `away_ok`)"},
        422: {"description": "the agent is disabled"},
    },
)
async def transfer(
    session_id: int, body: TransferIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    desk = desk_of(request)
    with errors():
        await desk.transfer(agent, session_id, body.agent_id, body.away_ok)
    return _summary_of(desk, session_id)


@api.post("/sessions/{session_id}/messages", response_model=DeskMessage)
async def reply(
    session_id: int, body: TextIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    """Reply to the user; it reaches their chat at once."""
    missing = unfilled(body.text)
    if missing:  # a canned reply's placeholder the session had no value for
        raise HTTPException(422, f"not sent: fill in {', '.join(map(marker, missing))} first")
    desk = desk_of(request)
    with errors():
        sent = await desk.reply(agent, session_id, body.text, body.client_id)
    with desk.database() as db:
        stored = db.get(Message, sent.id)
        assert stored is not None
        return DeskMessage(**desk_message(db, stored))


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
