"""The console's live side: its event stream, and the agent's presence that follows it.

The console authenticates with its first frame (never ``?token=``), and its session
is checked again on every heartbeat and before events after a quiet spell: a
logout, an expiry or ``agents disable`` closes the socket with 4401.

Presence follows the sockets: each heartbeat marks the agent seen, so an agent who
chose Online counts as online while a console of theirs is connected to any gateway.
When their last console here closes they lapse to offline after a short grace (a
reload reconnects within it); a console on another gateway marks them seen again
before the grace runs out, so they stay online.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from datetime import timedelta
from typing import Any

import anyio
import anyio.from_thread
from fastapi import APIRouter, HTTPException, WebSocket

from events import DESK, first_message_token, refuse, stream_events
from handoff.api.auth import AgentAuth
from handoff.desk import Desk
from store import agents
from store.models import Agent

api = APIRouter()

HEARTBEAT_SECONDS = 30.0
_pending: set[asyncio.Task[None]] = set()  # the grace timers running


def _consoles_of(app: Any) -> Counter[int]:
    """This app's open consoles per agent."""
    if not hasattr(app.state, "consoles"):
        app.state.consoles = Counter()
    consoles: Counter[int] = app.state.consoles
    return consoles


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
            if row is None:
                return True
            before = desk.agent_view(row)["presence"]
            row.last_seen_at = desk.clock()
            view = desk.agent_view(row)
        if view["presence"] != before:  # back online: the other consoles re-read the team
            anyio.from_thread.run_sync(desk.hub.publish, DESK, {"type": "presence", "agent": view})
        return True

    consoles = _consoles_of(websocket.app)
    consoles[agent.id] += 1
    try:
        async with desk.hub.subscribe(DESK) as events:
            await stream_events(websocket, events, tick=still_logged_in, every=every)
    finally:
        consoles[agent.id] -= 1
        if consoles[agent.id] <= 0:
            del consoles[agent.id]
            with contextlib.suppress(Exception):
                # Shielded: a socket closed by a shutdown still lapses the agent.
                await asyncio.shield(asyncio.to_thread(_lapse, desk, agent.id))
                task = asyncio.create_task(_tell_if_gone(desk, consoles, agent.id))
                _pending.add(task)
                task.add_done_callback(_pending.discard)


def _lapse(desk: Desk, agent_id: int) -> None:
    """The agent's last console here closed: offline once the grace is over."""
    grace = timedelta(seconds=desk.settings.presence_grace_seconds)
    timeout = timedelta(seconds=desk.settings.presence_timeout_seconds)
    with desk.database.begin() as db:
        agents.console_gone(db, agent_id, desk.clock() + grace, timeout)


async def _tell_if_gone(desk: Desk, consoles: Counter[int], agent_id: int) -> None:
    """After the grace, the consoles re-read the team (unless the agent came back here)."""
    await asyncio.sleep(desk.settings.presence_grace_seconds + 0.5)
    if agent_id in consoles:
        return

    def view() -> dict[str, object] | None:
        with desk.database() as db:
            row = db.get(Agent, agent_id)
            return desk.agent_view(row) if row is not None else None

    shown = await asyncio.to_thread(view)
    if shown is not None:
        desk.hub.publish(DESK, {"type": "presence", "agent": shown})
