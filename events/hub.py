"""Publish/subscribe for pushes to web chat users and agent consoles.

Topics are plain strings: ``"desk"`` for every console, ``"chat:<conversation id>"``
for one user's open chat pages. Subscribers are this process's WebSockets; with a
*bridge* (:mod:`events.fanout`, Redis) every event also reaches the other gateway
processes' subscribers. A slow subscriber loses its oldest events rather than
blocking the publisher; clients then catch up from the database by message id.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

Event = dict[str, Any]
DESK = "desk"
QUEUE_SIZE = 500
# Sent to every local subscriber when events from other processes may have been
# missed (the bridge reconnected): clients reload from the database.
RESYNC: Event = {"type": "resync"}


class Bridge(Protocol):
    def forward(self, topic: str, event: Event) -> None:
        """Hand *event* to the other processes (without blocking)."""


def chat_topic(conversation_id: str) -> str:
    return f"chat:{conversation_id}"


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)
        self.origin = uuid.uuid4().hex  # tells this process's events apart on the bridge
        self.bridge: Bridge | None = None

    def publish(self, topic: str, event: Event) -> None:
        """Deliver *event* here at once, and to the other processes through the bridge."""
        self.deliver(topic, event)
        if self.bridge is not None:
            self.bridge.forward(topic, event)

    def resync(self) -> None:
        for topic in list(self._subscribers):
            self.deliver(topic, RESYNC)

    def deliver(self, topic: str, event: Event) -> None:
        """To this process's subscribers only."""
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

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
