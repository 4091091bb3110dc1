"""Knowledge assist for an open session: ``GET /sessions/{id}/articles``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from handoff.api.auth import current_agent, desk_of
from handoff.assist import Assist, Unavailable
from store.models import Agent, HandoffSession

api = APIRouter()


class ArticleOut(BaseModel):
    id: str
    title: str = Field(..., description="in the session's language")
    answer: str = Field(..., description="in the session's language, ready to insert")
    score: float = Field(..., description="lexical similarity, for ordering only")
    guard: str | None = Field(
        None, description="why the agent guard would refuse this answer as written, or null"
    )


class Suggestions(BaseModel):
    language: str
    query: str = Field(..., description="the user's recent messages the articles were ranked by")
    articles: list[ArticleOut]


def assist_of(request: Request) -> Assist:
    assist: Assist = request.app.state.assist
    return assist


@api.get("/sessions/{session_id}/articles", response_model=Suggestions, responses={503: {}})
def articles(session_id: int, request: Request, _: Agent = Depends(current_agent)) -> Suggestions:
    """The three articles closest to the user's recent messages (a sync endpoint: the
    ranking runs in the thread pool, not on the event loop)."""
    assist = assist_of(request)
    with desk_of(request).database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        language, query = session.language, assist.query(db, session)
    try:
        found = assist.suggest(language, query)
    except Unavailable as exc:
        raise HTTPException(503, f"knowledge assist is unavailable: {exc}") from exc
    return Suggestions(**found)
