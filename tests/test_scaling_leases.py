"""Scale-out: work that one process at a time may do. Leases, the job scheduler, the
desk's jobs in two processes, and six processes migrating one database at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy

from common.clock import utcnow
from store import jobs, leases
from store.db import make_engine, migrate, session_factory
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT, schema
from tests.support.gateway import ALWAYS, Gateway
from tests.support.services import fresh_database, need


def test_a_lease_is_won_by_exactly_one_of_many_concurrent_processes(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    now = utcnow()
    for period in range(3):  # three periods; 8 contenders in each
        moment = now + timedelta(seconds=10 * period)
        wins: list[str] = []
        barrier = threading.Barrier(8)

        def contend(
            holder: str,
            at: object = moment,
            barrier: threading.Barrier = barrier,
            wins: list[str] = wins,
        ) -> None:
            barrier.wait()
            with sessions.begin() as db:
                if leases.acquire(db, "sla", timedelta(seconds=9), at, holder=holder):  # type: ignore[arg-type]
                    wins.append(holder)

        threads = [threading.Thread(target=contend, args=(f"p{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, (period, wins)
    with sessions.begin() as db:  # a held role is renewed by its holder only
        assert leases.acquire(db, "poll", timedelta(seconds=30), now, holder="a", renew=True)
        assert leases.acquire(db, "poll", timedelta(seconds=30), now, holder="a", renew=True)
        assert not leases.acquire(db, "poll", timedelta(seconds=30), now, holder="b", renew=True)
    engine.dispose()


def test_the_scheduler_runs_each_job_once_per_period_across_processes(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    runs: list[str] = []
    clock = [utcnow()]
    schedulers = [jobs.Scheduler(sessions, clock=lambda: clock[0]) for _ in range(3)]

    async def job() -> None:
        runs.append("ran")

    for scheduler in schedulers:
        scheduler.every("reminders", 60, job)

    async def passes() -> None:
        for minute in range(4):
            clock[0] = utcnow() + timedelta(seconds=61 * minute)
            for _ in range(3):  # each process looks several times per period
                for scheduler in schedulers:
                    await scheduler.run_due()

    asyncio.run(passes())
    assert len(runs) == 4
    engine.dispose()


def test_the_desk_jobs_act_once_when_two_processes_run_them(database_url: str) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        first.agent("away@example.com", online=False)
        first.say(first.visitor(), "human")  # nobody online: a ticket, due in 48 h
        seen: list[dict[str, object]] = []
        for gateway in (first, second):
            hub = gateway.parts.desk.hub
            original = hub.publish

            def spy(topic: str, event: dict[str, object], original: object = original) -> None:
                seen.append(event)
                original(topic, event)  # type: ignore[operator]

            hub.publish = spy
        for gateway in (first, second):
            gateway.parts.desk.settings = ALWAYS.copy(update={"reminder_hours": 72})

        async def both() -> None:
            await asyncio.gather(first.parts.sla.remind(), second.parts.sla.remind())

        asyncio.run(both())
        assert [e["type"] for e in seen].count("reminder") == 1


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    need("PostgreSQL")
    with fresh_database() as url:
        yield url


def test_six_processes_migrating_at_once_upgrade_the_schema_once(empty_postgres: str) -> None:
    env = {"DATABASE_URL": empty_postgres, "PATH": str(Path(sys.executable).parent)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "handoff", "migrate"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(6)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    engine = sqlalchemy.create_engine(empty_postgres, future=True)
    with engine.connect() as connection:
        versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        tables = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'handoff_%'")
        ).scalar()
    built = schema.built(engine)
    engine.dispose()
    assert versions == [("0007_deskfix",)] and tables and tables >= 10
    assert built == schema.declared()  # each table and column once, as the models say
