"""Rasa's REST channel as a client, with a short timeout and one clear failure type.

With several Rasa servers (the production profile: a shared tracker store and
Redis lock store), each conversation goes to one of them by hash and moves to the
next only when that server can't be reached or the connection breaks before an
answer. A timeout is not retried: the server may still be working on the turn, and
a second server would answer the same message twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from typing import Any

import httpx

from common.messages import InboundMessage, OutboundMessage
from common.metrics import RETRIES
from gateway.rasa_http import AiohttpTransport, Failed, HttpxTransport, Transport, Unanswered

log = logging.getLogger(__name__)

# Anything but an HTTP status, a timeout or a bad body means the request never got an
# answer from a live server (refused, reset, or, seen when a Rasa server was killed,
# httpcore's own AttributeError), so it is safe to send elsewhere: that turn either
# never ran or its tracker was never saved, since Rasa saves at the end of the turn.
SKIP_SECONDS = 5.0  # after a server is found gone, others are asked first for this long


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer usefully in time."""


class RasaClient:
    def __init__(
        self,
        url: str | list[str],
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        actions_url: str | None = None,
        lock_seconds: float = 10.0,
    ) -> None:
        urls = url.split(",") if isinstance(url, str) else url
        self._lock_seconds = lock_seconds
        self._endpoints = [f"{u.strip().rstrip('/')}/webhooks/rest/webhook" for u in urls]
        self._gone_until: dict[str, float] = {}
        self._actions_health = f"{actions_url.rstrip('/')}/health" if actions_url else None
        # Idle connections are dropped before Rasa's (Sanic's) 5 s keep-alive ends, so
        # a request never goes out on a connection the server is closing: that
        # would look like a dead server and cost a failover. *client*: an httpx
        # client instead (the tests' fake Rasa).
        self._http: Transport = (
            HttpxTransport(client) if client is not None else AiohttpTransport(timeout, 2.0)
        )

    async def actions_down(self) -> bool:
        """Whether the action server fails its health check (asked only after a fallback)."""
        if self._actions_health is None:
            return False
        return not await self._http.healthy(self._actions_health, 2.0)

    async def send(self, message: InboundMessage) -> list[OutboundMessage]:
        body: dict[str, Any] = {
            "sender": message.conversation_id,
            "message": message.text,
            "metadata": {
                **message.metadata,
                "channel": message.channel,
                **({"language": message.language} if message.language else {}),
            },
        }
        replies = await self._post(message.conversation_id, body)
        if not isinstance(replies, list):
            raise RasaUnavailable(f"Rasa answered with {type(replies).__name__}, not a list")
        return [OutboundMessage.from_rasa(r) for r in replies if isinstance(r, dict)]

    async def _post(self, conversation_id: str, body: dict[str, Any]) -> Any:
        count = len(self._endpoints)
        first = zlib.crc32(conversation_id.encode()) % count
        ring = [self._endpoints[(first + n) % count] for n in range(count)]
        now = time.monotonic()
        # Servers recently found gone go last, so each message doesn't wait on them.
        ring.sort(key=lambda endpoint: self._gone_until.get(endpoint, 0.0) > now)
        for attempt, endpoint in enumerate(ring):
            started = time.monotonic()
            try:
                answer = await self._http.post_json(endpoint, body)
                self._gone_until.pop(endpoint, None)
                return answer
            except Failed as exc:
                raise RasaUnavailable(f"Rasa did not answer: {exc}") from exc
            except Unanswered as exc:  # the request got no answer from a live server
                self._gone_until[endpoint] = time.monotonic() + SKIP_SECONDS
                if attempt == count - 1:
                    raise RasaUnavailable(f"no Rasa server answered: {exc}") from exc.cause
                RETRIES.labels("rasa_other_server").inc()
                log.warning("Rasa at %s is gone (%s); trying the next server", endpoint, exc)
                if exc.reached:
                    await self._outlive_lock(started)

        raise AssertionError("unreachable")

    async def _outlive_lock(self, started: float) -> None:
        """Wait until a dead server's Redis lock ticket for this conversation expires.

        The request reached the server, so it holds a ticket in Rasa's lock store,
        which outlives it by ``TICKET_LOCK_LIFETIME``. A second server's ticket issued
        before that runs into a race in Rasa 3.6: waiters poll once a second, and a
        waiter whose own ticket expires in the same second as the dead one never
        gets the lock. Waiting it out costs that one user a few seconds, once.
        """
        await asyncio.sleep(max(0.0, started + self._lock_seconds + 0.5 - time.monotonic()))

    async def close(self) -> None:
        await self._http.close()
