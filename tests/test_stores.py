"""The production profile's stores against the PostgreSQL and Redis on this host.

Skipped, with the reason printed, when either service is not reachable.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import pytest

from bot.endpoints import rasa_environment
from tests.e2e_support import service_missing

ROOT = Path(__file__).resolve().parent.parent
# What `scripts/serve.sh rasa` derives from the two URLs an operator sets.
ENV = {
    "ACTION_ENDPOINT_URL": "http://127.0.0.1:5055/webhook",
    **rasa_environment(
        "postgresql+psycopg2://postgres@127.0.0.1:5432/test", "redis://127.0.0.1:6379/0"
    ),
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


def _reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def endpoints(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for service, port in (("PostgreSQL", 5432), ("Redis", 6379)):
        if not _reachable(port):
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


def test_lock_store_on_redis_serialises_a_conversation(endpoints) -> None:  # type: ignore[no-untyped-def]
    from rasa.core.lock_store import LockStore, RedisLockStore

    store = LockStore.create(endpoints.lock_store)
    assert isinstance(store, RedisLockStore)
    conversation = f"test-{uuid.uuid4().hex}"

    async def take_two_tickets() -> tuple[int, int]:
        async with store.lock(conversation):
            lock = store.get_or_create_lock(conversation)
            first = lock.issue_ticket(30)
            second = lock.issue_ticket(30)
            store.save_lock(lock)
            return first, second

    first, second = asyncio.run(take_two_tickets())
    assert second == first + 1
