"""The console's live side: its event stream.

The console authenticates with its first frame (never ``?token=``), and its session
is checked again on every heartbeat and before events after a quiet spell: a
logout, an expiry or ``agents disable`` closes the socket with 4401.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, WebSocket

from common.clock import utcnow
from events import DESK, first_message_token, refuse, stream_events
from handoff.api.auth import AgentAuth
from handoff.desk import Desk
from store.models import Agent

api = APIRouter()

HEARTBEAT_SECONDS = 30.0


@api.websocket("/ws")
async def stream(websocket: WebSocket) -> None:
    """Pushes queue, message and presence events to a logged-in console."""
    desk: Desk = websocket.app.state.desk
    auth: AgentAuth = websocket.app.state.agent_auth
    every = float(getattr(websocket.app.state, "heartbeat_seconds", HEARTBEAT_SECONDS))
    token = await first_message_token(websocket)
    if token is None:
        return
    try:
        agent = auth(token)
    except HTTPException as exc:
        await refuse(websocket, str(exc.detail), code=4000 + exc.status_code)
        return

    def still_logged_in() -> bool:
        try:
            auth(token)  # logged out, expired or disabled since: 401
        except HTTPException:
            return False
        with desk.database.begin() as db:
            row = db.get(Agent, agent.id)
            if row is not None:
                row.last_seen_at = utcnow()
        return True

    async with desk.hub.subscribe(DESK) as events:
        await stream_events(websocket, events, tick=still_logged_in, every=every)
