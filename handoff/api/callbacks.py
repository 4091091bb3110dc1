"""A session's phone callback: the number to dial and the slot (agents only: the one
place the full number is shown), and marking it done with what came of it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from handoff.api.auth import current_agent, desk_of, errors
from handoff.api.schemas import SessionSummary, Text
from handoff.callbacks import Callbacks
from store.models import Agent, HandoffSession

api = APIRouter()


class CallbackOut(BaseModel):
    number: str | None  # international format, for dialling; None if it was lost
    e164: str | None
    slot_start: str
    slot_end: str
    state: str  # booked | done
    outcome: str | None
    done_by: int | None
    done_at: str | None


class OutcomeIn(BaseModel):
    outcome: Text  # type: ignore[valid-type]


@api.get("/sessions/{session_id}/callback", response_model=CallbackOut)
def callback(session_id: int, request: Request, _: Agent = Depends(current_agent)) -> Any:
    found = Callbacks(desk_of(request)).record(session_id)
    if found is None:
        raise HTTPException(404, f"session {session_id} has no callback")
    return found


@api.post(
    "/sessions/{session_id}/callback/done",
    response_model=SessionSummary,
    responses={403: {}, 404: {}, 409: {"description": "not claimed by you, or already done"}},
)
async def done(
    session_id: int, body: OutcomeIn, request: Request, agent: Agent = Depends(current_agent)
) -> Any:
    """Mark the callback done with its outcome (kept, and added as a note), and resolve the
    ticket. Like resolving: only the agent who claimed it."""
    desk = desk_of(request)
    with errors():
        await Callbacks(desk).done(agent, session_id, body.outcome)
    with desk.database() as db:
        session = db.get(HandoffSession, session_id)
        assert session is not None
        return SessionSummary(**desk.summary(db, session))
