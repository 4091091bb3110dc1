"""The console's live side: its event stream, and the files users sent."""

from __future__ import annotations

from fastapi import APIRouter, Header, HTTPException, Request, WebSocket
from fastapi.responses import FileResponse

from common.clock import utcnow
from common.http import bearer
from common.settings import ROOT
from events import DESK, stream_events
from handoff.api.auth import auth_of, desk_of
from handoff.desk import Desk
from store.models import Agent, Message

api = APIRouter()

HEARTBEAT_SECONDS = 30
MEDIA_ROOT = (ROOT / "var" / "media").resolve()


@api.get("/media/{message_id}", response_class=FileResponse)
def media(
    message_id: int, request: Request, token: str = "", authorization: str = Header("")
) -> FileResponse:
    """A file the user sent (``?token=`` works too, so the console can use it in ``<img>``)."""
    desk = desk_of(request)
    auth_of(request)(bearer(authorization) or token)
    with desk.database() as db:
        message = db.get(Message, message_id)
        attachment = message.attachment if message is not None else None
    if not attachment:
        raise HTTPException(404, f"message {message_id} has no attachment")
    path = (ROOT / attachment["path"]).resolve()
    if MEDIA_ROOT not in path.parents or not path.is_file():
        raise HTTPException(404, "the file is gone")
    return FileResponse(path, media_type=attachment.get("mime") or None, filename=path.name)


@api.websocket("/ws")
async def stream(websocket: WebSocket, token: str = "") -> None:
    """Pushes queue, message and presence events to a logged-in console."""
    desk: Desk = websocket.app.state.desk
    try:
        agent = websocket.app.state.agent_auth(token)
    except HTTPException as exc:
        await websocket.close(code=4000 + exc.status_code, reason=str(exc.detail))
        return
    await websocket.accept()

    def seen() -> None:
        with desk.database.begin() as db:
            row = db.get(Agent, agent.id)
            if row is not None:
                row.last_seen_at = utcnow()

    async with desk.hub.subscribe(DESK) as events:
        await stream_events(websocket, events, tick=seen, every=HEARTBEAT_SECONDS)
