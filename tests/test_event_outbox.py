"""The transactional outbox of live events (issue 17, item 5), in one process: an
event exists exactly when what it announces was committed, a dead writer's unsent
events are published by a survivor, and a hub delivers an event id once.
The multi-process kill test is tests/scale/test_outbox_kill.py."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from events import DESK, EventHub
from events.envelope import Sealer
from handoff.relay import EventRelay
from store import event_outbox
from store.db import make_engine, migrate, session_factory
from store.leases import ALIVE, acquire
from store.outbox_tables import OutboxEvent


@pytest.fixture
def database(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def unsent(database: sessionmaker[Session]) -> list[int]:
    with database() as db:
        query = select(OutboxEvent.id).where(OutboxEvent.sent_at.is_(None))
        return list(db.execute(query).scalars())


def test_an_event_exists_only_if_its_transaction_committed(
    database: sessionmaker[Session],
) -> None:
    relay = EventRelay(database, EventHub(), holder="writer")
    with pytest.raises(RuntimeError), database.begin() as db:
        relay.record(db, DESK, {"type": "queue"})
        raise RuntimeError("the message's transaction fails")
    assert unsent(database) == []
    with database.begin() as db:
        kept = relay.record(db, DESK, {"type": "queue"})
    assert unsent(database) == [kept.id]


def test_one_process_marks_what_it_delivered_and_a_dead_writers_events_are_published_once(
    database: sessionmaker[Session],
) -> None:
    async def run() -> None:
        hub = EventHub()  # no bridge: the embedded single-process mode
        relay = EventRelay(database, hub, holder="survivor")
        now = utcnow()
        with database.begin() as db:
            acquire(db, ALIVE + "survivor", timedelta(seconds=60), now, holder="survivor")
            mine = relay.record(db, DESK, {"type": "queue", "n": 1})
            # Written by a process that died before publishing (it holds no liveness lease).
            row = event_outbox.record(db, DESK, {"type": "queue", "n": 2}, "dead")
            row.created_at = now - timedelta(seconds=30)
        orphan = int(row.id)
        async with hub.subscribe(DESK) as queue:
            relay.publish([mine])
            assert relay.flush() == 1
            assert unsent(database) == [orphan]
            assert await relay.relay_orphans() == 1
            relay.flush()
            assert unsent(database) == []
            # A second copy (the writer published after all; a relay ran twice) is dropped.
            hub.publish(DESK, {"type": "queue", "n": 2}, orphan)
            assert await relay.relay_orphans() == 0
            got = [queue.get_nowait() for _ in range(queue.qsize())]
        assert got == [{"type": "queue", "n": 1}, {"type": "queue", "n": 2}]

    asyncio.run(run())


def test_a_live_writers_young_events_are_left_to_it(database: sessionmaker[Session]) -> None:
    now = utcnow()
    with database.begin() as db:
        acquire(db, ALIVE + "alive", timedelta(seconds=60), now, holder="alive")
        event_outbox.record(db, DESK, {"type": "queue"}, "alive")
        row = event_outbox.record(db, DESK, {"type": "queue"}, "dead")
    dead = int(row.id)
    with database() as db:
        settle, within = timedelta(seconds=2), timedelta(minutes=10)
        later = now + timedelta(seconds=5)
        assert event_outbox.orphans(db, later, settle, within) == [(dead, DESK, {"type": "queue"})]
        assert event_outbox.orphans(db, now, settle, within) == []  # still settling
        too_late = now + timedelta(minutes=11)
        assert event_outbox.orphans(db, too_late, settle, within) == []  # long re-read


def test_the_envelope_carries_the_event_id() -> None:
    sealer = Sealer([b"a secret for the envelope test"])
    opened = sealer.open(sealer.seal("origin", DESK, {"type": "queue"}, 42))
    assert opened.id == 42
    assert sealer.open(sealer.seal("origin", DESK, {"type": "queue"})).id is None
