"""A web chat turn's writes in few round trips, and nothing lost for it: the reply's
commit also records the outcome and finishes the turn, a failing content gap can't
take the reply with it, the rate limits count in one Redis MULTI, the scheduler
leaves a held lease alone, and a pooled connection that died while idle is replaced."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import event, select, text

from common.clock import utcnow
from common.limits import Limiter
from handoff import gaps
from store import jobs, leases
from store.db import make_engine, migrate, session_factory
from store.gaps import GapEntry
from store.models import Message
from store.outcomes import TurnOutcome
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway, texts
from tests.support.services import REDIS_URL, fresh_schema, need


class MissingRasa(FakeRasa):
    """Says it has no answer ("miss"): a content gap."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        sender = json.loads(request.content)["sender"]
        replies = [
            {"recipient_id": sender, "text": "I don't know that one yet."},
            {"recipient_id": sender, "custom": {"outcome": "miss"}},
        ]
        return httpx.Response(200, json=replies)


@pytest.fixture
def missing(database_url: str) -> Iterator[Gateway]:
    gateway = Gateway(database_url, MissingRasa())
    with gateway.client:
        yield gateway


def test_the_reply_s_commit_records_the_outcome_and_finishes_the_turn(
    missing: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished: list[int] = []
    inbox = missing.parts.inbox
    monkeypatch.setattr(inbox, "finish", lambda message_id: finished.append(message_id))
    response = missing.say(missing.visitor("en"), "how do I stake?")
    assert response.status_code == 200, response.text
    assert texts(response) == ["I don't know that one yet."]
    with missing.parts.inbox.database() as db:
        asked = db.get(Message, response.json()["message"]["id"])
        assert asked is not None and not asked.pending
        assert [o.outcome for o in db.execute(select(TurnOutcome)).scalars()] == ["miss"]
        gap = db.execute(select(GapEntry)).scalar_one()
        assert (gap.message_id, gap.kind) == (asked.id, "miss")
    assert finished == []  # no second transaction to finish it


def test_a_content_gap_that_fails_loses_neither_the_reply_nor_the_outcome(
    missing: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(db: Any, *args: Any) -> None:
        db.execute(text("SELECT * FROM no_such_table"))  # fails inside the transaction

    monkeypatch.setattr(gaps, "after_turn", broken)
    response = missing.say(missing.visitor("en"), "how do I stake?")
    assert response.status_code == 200, response.text
    assert texts(response) == ["I don't know that one yet."]
    with missing.parts.inbox.database() as db:
        replies = db.execute(select(Message).where(Message.author == "bot")).scalars()
        assert [m.text for m in replies] == ["I don't know that one yet."]
        assert not db.get(Message, response.json()["message"]["id"]).pending
        assert [o.outcome for o in db.execute(select(TurnOutcome)).scalars()] == ["miss"]
        assert list(db.execute(select(GapEntry)).scalars()) == []


def test_the_limits_count_in_one_multi_with_the_library_s_own_windows() -> None:
    need("Redis")
    limiter = Limiter(REDIS_URL, prefix=f"test-{utcnow().timestamp()}")
    per_ip, per_visitor = parse_many("3/minute"), parse_many("2/minute;100/hour")
    both = [(per_ip, ("ip", "1.2.3.4")), (per_visitor, ("visitor", "v1"))]
    assert limiter.hit_all(both) is None
    assert limiter.hit_all(both) is None
    refused = limiter.hit_all(both)  # the visitor's third in a minute
    assert refused is not None and 1 <= refused.retry_after <= 60
    # The library reads the same counters and windows.
    library = FixedWindowRateLimiter(limiter.storage)
    reset, remaining = library.get_window_stats(per_ip[0], limiter.prefix, "ip", "1.2.3.4")
    assert remaining == 0 and reset > utcnow().timestamp()
    assert library.get_window_stats(per_visitor[1], limiter.prefix, "visitor", "v1")[1] == 97


def test_the_scheduler_asks_for_a_held_lease_again_only_once_it_lapsed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    now = utcnow()
    with sessions.begin() as db:  # another process holds it for a minute
        assert leases.acquire(db, "sweep", timedelta(seconds=60), now, holder="other")
    clock = [now]
    scheduler = jobs.Scheduler(sessions, clock=lambda: clock[0])
    runs: list[int] = []

    async def job() -> None:
        runs.append(1)

    scheduler.every("sweep", 60, job)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert asyncio.run(scheduler.run_due()) == []
    asked = len(statements)
    assert asked > 0
    clock[0] = now + timedelta(seconds=59)
    assert asyncio.run(scheduler.run_due()) == []
    assert len(statements) == asked  # still held: the database isn't asked
    clock[0] = now + timedelta(seconds=61)
    assert asyncio.run(scheduler.run_due()) == ["sweep"]
    assert runs == [1]
    engine.dispose()


def test_a_pooled_connection_that_died_while_idle_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("store.db.PING_AFTER_IDLE", 0.0)
    with fresh_schema() as database_url:
        _replaced(database_url)


def _replaced(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        first = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = make_engine(database_url)
    with admin.connect() as connection:  # the server drops it (a restart, a proxy)
        connection.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
    with engine.connect() as connection:
        second = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    assert second != first
    engine.dispose()
    admin.dispose()
