"""A WebSocket that streams a subscription's events to one client.

Clients authenticate with their first frame, ``{"type": "auth", "token": …}``, never
in the URL: URLs end up in access logs (uvicorn's, nginx's), frames don't.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from events.hub import Event

AUTH_SECONDS = 10.0  # a client that hasn't authenticated by then is closed
UNAUTHORISED = 4401
READY = {"type": "ready"}


async def first_message_token(websocket: WebSocket, timeout: float = AUTH_SECONDS) -> str | None:
    """Accept *websocket* and read the token its first frame carries.

    None (after closing the socket with 4401) when the frame is missing, late or
    malformed; the caller closes it too if the token itself is refused.
    """
    await websocket.accept()
    timeout = getattr(websocket.app.state, "ws_auth_seconds", timeout)  # tests shorten it
    try:
        with anyio.fail_after(timeout):
            frame = await websocket.receive_text()
        data = json.loads(frame)
        token = data.get("token") if isinstance(data, dict) else None
        if data.get("type") == "auth" and isinstance(token, str) and token:
            return token
    except (TimeoutError, ValueError, AttributeError, KeyError):
        pass
    except WebSocketDisconnect:
        return None
    await refuse(websocket, 'authenticate first: send {"type": "auth", "token": …}')
    return None


async def refuse(websocket: WebSocket, reason: str, code: int = UNAUTHORISED) -> None:
    with contextlib.suppress(Exception):  # the client may already be gone
        await websocket.close(code=code, reason=reason[:120])


async def stream_events(
    websocket: WebSocket,
    events: asyncio.Queue[Event],
    tick: Callable[[], bool | None] | None = None,
    every: float = 30.0,
) -> None:
    """Send *events* to *websocket* until the client leaves; call *tick* every *every* s.

    The first frame sent is ``{"type": "ready"}``: the client is authenticated and
    subscribed, so nothing published from now on is missed. *tick* runs in a thread;
    when it returns False (the client's session ended: a logout, an expiry, a
    disabled account) the socket is closed with 4401. It is also called before an
    event is sent if the last call is *every* seconds old, so a busy stream stops as
    soon as a quiet one. The client's own frames (pings) are read and dropped, which
    is also how a disconnect is noticed.
    """
    last = time.monotonic()
    await websocket.send_json(READY)

    async with anyio.create_task_group() as group:

        async def allowed() -> bool:
            nonlocal last
            last = time.monotonic()
            return tick is None or await anyio.to_thread.run_sync(tick) is not False

        async def revoke() -> None:
            await refuse(websocket, "the session has ended: log in again")
            group.cancel_scope.cancel()

        async def forward() -> None:
            while True:
                event = await events.get()
                if tick is not None and time.monotonic() - last >= every and not await allowed():
                    await revoke()
                    return
                await websocket.send_json(event)

        async def ticker() -> None:
            while tick is not None:
                if not await allowed():
                    await revoke()
                    return
                await anyio.sleep(every)

        group.start_soon(forward)
        group.start_soon(ticker)
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()
        group.cancel_scope.cancel()
