"""Publish/subscribe for pushes to web chat users and agent consoles.

Topics are plain strings: ``"desk"`` for every console, ``"chat:<conversation id>"``
for one user's open chat pages. Subscribers are this process's WebSockets; with a
*bridge* (:mod:`events.fanout`, Redis) every event also reaches the other gateway
processes' subscribers. A slow subscriber loses its oldest events rather than
blocking the publisher; clients then catch up from the database by message id.

An event written to the transactional outbox (``handoff.relay``) carries its row id:
it may reach a process twice (its writer died after publishing but before marking it
sent, and a survivor published it again), so each process delivers an id once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

Event = dict[str, Any]
DESK = "desk"
QUEUE_SIZE = 500
# Sent to every local subscriber when events from other processes may have been
# missed (the bridge reconnected): clients reload from the database.
RESYNC: Event = {"type": "resync"}
# Outbox ids delivered here lately. A second copy comes from a survivor's relay,
# seconds after the first (once the writer's liveness lease lapsed): far fewer ids.
SEEN_WINDOW = 50_000


class Bridge(Protocol):
    def forward(self, topic: str, event: Event, event_id: int | None = None) -> None:
        """Hand *event* to the other processes (without blocking); once it is on its
        way, report *event_id* to the hub's ``on_sent``."""


def chat_topic(conversation_id: str) -> str:
    return f"chat:{conversation_id}"


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self.origin = uuid.uuid4().hex  # tells this process's events apart on the bridge
        self.bridge: Bridge | None = None
        # Told the outbox ids of events on their way to every process (the relay marks
        # their rows sent): by the bridge once published, here when there is none.
        self.on_sent: Callable[[list[int]], None] | None = None
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()

    def publish(self, topic: str, event: Event, event_id: int | None = None) -> None:
        """Deliver *event* here at once, and to the other processes through the bridge.

        *event_id*: its outbox row, for an event written in a transaction."""
        self.deliver(topic, event, event_id)
        if self.bridge is not None:
            self.bridge.forward(topic, event, event_id)
        elif event_id is not None:
            self.sent([event_id])  # one process: delivering it here was all there was

    def sent(self, ids: list[int]) -> None:
        if self.on_sent is not None and ids:
            self.on_sent(ids)

    def resync(self) -> None:
        for topic in list(self._subscribers):
            self.deliver(topic, RESYNC)

    def deliver(self, topic: str, event: Event, event_id: int | None = None) -> None:
        """To this process's subscribers only; an outbox event once (by *event_id*)."""
        if event_id is not None and not self._first(event_id):
            return
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def _first(self, event_id: int) -> bool:
        if event_id in self._seen:
            return False
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > SEEN_WINDOW:
            self._seen.discard(self._seen_order.popleft())
        return True

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers[topic].add(queue)
        try:
            yield queue
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]

    def subscribers(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))
