"""Clients of a running cluster that behave like the real ones: web chat pages
(client ids, retries on the other gateway, catch-up after a reconnect) and agents
with a console connection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from tests.support.cluster import AGENT_PASSWORD

# A test marker's text (scale.mark_pages): what the page has when it arrives.
MARKER = "\x00test-marker:"

# Shorter than uvicorn's and Sanic's 5 s keep-alive: a pooled connection is never
# reused in the instant the server closes it (a spurious ReadError).
LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=500, keepalive_expiry=2)


def client(timeout: float = 120) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, limits=LIMITS)


@dataclass
class Visitor:
    """A web chat page: it behaves like chat.js (client ids, retries, catch-up)."""

    gateways: list[str]
    home: int
    user_id: str = ""
    token: str = ""
    seen: list[int] = field(default_factory=list)  # message ids, in arrival order
    pushed: list[dict[str, Any]] = field(default_factory=list)  # over the WebSocket
    sent: list[str] = field(default_factory=list)
    retries: int = 0  # POSTs sent again (to another gateway) after a failure
    reconnects: int = 0
    duplicates_answered: int = 0  # retries the server recognised as already stored
    markers: list[str] = field(default_factory=list)  # test markers pushed (scale.mark_pages)
    task: asyncio.Task[None] | None = None

    @property
    def conversation(self) -> str:
        return f"webchat:{self.user_id}"

    @property
    def url(self) -> str:
        return self.gateways[self.home]

    def switch(self, failed: str) -> None:
        """*failed* didn't answer: use the next gateway (unless already moved on)."""
        if self.url == failed:
            self.home = (self.home + 1) % len(self.gateways)

    async def open(self, http: httpx.AsyncClient) -> None:
        response = await http.post(f"{self.url}/webchat/api/visitors", json={"language": "en"})
        response.raise_for_status()
        self.user_id, self.token = response.json()["user_id"], response.json()["token"]
        connected = asyncio.Event()
        self.task = asyncio.create_task(self._listen(http, connected))
        await asyncio.wait_for(connected.wait(), 30)

    async def _listen(self, http: httpx.AsyncClient, connected: asyncio.Event) -> None:
        while True:
            current = self.url
            ws_url = current.replace("http://", "ws://") + "/webchat/ws"
            try:
                async with websockets.connect(ws_url, open_timeout=5) as socket:
                    await socket.send(json.dumps({"type": "auth", "token": self.token}))
                    await socket.recv()  # "ready": subscribed
                    connected.set()
                    await self._catch_up(http)
                    async for raw in socket:
                        event = json.loads(raw)
                        text = str((event.get("message") or {}).get("text", ""))
                        if event.get("type") == "message" and text.startswith(MARKER):
                            self.markers.append(text.removeprefix(MARKER))
                        elif event.get("type") == "message":
                            self.pushed.append(event["message"])
                            self.seen.append(event["message"]["id"])
                        elif event.get("type") == "resync":
                            await self._catch_up(http)
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
                pass
            self.reconnects += 1
            self.switch(current)  # the gateway is gone: a load balancer would send us elsewhere
            await asyncio.sleep(0.5)  # the page's reconnect delay

    async def _catch_up(self, http: httpx.AsyncClient) -> None:
        # After a reconnect; if it fails, the socket's next reconnect tries again.
        with contextlib.suppress(httpx.HTTPError):
            await self._read(http)

    async def reread(self, http: httpx.AsyncClient) -> None:
        """The page's periodic re-read: it must get an answer, from some gateway."""
        for attempt in range(6):
            current = self.url
            try:
                await self._read(http)
                return
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code < 500:
                    raise
            except httpx.TransportError:
                self.switch(current)
            await asyncio.sleep(0.5 * (attempt + 1))  # the page's backoff between tries
        raise RuntimeError(f"no gateway answered {self.conversation}'s re-read")

    async def _read(self, http: httpx.AsyncClient) -> None:
        # chat.js re-reads the last two minutes (and every 30 s while open); every
        # conversation here is younger than that.
        response = await http.get(
            f"{self.url}/webchat/api/messages", params={"after": 0}, headers=self.headers
        )
        response.raise_for_status()
        for message in response.json()["messages"]:
            if message["author"] != "user" and message["id"] not in self.seen:
                self.seen.append(message["id"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, http: httpx.AsyncClient, text: str) -> dict[str, Any]:
        body = {"text": text, "language": "en", "client_id": uuid.uuid4().hex}
        for attempt in range(6):
            current = self.url
            try:
                response = await http.post(
                    f"{current}/webchat/api/messages", json=body, headers=self.headers
                )
                if response.status_code < 500:
                    self.sent.append(text)
                    result: dict[str, Any] = response.json()
                    self.duplicates_answered += bool(result.get("duplicate"))
                    for reply in result.get("replies", []):  # shown at once, as chat.js does
                        if reply["id"] not in self.seen:
                            self.seen.append(reply["id"])
                    return result
            except httpx.TransportError:
                pass
            self.retries += 1
            self.switch(current)
            await asyncio.sleep(0.5 * (attempt + 1))  # the page's backoff between tries
        raise RuntimeError(f"no gateway took {text!r}")

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


@dataclass
class Agent:
    """An agent with a console WebSocket on one gateway."""

    url: str
    email: str
    token: str = ""
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    claimed: list[int] = field(default_factory=list)
    conflicts: int = 0
    task: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def log_in(self, http: httpx.AsyncClient) -> None:
        login = await http.post(
            f"{self.url}/api/agent/login", json={"email": self.email, "password": AGENT_PASSWORD}
        )
        login.raise_for_status()
        self.token = login.json()["token"]
        presence = await http.put(
            f"{self.url}/api/agent/presence", json={"presence": "online"}, headers=self.headers
        )
        presence.raise_for_status()
        connected = asyncio.Event()
        self.task = asyncio.create_task(self._listen(connected))
        await asyncio.wait_for(connected.wait(), 30)

    async def _listen(self, connected: asyncio.Event) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/api/agent/ws"
        async with websockets.connect(ws_url) as socket:
            await socket.send(json.dumps({"type": "auth", "token": self.token}))
            await socket.recv()  # "ready": subscribed
            connected.set()
            async for raw in socket:
                self.events.append((time.monotonic(), json.loads(raw)))

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
