"""The gateway served by a real uvicorn (in a thread, on a free port) for tests that
need its access log or WebSockets with timeouts, and helpers to read what it logged."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
import websockets

from tests.support.processes import free_port
from tests.support.waiting import wait_until


@contextmanager
def served(app: Any) -> Iterator[str]:
    """*app* under uvicorn with its access log on (propagated, so caplog sees it)."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=True, ws="wsproto"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, "uvicorn never started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


class Socket:
    """A WebSocket client in its own thread: frames as they come, and the close code.

    ``ready`` is set once the first frame arrives; ``closed`` once the server closes.
    """

    def __init__(self, url: str, first: dict[str, Any] | None = None) -> None:
        self.url = url
        self.first = first
        self.frames: list[dict[str, Any]] = []
        self.code: int | None = None
        self.ready = threading.Event()
        self.closed = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: Any = None
        threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True).start()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            async with websockets.connect(self.url, open_timeout=10) as socket:
                self._socket = socket
                if self.first is not None:
                    await socket.send(json.dumps(self.first))
                try:
                    async for raw in socket:
                        self.frames.append(json.loads(raw))
                        self.ready.set()
                except websockets.ConnectionClosed:
                    pass
                self.code = socket.close_code
        finally:
            self.closed.set()

    def wait_closed(self, timeout: float) -> int | None:
        wait_until(self.closed.is_set, timeout, lambda: f"{self.url} still open: {self.frames}")
        return self.code

    def close(self) -> None:
        if not self.closed.is_set() and self._loop is not None and self._socket is not None:
            asyncio.run_coroutine_threadsafe(self._socket.close(), self._loop).result(10)
        self.closed.wait(10)
