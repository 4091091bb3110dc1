"""How the gateway's requests reach Rasa: aiohttp, or an httpx client (tests).

aiohttp (installed as Rasa's own dependency) is the transport the gateway runs on: a
POST to Rasa cost the gateway about 0.8 ms of CPU through httpx against 0.25 ms
through aiohttp, kept-alive connections both (docs/benchmarks.md, *The gateway's
CPU per web chat turn*). An injected ``httpx.AsyncClient`` (a ``MockTransport``
playing Rasa in the tests) is still taken, with the same three outcomes:

- an answer's JSON body;
- :class:`Failed`: Rasa answered with an error status or a bad body, or did not
  answer in time: the turn may have run there, so it is never sent elsewhere;
- :class:`Unanswered`: anything else means no live server answered (refused, reset,
  closed before the answer): safe to send to the next server. ``reached`` says
  whether the request may have got to the server (all but a refused connection).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Protocol

import aiohttp
import httpx


class Failed(Exception):
    """Rasa answered badly or too late: not to be retried elsewhere."""


class Unanswered(Exception):
    """No live server answered: the next one may be asked."""

    def __init__(self, cause: BaseException, reached: bool) -> None:
        super().__init__(repr(cause))
        self.cause = cause
        self.reached = reached


class Transport(Protocol):
    async def post_json(self, url: str, body: dict[str, Any]) -> Any: ...

    async def healthy(self, url: str, timeout: float) -> bool: ...

    async def close(self) -> None: ...


# Rasa runs one turn at a time in its event loop, so more connections don't answer
# more turns; they only queue turns inside Rasa, where it takes requests in no fair
# order. With a connection per conversation, 100 conversations at once left the first
# messages of the last ones waiting 10-11 s while others' later messages went through
# in 1-3 s (docs/benchmarks.md); queued here, in order, the slowest took 4 s. The wait
# for a connection counts against the connect timeout, as a slow connect would.
CONNECTIONS_PER_RASA = 16


class AiohttpTransport:
    """One aiohttp session, made in the event loop that first uses it (a session
    belongs to its loop; a new loop, as each test client starts, gets a new one)."""

    def __init__(self, timeout: float, keepalive_seconds: float) -> None:
        # Like httpx's: each step (a pooled connection, connecting, each read) may
        # take *timeout*, rather than the whole request.
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        self._keepalive = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _current(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(
                keepalive_timeout=self._keepalive, limit=0, limit_per_host=CONNECTIONS_PER_RASA
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=json.dumps
            )
            self._loop = loop
        return self._session

    async def post_json(self, url: str, body: dict[str, Any]) -> Any:
        try:
            async with self._current().post(url, json=body) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise Failed(f"HTTP {response.status}: {raw[:200]!r}")
        except Failed:
            raise
        except asyncio.TimeoutError as exc:  # aiohttp's own timeouts are ones too
            raise Failed(f"timed out: {exc!r}") from exc
        except aiohttp.ClientConnectorError as exc:  # never connected: never reached
            raise Unanswered(exc, reached=False) from exc
        except Exception as exc:  # reset, closed before the answer, a library's own bug
            raise Unanswered(exc, reached=True) from exc
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise Failed(f"not JSON: {exc}") from exc

    async def healthy(self, url: str, timeout: float) -> bool:
        try:
            seconds = aiohttp.ClientTimeout(total=timeout)
            async with self._current().get(url, timeout=seconds) as response:
                return response.status == 200
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError):
            return False

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


class HttpxTransport:
    """An httpx client's requests, with the same outcomes (the tests' fake Rasa)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post_json(self, url: str, body: dict[str, Any]) -> Any:
        try:
            response = await self._client.post(url, json=body)
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPStatusError, httpx.TimeoutException, ValueError) as exc:
            raise Failed(repr(exc)) from exc
        except Exception as exc:  # seen when a Rasa server was killed: httpcore's own
            raise Unanswered(exc, reached=not isinstance(exc, httpx.ConnectError)) from exc

    async def healthy(self, url: str, timeout: float) -> bool:
        try:
            response = await self._client.get(url, timeout=timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def close(self) -> None:
        await self._client.aclose()
