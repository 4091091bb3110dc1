"""Live events that can't be lost between a commit and a publish: a transactional outbox.

An event announcing a message (to consoles, or to the user's own pages) is written
with :meth:`EventRelay.record` in the transaction that stores the message
(``store.event_outbox``), and published with :meth:`EventRelay.publish` right after
the commit. Once it is on its way to every gateway (published on Redis; without
Redis, delivered in this one process) the hub reports its id and :meth:`flush`
marks the row sent, in batches, off the request path.

A gateway killed between its commit and its publish leaves the row unsent. Once its
liveness lease lapses, :meth:`relay_orphans` (a job, run by one gateway at a time)
publishes it from a survivor. A row the dead gateway did publish but had not yet
marked is published again: every hub delivers an id once (``events.hub``), and
pages and consoles show a message id once anyway.

The embedded single-process mode takes the same path: the row is written and
marked; only the bridge is missing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from events import EventHub
from store import event_outbox
from store.db import commit_without_waiting
from store.leases import HOLDER
from store.outbox_tables import OutboxEvent

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0  # how often published ids are marked sent (one UPDATE for all)
RELAY_SECONDS = 2.0  # how often one gateway looks for a dead one's unsent events
SETTLE = timedelta(seconds=2)  # a younger row is its live writer's to publish
# An older unsent row isn't pushed: pages re-read the last two minutes every 30 s,
# and consoles reload when they (re)connect.
WITHIN = timedelta(minutes=10)
KEEP_SENT = timedelta(hours=1)
KEEP_ANY = timedelta(days=1)  # an unsent row this old: pages have long re-read it
MAX_PENDING = 100_000  # ids waiting to be marked, if nothing flushes (no event loop)
# Test-only, unset in production: seconds a process stands still (a blocking sleep)
# between a commit and the publish of its events, so tests/scale/test_outbox_kill.py
# can kill -9 it at the moment that used to lose the push.
TEST_PAUSE = "DESK_TEST_PUBLISH_PAUSE_SECONDS"
_PAUSE = float(os.environ.get(TEST_PAUSE) or 0)


@dataclass(frozen=True)
class Recorded:
    """An event written in a transaction, to publish once it committed."""

    topic: str
    event: dict[str, Any]
    row: OutboxEvent | None = None  # None: an event with no row (published as a hint)
    written_id: int | None = None  # its row's id, written by a statement (no ORM row)

    @property
    def id(self) -> int | None:
        """The row's id: set by the flush that committed it."""
        if self.written_id is not None:
            return self.written_id
        return int(self.row.id) if self.row is not None and self.row.id is not None else None


class EventRelay:
    def __init__(
        self,
        database: sessionmaker[Session],
        hub: EventHub,
        holder: str = HOLDER,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """*holder*: this process's name in the liveness leases (``Scheduler.holder``)."""
        self.database = database
        self.hub = hub
        self.holder = holder
        self.clock = clock
        self._sent: list[int] = []
        hub.on_sent = self._published

    def record(self, db: Session, topic: str, event: dict[str, Any]) -> Recorded:
        """Write *event* in *db*'s transaction; publish it after the commit."""
        return Recorded(topic, event, event_outbox.record(db, topic, event, self.holder))

    def publish(self, recorded: Iterable[Recorded]) -> None:
        items = list(recorded)
        if items and _PAUSE > 0:
            log.warning("%s: pausing %.0f s between a commit and its publish", TEST_PAUSE, _PAUSE)
            time.sleep(_PAUSE)
        for item in items:
            self.hub.publish(item.topic, item.event, item.id)

    def _published(self, ids: list[int]) -> None:
        self._sent.extend(ids)
        if len(self._sent) > MAX_PENDING:  # unmarked rows of a live writer stay unsent
            del self._sent[: len(self._sent) - MAX_PENDING]

    def flush(self) -> int:
        """Mark what was published since the last flush as sent."""
        ids, self._sent = self._sent, []
        if not ids:
            return 0
        try:
            with self.database.begin() as db:
                # Lost only with the database server: the events are published again
                # once this process is gone, and every hub delivers an id once.
                commit_without_waiting(db)
                return event_outbox.mark_sent(db, ids, self.clock())
        except Exception:
            self._sent[:0] = ids  # the next flush tries again
            raise

    async def flush_forever(self) -> None:
        while True:
            if self._sent:
                try:
                    await asyncio.to_thread(self.flush)
                except Exception:
                    log.exception("could not mark published events sent (database down?)")
            await asyncio.sleep(FLUSH_SECONDS)

    async def relay_orphans(self) -> int:
        """A job: publish the unsent events of gateways that died (the lease lapsed)."""
        rows = await asyncio.to_thread(self._orphans)
        for event_id, topic, event in rows:
            self.hub.publish(topic, event, event_id)
        if rows:
            log.info("published %d events a dead gateway had committed but not sent", len(rows))
        return len(rows)

    def _orphans(self) -> list[tuple[int, str, dict[str, Any]]]:
        with self.database() as db:
            return event_outbox.orphans(db, self.clock(), SETTLE, WITHIN)

    async def prune(self) -> int:
        """A job: forget events every client has had (or has re-read) by now."""
        now = self.clock()

        def forget() -> int:
            with self.database.begin() as db:
                return event_outbox.prune(db, now - KEEP_SENT, now - KEEP_ANY)

        return await asyncio.to_thread(forget)
