"""A web chat turn's CPU in the gateway, cut where it bought nothing: a gateway never
opens the events it published itself, while the others still get every one, and the
answer is written as FastAPI's response model would write it, without validating it
again (docs/benchmarks.md, *The gateway's CPU per web chat turn*)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import redis
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from connectors.webchat._api import Posted
from events import EventHub, RedisFanout
from events.envelope import Sealer
from tests.support.gateway import Gateway
from tests.support.services import REDIS_URL, need


def test_a_gateway_never_opens_its_own_events_and_the_others_get_every_one() -> None:
    need("Redis")
    channel = f"test:{uuid.uuid4().hex}"
    secrets = [b"a secret for the own-events test"]

    async def run() -> None:
        a, b = EventHub(), EventHub()
        fan_a = RedisFanout(a, REDIS_URL, secrets, channel)
        fan_b = RedisFanout(b, REDIS_URL, secrets, channel)
        opened: dict[str, int] = {"a": 0, "b": 0}
        for name, fan in (("a", fan_a), ("b", fan_b)):
            sealer_open = fan._sealer.open

            def counting(data: Any, name: str = name, sealer_open: Any = sealer_open) -> Any:
                opened[name] += 1
                return sealer_open(data)

            fan._sealer.open = counting  # type: ignore[method-assign]
        sent: list[int] = []
        a.on_sent = sent.extend
        tasks = [asyncio.create_task(fan_a.run()), asyncio.create_task(fan_b.run())]
        await asyncio.wait_for(asyncio.gather(fan_a.ready.wait(), fan_b.ready.wait()), 10)
        async with a.subscribe("desk") as on_a, b.subscribe("desk") as on_b:
            for n in range(1, 11):  # outbox events (with ids) and a hint
                a.publish("desk", presence(n), n)
            a.publish("desk", presence(11))
            got = [await asyncio.wait_for(on_b.get(), 5) for _ in range(11)]
            assert [e["agent"]["id"] for e in got] == list(range(1, 12))  # in order
            own = [on_a.get_nowait() for _ in range(on_a.qsize())]  # delivered at once
            assert [e["agent"]["id"] for e in own] == list(range(1, 12))
            # An envelope of a gateway from before the origin came first: opened.
            earlier = json.loads(Sealer(secrets).seal("old-gateway", "desk", presence(12), 12))
            earlier.pop("from", None)
            redis.Redis.from_url(REDIS_URL).publish(channel, json.dumps(earlier))
            assert await asyncio.wait_for(on_b.get(), 5) == presence(12)
            assert await asyncio.wait_for(on_a.get(), 5) == presence(12)
            b.publish("desk", presence(13), 13)  # behind anything of a's still on its way
            assert await asyncio.wait_for(on_a.get(), 5) == presence(13)
        assert [on_a.get_nowait() for _ in range(on_a.qsize())] == []
        assert opened == {"a": 2, "b": 12}  # a opened the old gateway's and b's, none of its own
        assert sorted(sent) == list(range(1, 11))  # every id published, reported for its mark
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


def presence(n: int) -> dict[str, object]:
    """A console event of a shape gateways accept (events.shapes)."""
    agent = {"id": n, "email": f"a{n}@example.com", "display_name": "agent", "presence": "online"}
    return {"type": "presence", "agent": agent}


def test_a_message_s_answer_is_written_as_fastapi_would_write_the_model(gateway: Gateway) -> None:
    me = gateway.visitor()
    response = gateway.say(me, "hello", language="en")
    assert response.status_code == 200
    # What FastAPI's response model made of the same answer, byte for byte.
    model = Posted.parse_obj(response.json())
    expected = JSONResponse(jsonable_encoder(model)).body
    assert response.content == expected
    assert response.json()["replies"][0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]
    assert "image" not in response.json()["message"]  # not part of the model
