"""Canned replies: the team's list (``/canned``) and the list filled in for a session.

Every agent may add one; its author and supervisors may change or delete it.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from common.language import Language
from handoff.api.auth import current_agent, desk_of, errors
from handoff.api.schemas import AgentOut
from handoff.canned import (
    PLACEHOLDERS,
    Invalid,
    clean_shortcut,
    clean_variants,
    fill,
    session_values,
)
from handoff.views import agent_json
from store import NotFound, canned
from store.models import Agent, HandoffSession

api = APIRouter()


class CannedIn(BaseModel):
    shortcut: str = Field(..., max_length=100, description="typed after '/' in the reply box")
    variants: dict[str, str] = Field(
        ..., description='{"zh": "…", "en": "…", "es": "…"}: at least one, none empty'
    )


class CannedOut(BaseModel):
    id: int
    shortcut: str
    variants: dict[str, str]
    created_by: AgentOut | None
    updated_at: str
    can_edit: bool = Field(..., description="the caller wrote it, or is a supervisor")


class CannedList(BaseModel):
    replies: list[CannedOut]
    placeholders: dict[str, str] = Field(..., description="name -> where its value comes from")


class FilledOut(BaseModel):
    id: int
    shortcut: str
    language: str = Field(..., description="the variant used: the session's, else en")
    text: str = Field(..., description="placeholders filled; a missing value stays [[name]]")
    missing: list[str]
    guard: str | None = Field(
        None, description="why the agent guard would refuse this text as filled, or null"
    )


class FilledList(BaseModel):
    language: str
    replies: list[FilledOut]


def _may_edit(agent: Agent, reply: canned.CannedReply) -> bool:
    return agent.role in ("supervisor", "admin") or (
        reply.created_by is not None and reply.created_by == agent.id
    )


def _out(db_agent: Agent | None, reply: canned.CannedReply, caller: Agent) -> CannedOut:
    author = agent_json(db_agent)
    return CannedOut(
        id=reply.id,
        shortcut=reply.shortcut,
        variants={str(lang): text for lang, text in reply.variants().items()},
        created_by=AgentOut(**author) if author else None,
        updated_at=reply.updated_at.isoformat(),
        can_edit=_may_edit(caller, reply),
    )


def _checked(body: CannedIn) -> tuple[str, dict[Language, str]]:
    try:
        return clean_shortcut(body.shortcut), clean_variants(body.variants)
    except Invalid as exc:
        raise HTTPException(422, str(exc)) from exc


@api.get("/canned", response_model=CannedList)
def list_replies(request: Request, agent: Agent = Depends(current_agent)) -> CannedList:
    with desk_of(request).database() as db:
        rows = canned.all_replies(db)
        replies = [
            _out(db.get(Agent, r.created_by) if r.created_by else None, r, agent) for r in rows
        ]
    return CannedList(replies=replies, placeholders=PLACEHOLDERS)


@api.post("/canned", response_model=CannedOut, status_code=201, responses={409: {}, 422: {}})
def create(body: CannedIn, request: Request, agent: Agent = Depends(current_agent)) -> CannedOut:
    shortcut, variants = _checked(body)
    with errors(), desk_of(request).database.begin() as db:
        reply = canned.save_reply(db, shortcut, variants, agent.id)
        return _out(agent, reply, agent)


@api.put("/canned/{reply_id}", response_model=CannedOut, responses={403: {}, 404: {}, 409: {}})
def update(
    reply_id: int, body: CannedIn, request: Request, agent: Agent = Depends(current_agent)
) -> CannedOut:
    shortcut, variants = _checked(body)
    with errors(), desk_of(request).database.begin() as db:
        reply = canned.get_reply(db, reply_id)
        if not _may_edit(agent, reply):
            raise HTTPException(403, "only its author or a supervisor may change this reply")
        canned.save_reply(db, shortcut, variants, reply=reply)
        author = db.get(Agent, reply.created_by) if reply.created_by else None
        return _out(author, reply, agent)


@api.delete("/canned/{reply_id}", status_code=204, responses={403: {}, 404: {}})
def delete(reply_id: int, request: Request, agent: Agent = Depends(current_agent)) -> Response:
    with errors(), desk_of(request).database.begin() as db:
        reply = canned.get_reply(db, reply_id)
        if not _may_edit(agent, reply):
            raise HTTPException(403, "only its author or a supervisor may delete this reply")
        canned.delete_reply(db, reply)
    return Response(status_code=204)


@api.get("/sessions/{session_id}/canned", response_model=FilledList)
def filled(session_id: int, request: Request, agent: Agent = Depends(current_agent)) -> FilledList:
    """Every reply in the session's language, filled in from what the session knows."""
    desk = desk_of(request)
    with errors(), desk.database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise NotFound(f"no handoff session {session_id}")
        values = session_values(session, agent)
        stored = canned.all_replies(db)
    # Filled and checked by the guard after the transaction: on SQLite it holds the
    # one write lock, and every other console request waits for it.
    replies = []
    for reply in stored:
        done = fill(reply.variants(), session.language, values)
        refused = desk.check_reply(done.text)
        replies.append(FilledOut(id=reply.id, shortcut=reply.shortcut, guard=refused, **vars(done)))
    return FilledList(language=session.language, replies=replies)
