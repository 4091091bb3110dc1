"""Console and chat events across gateway processes, over Redis pub/sub.

Each process publishes its hub's events on one Redis channel and delivers what the
others published to its own WebSockets. An agent on gateway B thus sees at once a
message that arrived on gateway A, and a user's page on A gets B's agent reply.

Redis pub/sub is fire-and-forget: while Redis is unreachable, events between
processes are dropped (never those within one process). Nothing is lost, since
every event is about rows already committed: when the subscription comes back,
local clients get a ``resync`` event and reload from the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from common.metrics import FANOUT
from events.hub import Event, EventHub

log = logging.getLogger(__name__)

CHANNEL = "wallet_support:events"
OUTBOX = 10_000


class RedisFanout:
    """The hub's bridge. ``run()`` is the process's publisher and subscriber."""

    def __init__(self, hub: EventHub, url: str, channel: str = CHANNEL) -> None:
        self.hub = hub
        self.url = url
        self.channel = channel
        self.ready = asyncio.Event()  # subscribed: events from other processes arrive
        self._outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX)
        hub.bridge = self

    @property
    def client_name(self) -> str:
        return f"wallet_support:fanout:{self.hub.origin}"

    def forward(self, topic: str, event: Event) -> None:
        data = json.dumps({"origin": self.hub.origin, "topic": topic, "event": event}, default=str)
        if self._outbox.full():  # Redis has been down a while: the oldest go first
            self._outbox.get_nowait()
            FANOUT.labels("dropped").inc()
        self._outbox.put_nowait(data)

    async def run(self) -> None:
        client = aioredis.from_url(
            self.url,
            socket_connect_timeout=2,
            health_check_interval=15,
            client_name=self.client_name,  # so operators can tell them apart in CLIENT LIST
        )
        try:
            await asyncio.gather(self._publish(client), self._subscribe(client))
        finally:
            self.ready.clear()
            await client.close(close_connection_pool=True)

    async def _publish(self, client: Any) -> None:
        while True:
            data = await self._outbox.get()
            try:
                await client.publish(self.channel, data)
                FANOUT.labels("out").inc()
            except (RedisError, OSError) as exc:
                FANOUT.labels("dropped").inc()
                log.warning("could not publish an event to Redis (%s); consoles will resync", exc)
                await asyncio.sleep(1)

    async def _subscribe(self, client: Any) -> None:
        delay, lost = 0.5, False
        while True:
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.ready.set()
                    if lost:  # events may have passed us by while disconnected
                        self.hub.resync()
                        log.info("Redis fan-out is back; clients were told to resync")
                    delay, lost = 0.5, False
                    async for message in pubsub.listen():
                        self._receive(message.get("data"))
            except (RedisError, OSError) as exc:
                self.ready.clear()
                if not lost:
                    log.warning("Redis fan-out lost (%s); retrying", exc)
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    def _receive(self, data: Any) -> None:
        try:
            envelope = json.loads(data)
            if envelope["origin"] == self.hub.origin:
                return
            topic, event = str(envelope["topic"]), dict(envelope["event"])
        except (TypeError, ValueError, KeyError):
            log.warning("ignored a malformed fan-out event")
            return
        FANOUT.labels("in").inc()
        self.hub.deliver(topic, event)
