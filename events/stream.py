"""A WebSocket that streams a subscription's events to one client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from events.hub import Event


async def stream_events(
    websocket: WebSocket,
    events: asyncio.Queue[Event],
    tick: Callable[[], None] | None = None,
    every: float = 30.0,
) -> None:
    """Send *events* to *websocket* until the client leaves; call *tick* every *every* s.

    The client's own frames (pings) are read and dropped, which is also how a
    disconnect is noticed.
    """
    async with anyio.create_task_group() as group:

        async def forward() -> None:
            while True:
                await websocket.send_json(await events.get())

        async def ticker() -> None:
            while tick is not None:
                tick()
                await anyio.sleep(every)

        group.start_soon(forward)
        group.start_soon(ticker)
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()
        group.cancel_scope.cancel()
