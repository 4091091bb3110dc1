"""The production profile's stores against the PostgreSQL and Redis on this host.

Skipped, with the reason printed, when either service is not reachable.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
import sqlalchemy

from bot.endpoints import rasa_environment
from tests.support import ROOT
from tests.support.services import PG_URL, reachable, service_missing

REDIS_URL = "redis://127.0.0.1:6379/0"
# What `scripts/serve.sh rasa` derives from the two URLs an operator sets.
ENV = {
    "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
    **rasa_environment(PG_URL, REDIS_URL),
}


def test_the_urls_become_rasa_s_endpoint_variables() -> None:
    env = rasa_environment("postgresql://bob:p%40ss@db.internal:6543/support", "redis://r:6380/2")
    assert env["RASA_ENDPOINTS"] == "endpoints.production.yml"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DB"]) == (
        "db.internal",
        "6543",
        "support",
    )
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("bob", "p@ss")
    assert (env["REDIS_HOST"], env["REDIS_PORT"], env["REDIS_DB"]) == ("r", "6380", "2")
    assert rasa_environment("sqlite:///var/support.db", "") == {"RASA_ENDPOINTS": "endpoints.yml"}
    with pytest.raises(SystemExit, match="REDIS_URL"):
        rasa_environment("postgresql://db/support", "")


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for service, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        if not reachable(port):
            service_missing(f"{service} is not reachable on 127.0.0.1:{port}")
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    from rasa.core.utils import read_endpoints_from_path

    return read_endpoints_from_path(ROOT / "endpoints.production.yml")


def test_tracker_store_on_postgresql_keeps_a_conversation(endpoints) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered

    domain = Domain.load(ROOT / "bot" / "domain")
    store = TrackerStore.create(endpoints.tracker_store, domain=domain)
    assert isinstance(store, SQLTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    sender = f"test-{uuid.uuid4().hex}"
    tracker = asyncio.run(store.get_or_create_tracker(sender))
    tracker.update(UserUttered("我的USDT没到账"))
    tracker.update(SlotSet("language", "zh"))
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve(sender))
    assert again is not None
    assert again.get_slot("language") == "zh"
    assert again.latest_message is not None and again.latest_message.text == "我的USDT没到账"
    assert list(again.events) == list(tracker.events)  # every event, exactly as saved
    # ... and they are rows of the database DATABASE_URL names, not of another one.
    engine = sqlalchemy.create_engine(PG_URL, future=True)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sqlalchemy.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).scalars()
            assert list(stored) == [event.type_name for event in tracker.events]
    finally:
        engine.dispose()


def test_lock_store_on_redis_serialises_a_conversation(endpoints) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.lock_store import LockStore, RedisLockStore

    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, RedisLockStore)
    conversation = f"test-{uuid.uuid4().hex}"

    async def take_two_tickets() -> tuple[int, int, int, str]:
        async with store.lock(conversation):
            lock = store.get_or_create_lock(conversation)
            held = lock.now_serving  # the ticket of this `async with`
            first = lock.issue_ticket(30)
            second = lock.issue_ticket(30)
            store.save_lock(lock)
            return held, first, second, lock.dumps()

    held, first, second, saved = asyncio.run(take_two_tickets())
    assert second == first + 1
    assert first == held + 1
    # The exact value round-trips through Redis, under the operator's REDIS_URL database
    # and the key prefix endpoints.production.yml sets: read back by another client.
    import redis

    raw = redis.Redis.from_url(REDIS_URL).get(f"walletsupport:lock:{conversation}")
    assert raw is not None, "the lock is not where the production configuration puts it"
    value = json.loads(raw)
    tickets = [json.loads(t) for t in value["tickets"]]
    assert value["conversation_id"] == conversation
    # Leaving the `async with` gave up its own ticket; the two issued inside remain.
    assert [t["number"] for t in tickets] == [first, second]
    assert tickets == [json.loads(t) for t in json.loads(saved)["tickets"]][1:]
    again = store.get_lock(conversation)
    assert again is not None and again.dumps() == raw.decode()
    store.delete_lock(conversation)
