"""Scale-out: what crosses between processes. Console and chat events over Redis, and
a conversation's failover from one Rasa server to the next."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest
import redis

from events import EventHub, RedisFanout
from gateway.rasa import RasaClient, RasaUnavailable
from tests.support.services import REDIS_URL, need

SECRETS = [b"transport-test-secret"]


def presence(n: int, name: str = "agent") -> dict[str, object]:
    """A console event of a shape the receiving gateway accepts (events.shapes)."""
    agent = {"id": n, "email": f"a{n}@example.com", "display_name": name, "presence": "online"}
    return {"type": "presence", "agent": agent}


def test_events_cross_processes_over_redis_once_and_clients_resync_after_an_outage() -> None:
    need("Redis")
    channel = f"test:{uuid.uuid4().hex}"

    async def run() -> None:
        a, b = EventHub(), EventHub()
        fan_a, fan_b = (
            RedisFanout(a, REDIS_URL, SECRETS, channel),
            RedisFanout(b, REDIS_URL, SECRETS, channel),
        )
        tasks = [asyncio.create_task(fan_a.run()), asyncio.create_task(fan_b.run())]
        await asyncio.wait_for(asyncio.gather(fan_a.ready.wait(), fan_b.ready.wait()), 10)
        async with a.subscribe("desk") as on_a, b.subscribe("desk") as on_b:
            for n in range(20):
                a.publish("desk", presence(n))
            got_b = [await asyncio.wait_for(on_b.get(), 5) for _ in range(20)]
            assert [e["agent"]["id"] for e in got_b] == list(range(20))  # in order
            got_a = [on_a.get_nowait() for _ in range(on_a.qsize())]
            assert [e["agent"]["id"] for e in got_a] == list(range(20))  # once: not echoed back
            # Nothing more comes: a marker from the other side crosses Redis behind
            # anything still on its way (an echo would arrive before it), both ways.
            b.publish("desk", presence(99, "from b"))
            assert await asyncio.wait_for(on_b.get(), 5) == presence(99, "from b")
            from_b = await asyncio.wait_for(on_a.get(), 5)
            assert from_b == presence(99, "from b"), "a received something twice"
            a.publish("desk", presence(98, "from a"))
            assert on_a.get_nowait() == presence(98, "from a")
            from_a = await asyncio.wait_for(on_b.get(), 5)
            assert from_a == presence(98, "from a"), "b received something twice"
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
