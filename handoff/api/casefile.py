"""A stolen-funds session's case file (common/casefile.py), for the agent to read,
download, or send to the user in their language.

The text is made from the handoff payload the bot sent, then passes the guard as any
agent message does: secrets redacted (there should be none: it is public chain data),
and links checked against the official domains and the block explorers. A file the
guard would refuse is still readable by the agent, but marked as not sendable.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from common.casefile import render
from handoff.api.auth import current_agent, desk_of
from store.models import Agent, HandoffSession

api = APIRouter()


class CaseFileOut(BaseModel):
    text: str  # Markdown; reads as plain text too
    filename: str
    language: Literal["zh", "en", "es"]
    # Why the guard would refuse to send it to the user, or None when it may go.
    refused: str | None = None


@api.get(
    "/sessions/{session_id}/case-file",
    response_model=CaseFileOut,
    responses={404: {"description": "no such session, or it has no case file"}},
)
def case_file(
    session_id: int,
    request: Request,
    language: Literal["zh", "en", "es"] | None = None,
    _: Agent = Depends(current_agent),
) -> CaseFileOut:
    """The findings of the stolen-funds check, in *language* (default: the user's)."""
    desk = desk_of(request)
    with desk.database() as db:
        session = db.get(HandoffSession, session_id)
        if session is None:
            raise HTTPException(404, f"no handoff session {session_id}")
        payload = session.payload or {}
        ticket = str(desk.summary(db, session)["ticket"])
    details = payload.get("details") or {}
    if not isinstance(details, dict) or not (
        details.get("forensic") or details.get("affected_address")
    ):
        raise HTTPException(404, "this session has no case file")
    chosen = language or payload.get("language")
    chosen = chosen if chosen in ("zh", "en", "es") else "en"
    text = desk.guard.scrub(render(details, chosen))
    return CaseFileOut(
        text=text,
        filename=f"case-{ticket}.md",
        language=chosen,
        refused=desk.guard.check_agent(text),
    )
