"""Console and chat events across gateway processes, over Redis pub/sub.

Each process publishes its hub's events on one Redis channel and delivers what the
others published to its own WebSockets. An agent on gateway B thus sees at once a
message that arrived on gateway A, and a user's page on A gets B's agent reply.

Redis pub/sub is fire-and-forget: while Redis is unreachable, events between
processes are dropped (never those within one process). Nothing is lost, since
every event is about rows already committed: when the subscription comes back,
local clients get a ``resync`` event and reload from the database. An event from
the transactional outbox (``handoff.relay``) carries its row id: once published it
is reported to the hub (``on_sent``) so its row is marked sent, and a receiver
delivers each id once.

Redis is not trusted with what reaches a user's page: every event is sealed with
the desk secret (:mod:`events.envelope`) and, once opened, checked against the
shapes this code base publishes (:mod:`events.shapes`). Anything else is dropped,
counted (``support_fanout_events_total{direction="rejected"}``) and logged once
per reason.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from common.metrics import FANOUT
from events import shapes
from events.envelope import Rejected, Sealer, own_prefix
from events.hub import Event, EventHub

log = logging.getLogger(__name__)

CHANNEL = "wallet_support:events"
OUTBOX = 10_000


class RedisFanout:
    """The hub's bridge. ``run()`` is the process's publisher and subscriber."""

    def __init__(
        self, hub: EventHub, url: str, secrets: list[bytes], channel: str = CHANNEL
    ) -> None:
        """*secrets*: the desk secret first (it signs), then any still accepted."""
        self.hub = hub
        self.url = url
        self.channel = channel
        self._sealer = Sealer(secrets)
        self._refusals: set[str] = set()  # reasons already logged
        self.ready = asyncio.Event()  # subscribed: events from other processes arrive
        self._outbox: asyncio.Queue[tuple[str, int | None]] = asyncio.Queue(OUTBOX)
        # Every event comes back to its sender on the channel: ours are dropped by
        # their first bytes, unopened (events.envelope).
        self._own = own_prefix(hub.origin)
        hub.bridge = self

    @property
    def client_name(self) -> str:
        return f"wallet_support:fanout:{self.hub.origin}"

    def forward(self, topic: str, event: Event, event_id: int | None = None) -> None:
        data = self._sealer.seal(self.hub.origin, topic, event, event_id)
        if self._outbox.full():  # Redis has been down a while: the oldest go first
            self._outbox.get_nowait()
            FANOUT.labels("dropped").inc()
        self._outbox.put_nowait((data, event_id))

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
            # What a commit wrote (a message's console event and its push, say) is
            # queued together: one pipeline of PUBLISHes, one round trip, in order.
            batch = [await self._outbox.get()]
            while not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            try:
                if len(batch) == 1:  # most commits write one event: no pipeline for it
                    await client.publish(self.channel, batch[0][0])
                else:
                    async with client.pipeline(transaction=False) as pipe:
                        for data, _ in batch:
                            pipe.publish(self.channel, data)
                        await pipe.execute()
                FANOUT.labels("out").inc(len(batch))
                ids = [event_id for _, event_id in batch if event_id is not None]
                if ids:
                    self.hub.sent(ids)
            except (RedisError, OSError) as exc:
                FANOUT.labels("dropped").inc(len(batch))
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
        if isinstance(data, bytes) and data.startswith(self._own):
            return  # published here: delivered here already
        try:
            opened = self._sealer.open(data)
        except Rejected as exc:
            self._refuse(str(exc))
            return
        if opened.origin == self.hub.origin:
            return
        # Signed is not enough: only the shapes pages and consoles are built to show.
        why = shapes.problem(opened.topic, opened.event)
        if why is not None:
            self._refuse(why)
            return
        FANOUT.labels("in").inc()
        self.hub.deliver(opened.topic, opened.event, opened.id)

    def _refuse(self, reason: str) -> None:
        FANOUT.labels("rejected").inc()
        if reason not in self._refusals:  # a flood of forgeries must not flood the log
            self._refusals.add(reason)
            log.warning(
                "dropped a fan-out event from Redis (%s); further ones for this reason "
                "are only counted in support_fanout_events_total",
                reason,
            )
