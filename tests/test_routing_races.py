"""Routing across gateway processes, on SQLite and PostgreSQL: passes racing on
separate connections and in two gateways never assign a chat twice or fill an agent
past the maximum (both fail on PostgreSQL without the routing lock), and a pass that
fails leaves the chat in the queue."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy import select

from common.clock import utcnow
from store import routing
from store.db import make_engine, session_factory
from store.models import HandoffSession
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway, texts
from tests.support.routing import admin, auto_assign, mine, profile


def test_passes_racing_on_eight_connections_never_overfill_an_agent(database_url: str) -> None:
    """Eight passes at once (as from eight gateways): each chat assigned once, nobody
    past capacity. Without the routing lock, PostgreSQL assigns all ten."""
    first = Gateway(database_url, FakeRasa())
    with first.client:
        boss = admin(first)
        team = [first.agent(f"a{n}@example.com") for n in range(3)]
        for headers in team:
            profile(first, boss, headers, max_chats=2)
        for _ in range(10):
            first.say(first.visitor(), "human", language="en")
    assert len(first.queue(boss)) == 10
    engine = make_engine(database_url)
    factory = session_factory(engine)
    barrier = threading.Barrier(8)
    won: list[tuple[int, int]] = []

    def one_pass() -> None:
        now = utcnow()
        barrier.wait()
        with factory.begin() as db:
            won.extend(routing.assign_waiting(db, now, now - timedelta(minutes=2)))

    threads = [threading.Thread(target=one_pass) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with factory() as db:
        assigned = db.execute(
            select(HandoffSession.id, HandoffSession.agent_id).where(
                HandoffSession.state == "assigned"
            )
        ).all()
        loads = routing.loads(db)
    engine.dispose()
    assert len(won) == len(assigned) == 6  # three agents, two slots each
    assert sorted(won) == sorted((s, a) for s, a in assigned)
    assert sorted(loads.values()) == [2, 2, 2]


def test_two_gateways_passing_at_once_tell_each_user_once(database_url: str) -> None:
    first, second = Gateway(database_url, FakeRasa()), Gateway(database_url, FakeRasa())
    with first.client, second.client:
        boss = admin(first)
        pair = [first.agent(f"p{n}@example.com") for n in range(2)]
        for headers in pair:
            profile(first, boss, headers, max_chats=2)
        users = [first.visitor() for _ in range(6)]
        for user in users:  # auto-assignment is off: all six wait
            first.say(user, "human", language="en")
        engine = make_engine(database_url)
        with session_factory(engine).begin() as db:
            routing.set_auto_assign(db, True)
        engine.dispose()
        barrier = threading.Barrier(2)

        def run(gateway: Gateway) -> None:
            barrier.wait()
            asyncio.run(gateway.parts.desk.routed())

        threads = [threading.Thread(target=run, args=(g,)) for g in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        joined = 0
        for user in users:
            said = first.client.get(
                "/webchat/api/messages?after=0", headers={"Authorization": user["Authorization"]}
            ).json()["messages"]
            told = [m for m in said if "has joined" in m["text"]]
            assert len(told) <= 1
            joined += len(told)
        assert joined == 4 and [len(mine(first, h)) for h in pair] == [2, 2]
        assert len(first.queue(boss)) == 2


def test_a_failing_pass_leaves_the_chat_in_the_queue(gateway: Gateway) -> None:
    boss = admin(gateway, online=True)
    auto_assign(gateway, boss)
    engine = make_engine(gateway.url)
    with engine.begin() as connection:  # a real fault: the pass can't read its switch
        connection.exec_driver_sql("DROP TABLE handoff_routing_settings")
    engine.dispose()
    told = texts(gateway.say(gateway.visitor(), "human", language="en"))
    assert "number 1 in line" in told[-1]
    assert [s["state"] for s in gateway.queue(boss)] == ["queued"]
