"""The scale-out pieces one at a time: leases, Redis fan-out, Rasa failover, web chat
client ids, recovery of unfinished turns, concurrent migrations."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy

from common.channel import Connector, DeliveryFailed
from common.clock import utcnow
from common.messages import OutboundMessage
from common.settings import ServiceSettings
from connectors.webchat import WebChatConnector
from events import EventHub, RedisFanout
from gateway.assembly import Parts, assemble
from gateway.rasa import RasaClient, RasaUnavailable
from store import conversations, jobs, leases, messages
from store.db import make_engine, migrate, session_factory
from store.models import Message
from tests.cluster import REDIS_URL, fresh_database, services_up
from tests.e2e_support import ROOT, service_missing
from tests.test_gateway import ALWAYS, FakeRasa, Gateway, database_url  # noqa: F401


def _need(service: str) -> None:
    missing = services_up()
    if missing and service in missing:
        service_missing(missing)


# --- leases -----------------------------------------------------------------------------


def test_a_lease_is_won_by_exactly_one_of_many_concurrent_processes(database_url: str) -> None:  # noqa: F811
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


def test_the_desk_jobs_act_once_when_two_processes_run_them(database_url: str) -> None:  # noqa: F811
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


# --- Redis fan-out ------------------------------------------------------------------------


def test_events_cross_processes_over_redis_once_and_clients_resync_after_an_outage() -> None:
    _need("Redis")
    channel = f"test:{uuid.uuid4().hex}"

    async def run() -> None:
        a, b = EventHub(), EventHub()
        fan_a, fan_b = RedisFanout(a, REDIS_URL, channel), RedisFanout(b, REDIS_URL, channel)
        tasks = [asyncio.create_task(fan_a.run()), asyncio.create_task(fan_b.run())]
        await asyncio.wait_for(asyncio.gather(fan_a.ready.wait(), fan_b.ready.wait()), 10)
        async with a.subscribe("desk") as on_a, b.subscribe("desk") as on_b:
            for n in range(20):
                a.publish("desk", {"type": "message", "n": n})
            got_b = [await asyncio.wait_for(on_b.get(), 5) for _ in range(20)]
            assert [e["n"] for e in got_b] == list(range(20))  # in order
            got_a = [on_a.get_nowait() for _ in range(on_a.qsize())]
            assert [e["n"] for e in got_a] == list(range(20))  # once: not echoed back
            await asyncio.sleep(0.3)
            assert on_a.empty() and on_b.empty()
            # Redis drops B's connection: B's clients are told to reload.
            admin = redis.Redis.from_url(REDIS_URL)
            for client in admin.client_list():
                if client["name"] == fan_b.client_name:
                    admin.client_kill_filter(_id=client["id"])
            event = await asyncio.wait_for(on_b.get(), 15)
            assert event == {"type": "resync"}
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


# --- Rasa failover ------------------------------------------------------------------------


def test_a_conversation_moves_to_the_next_rasa_server_only_when_its_server_is_gone() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.host)
        if request.url.host == "dead":
            raise httpx.ConnectError("refused", request=request)
        if request.url.host == "buggy":  # httpcore, when a server dies as we connect
            raise AttributeError("'NoneType' object has no attribute 'getpeername'")
        if request.url.host == "slow":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json=[{"text": f"from {request.url.host}"}])

    from common.messages import InboundMessage

    async def run() -> None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        rasa = RasaClient(["http://dead", "http://alive"], client=client)
        for n in range(10):
            [reply] = await rasa.send(InboundMessage("webchat", f"user{n}", "hi"))
            assert reply.text == "from alive"
        assert calls.count("alive") == 10 and 0 < calls.count("dead") < 10
        buggy = RasaClient(["http://buggy"], client=client)
        with pytest.raises(RasaUnavailable):
            await buggy.send(InboundMessage("webchat", "user0", "hi"))
        # The request reached a server that then died: its lock ticket is waited out
        # before the next server is asked (a refused connection is retried at once).
        both = RasaClient(["http://buggy", "http://alive"], client=client, lock_seconds=0.3)
        started = time.monotonic()
        [reply] = await both.send(InboundMessage("webchat", "user1", "hi"))
        assert reply.text == "from alive" and time.monotonic() - started >= 0.8
        started = time.monotonic()
        for n in range(4):  # the dead one is now asked last
            [reply] = await both.send(InboundMessage("webchat", f"user{n}", "hi"))
            assert reply.text == "from alive"
        assert time.monotonic() - started < 0.5
        slow = RasaClient(["http://slow", "http://alive"], client=client)
        calls.clear()
        with pytest.raises(RasaUnavailable):  # it may still be working: never a second turn
            for n in range(10):
                await slow.send(InboundMessage("webchat", f"user{n}", "hi"))
        assert calls[-1] == "slow"  # the timed-out call was not sent on to "alive"

    asyncio.run(run())


# --- web chat client ids and unfinished turns ------------------------------------------


def test_a_retried_web_chat_message_is_stored_once(database_url: str) -> None:  # noqa: F811
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        headers = {"Authorization": gateway.visitor()["Authorization"]}
        body = {"text": "hello there", "client_id": "c-12345678"}
        first = gateway.client.post("/webchat/api/messages", json=body, headers=headers)
        again = gateway.client.post("/webchat/api/messages", json=body, headers=headers)
        assert first.status_code == again.status_code == 200
        assert first.json()["duplicate"] is False and again.json()["duplicate"] is True
        assert again.json()["message"]["id"] == first.json()["message"]["id"]
        # The retry gets the answer the first copy got (its gateway may have died before
        # the page saw it).
        assert again.json()["replies"] == first.json()["replies"] != []
        assert len(gateway.rasa.calls) == 1
        history = gateway.client.get("/webchat/api/messages", headers=headers).json()
        assert [m["text"] for m in history["messages"] if m["author"] == "user"] == ["hello there"]
        bad = gateway.client.post(
            "/webchat/api/messages", json={**body, "client_id": "<script>"}, headers=headers
        )
        assert bad.status_code == 422


def test_a_turn_left_unfinished_by_a_dead_process_is_finished_once(database_url: str) -> None:  # noqa: F811
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        inbox = first.parts.inbox
        later = lambda: utcnow() + timedelta(seconds=5)  # noqa: E731  (past the 2 s grace)
        for gateway in (first, second):
            gateway.parts.inbox.clock = later
        # A slow turn of a live process is left alone, however old.
        slow = inbox.receive("webchat:v0", "webchat", "en", "slow one", pending=True)
        assert asyncio.run(second.parts.router.recover()) == 0
        # What a process killed between storing a message and answering it leaves
        # behind: its liveness lease is gone.
        inbox.holder = "host:4242:dead01"
        stored = inbox.receive("webchat:v1", "webchat", "en", "where is my USDT", pending=True)

        async def both() -> list[int]:
            return list(
                await asyncio.gather(first.parts.router.recover(), second.parts.router.recover())
            )

        # The gateways' own schedulers may take it first: either way, one turn.
        assert sum(asyncio.run(both())) <= 1
        for _ in range(50):
            if first.rasa.calls or second.rasa.calls:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        calls = first.rasa.calls + second.rasa.calls
        assert [call["message"] for call in calls] == [stored.message.text]
        with inbox.database() as db:
            texts = [(m.author, m.text) for m in messages.messages(db, "webchat:v1")]
            assert db.get(Message, slow.message.id).pending  # still the live process's
        assert texts == [("user", "where is my USDT"), ("bot", "bot: where is my USDT")]


def _standalone_router(url: str, holder: str) -> tuple[Parts, FakeRasa]:
    """The parts of one "process" *holder*, with no scheduler running."""
    engine = make_engine(url)
    migrate(engine)
    hub = EventHub()
    rasa = FakeRasa()
    client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
    database = session_factory(engine)
    parts = assemble(
        database, hub, ALWAYS, ServiceSettings(), RasaClient("http://rasa.test", client=client)
    )
    parts.outbox.connectors["webchat"] = WebChatConnector(hub)
    parts.inbox.holder = holder
    parts.inbox.clock = lambda: utcnow() + timedelta(seconds=5)  # past the 2 s grace
    return parts, rasa


def test_a_recovered_turn_stays_pending_until_answered_and_survives_its_recoverer_dying(
    database_url: str,  # noqa: F811
) -> None:
    writer, _ = _standalone_router(database_url, "host:1:dead01")  # killed mid-turn
    recoverer, _ = _standalone_router(database_url, "host:2:dies02")  # killed recovering
    survivor, rasa = _standalone_router(database_url, "host:3:live03")
    stored = writer.inbox.receive("webchat:v1", "webchat", "en", "where is my USDT", pending=True)
    # A second process takes the turn over, then dies before answering it. The turn
    # is still unanswered, so it is still pending, now under the second process.
    [taken] = recoverer.inbox.take_stale_turns()
    assert taken.message.id == stored.message.id
    with writer.inbox.database() as db:
        row = db.get(Message, stored.message.id)
        assert row is not None and row.pending and row.handler == "host:2:dies02"
    lease = leases.ALIVE + "host:2:dies02"
    # While the second process's liveness lease is current, nobody else takes it ...
    with survivor.inbox.database.begin() as db:
        assert leases.acquire(db, lease, timedelta(seconds=60), utcnow(), holder="host:2:dies02")
    assert asyncio.run(survivor.router.recover()) == 0
    assert rasa.calls == []
    # ... and once the lease lapses, the turn is taken over again and answered once.
    with survivor.inbox.database.begin() as db:
        leases.release(db, lease, utcnow(), holder="host:2:dies02")
    assert asyncio.run(survivor.router.recover()) == 1
    assert [call["message"] for call in rasa.calls] == ["where is my USDT"]
    with survivor.inbox.database() as db:
        rows = messages.messages(db, "webchat:v1")
        assert [(m.author, m.text) for m in rows] == [
            ("user", "where is my USDT"),
            ("bot", "bot: where is my USDT"),
        ]
        row = db.get(Message, stored.message.id)
        assert row is not None and not row.pending
    assert asyncio.run(survivor.router.recover()) == 0


# --- migrations -----------------------------------------------------------------------------


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    _need("PostgreSQL")
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
    engine.dispose()
    assert versions == [("0005",)] and tables and tables >= 10


class Flaky(Connector):
    """A platform that refuses the first send, then takes everything."""

    name = "flaky"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.refuse = 1

    async def send_text_message(self, user_id: str, text: str) -> None:
        if self.refuse:
            self.refuse -= 1
            raise DeliveryFailed("502 from the platform")
        self.sent.append(text)


def test_a_failed_delivery_is_retried_once_across_processes(database_url: str) -> None:  # noqa: F811
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    platform = Flaky()
    with first.client, second.client:
        for gateway in (first, second):
            gateway.parts.outbox.connectors["flaky"] = platform
        outbox = first.parts.outbox
        with outbox.database.begin() as db:
            conversations.ensure_conversation(db, "flaky:u1", "flaky", "en")
        asyncio.run(outbox.deliver("flaky:u1", [OutboundMessage(text="your ticket is T-000001")]))
        assert platform.sent == []

        async def both() -> list[int]:
            return list(
                await asyncio.gather(
                    first.parts.outbox.retry_failed(), second.parts.outbox.retry_failed()
                )
            )

        # The gateways' own retry jobs may get to it first: either way, sent once.
        assert sum(asyncio.run(both())) <= 1
        for _ in range(50):
            if platform.sent:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        assert platform.sent == ["your ticket is T-000001"]
        with outbox.database() as db:
            [message] = messages.messages(db, "flaky:u1")
        assert message.delivery is None and message.attempts == 1


def test_a_turn_that_fails_in_a_live_process_is_run_once_more(database_url: str) -> None:  # noqa: F811
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        router, inbox, answers = (
            gateway.parts.router,
            gateway.parts.inbox,
            gateway.parts.router.answers,
        )
        original = answers.from_bot
        failures = [RuntimeError("the database went away mid-turn")]

        async def failing(*args: object) -> object:
            if failures:
                raise failures.pop()
            return await original(*args)

        answers.from_bot = failing  # type: ignore[method-assign]
        me = gateway.visitor()
        with pytest.raises(RuntimeError):
            gateway.say(me, "where is my USDT")
        inbox.clock = lambda: utcnow() + timedelta(seconds=5)
        for _ in range(50):  # the gateway's own job, or this call, runs it again
            asyncio.run(router.recover())
            with inbox.database() as db:
                rows = messages.messages(db, next(iter(_conversations(db))))
            if len(rows) > 1:
                break
            time.sleep(0.1)
        assert [(m.author, m.text) for m in rows] == [
            ("user", "where is my USDT"),
            ("bot", "bot: where is my USDT"),
        ]
        assert not rows[0].pending


def _conversations(db: object) -> list[str]:
    from sqlalchemy import select

    from store.models import Conversation

    return list(db.execute(select(Conversation.id)).scalars())  # type: ignore[attr-defined]


def test_an_agent_reply_retried_with_its_client_id_reaches_the_user_once(
    database_url: str,  # noqa: F811
) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        agent = first.agent("dana@example.com")
        me = first.visitor()
        first.say(me, "human")
        [session] = first.queue(agent)
        claim = first.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
        assert claim.status_code == 200
        body = {"text": "Hi, I'm Dana.", "client_id": "reply-0001"}
        path = f"/api/agent/sessions/{session['id']}/messages"
        once = first.client.post(path, json=body, headers=agent)
        again = second.client.post(path, json=body, headers=agent)  # the other gateway
        assert once.status_code == again.status_code == 200
        assert once.json()["id"] == again.json()["id"]
        history = first.client.get(
            "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
        ).json()["messages"]
        assert [m["text"] for m in history if m["author"] == "agent"] == ["Hi, I'm Dana."]
