"""Search and history: find sessions by ticket number, user id, tx hash, address or
text (:mod:`store.search`), and list the same user's earlier sessions.

Agents see what the rest of the desk API shows them: any session and its messages,
notes included. Texts are the guard's redacted ones, and so is the index.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from handoff.api.auth import current_agent, desk_of
from handoff.api.schemas import Sessions, SessionSummary
from handoff.snippets import snippet
from handoff.views import summary
from store import search
from store.models import Agent, HandoffSession

api = APIRouter()


class SearchHit(BaseModel):
    session_id: int
    ticket: str
    state: str
    user: str = Field(..., description="the user's id on their channel")
    conversation_id: str
    channel: str
    matched: Literal["ticket", "user", "message"]
    message_id: int | None = Field(None, description="the matching message, for `message`")
    author: str | None
    snippet: str = Field(..., description="the text around the match (a session's summary)")
    highlights: list[tuple[int, int]] = Field(
        [], description="[start, end) character ranges of the words found, within `snippet`"
    )
    at: str = Field(..., description="when the message was written, or the session queued")


class SearchOut(BaseModel):
    query: str
    terms: list[str] = Field(..., description="the words searched, each required")
    hits: list[SearchHit]
    next_offset: int | None = Field(None, description="the `offset` of the next page, if any")


@api.get(
    "/search",
    response_model=SearchOut,
    responses={422: {"description": f"the query is over {search.MAX_QUERY} characters"}},
)
def find(
    request: Request,
    q: str = Query(
        ..., description="a ticket (T-000123), a user id, a tx hash, an address or words"
    ),
    limit: int = Query(20, ge=1, le=50),
    offset: int = Query(0, ge=0, le=1000),
    _: Agent = Depends(current_agent),
) -> SearchOut:
    """Sessions the query names first (its ticket, the user's sessions), then the
    messages that hold every word, newest first."""
    try:
        query = search.parse(q)
    except search.QueryTooLong as exc:
        raise HTTPException(422, str(exc)) from exc
    with desk_of(request).database() as db:
        hits = search.search(db, query, limit + 1, offset)
        channels = search.channels(db, hits)
        out = [_hit(h, channels[h.session.conversation_id], query.terms) for h in hits[:limit]]
    more = offset + limit if len(hits) > limit else None
    return SearchOut(query=query.raw, terms=list(query.terms), hits=out, next_offset=more)


def _hit(hit: search.Hit, channel: str, terms: tuple[str, ...]) -> SearchHit:
    session = hit.session
    source = hit.message.text if hit.message is not None else session.payload.get("summary", "")
    text, marks = snippet(str(source or ""), terms)
    return SearchHit(
        session_id=session.id,
        ticket=session.ticket,
        state=session.state,
        user=session.conversation_id.partition(":")[2] or session.conversation_id,
        conversation_id=session.conversation_id,
        channel=channel,
        matched=hit.matched,  # type: ignore[arg-type]
        message_id=hit.message.id if hit.message is not None else None,
        author=hit.message.author if hit.message is not None else None,
        snippet=text,
        highlights=marks,
        at=search.hit_time(hit).isoformat(),
    )


@api.get("/sessions/{session_id}/history", response_model=Sessions)
def history(session_id: int, request: Request, _: Agent = Depends(current_agent)) -> Sessions:
    """The same user's earlier sessions (same conversation), newest first."""
    desk = desk_of(request)
    with desk.database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        now = desk.clock()
        rows = search.earlier_sessions(db, session)
        return Sessions(sessions=[SessionSummary(**summary(db, s, now)) for s in rows])
