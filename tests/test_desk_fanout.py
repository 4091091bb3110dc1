"""Issue 16's new pushes across gateways (Redis fan-out): the user's own message reaches
their tab on the other gateway, and an agent's lapse to offline reaches consoles there.
The receiving side's shape checks must let both through (none rejected)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from store.agents import create_agent
from store.db import make_engine, session_factory
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.logs import Socket, served
from tests.support.services import REDIS_URL
from tests.support.waiting import wait_until

SETTINGS = ALWAYS.copy(
    update={"redis_url": REDIS_URL, "heartbeat_seconds": 0.3, "presence_grace_seconds": 1.0}
)


def rejected() -> float:
    value = REGISTRY.get_sample_value("support_fanout_events_total", {"direction": "rejected"})
    return value or 0.0


@pytest.fixture
def pair(database_url: str) -> Iterator[tuple[str, str]]:
    """Two gateways on one database, bridged over a Redis channel of this test's own."""
    channel = f"desk-test-{uuid.uuid4().hex}"
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            gateway = Gateway(database_url, FakeRasa(), SETTINGS)
            gateway.app.state.fanout.channel = channel
            urls.append(stack.enter_context(served(gateway.app)))
        for url in urls:
            wait_until(
                lambda url=url: httpx.get(f"{url}/health").json()["fanout"] == "ok",
                10,
                "the fan-out never came up",
            )
        yield urls[0], urls[1]


def socket(url: str, path: str, token: str) -> Socket:
    opened = Socket(url.replace("http://", "ws://") + path, {"type": "auth", "token": token})
    assert opened.ready.wait(10), f"no 'ready' frame: closed with {opened.code}"
    return opened


def test_the_users_own_message_reaches_their_tab_on_the_other_gateway(
    pair: tuple[str, str],
) -> None:
    a, b = pair
    before = rejected()
    token = httpx.post(f"{a}/webchat/api/visitors", json={}).json()["token"]
    tab = socket(a, "/webchat/ws", token)
    sent = httpx.post(
        f"{b}/webchat/api/messages",
        json={"text": "sent from my phone", "language": "en"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    def mine() -> list[dict[str, Any]]:
        messages = [f["message"] for f in tab.frames if f.get("type") == "message"]
        return [m for m in messages if m["author"] == "user"]

    wait_until(mine, 10, lambda: f"the tab on the other gateway got: {tab.frames}")
    assert mine()[0]["id"] == sent["message"]["id"]
    assert rejected() == before
    tab.close()


def test_an_agents_lapse_to_offline_reaches_consoles_on_the_other_gateway(
    pair: tuple[str, str], database_url: str
) -> None:
    a, b = pair
    before = rejected()
    engine = make_engine(database_url)
    with session_factory(engine).begin() as db:
        for email in ("lena@example.com", "omar@example.com"):
            create_agent(db, email, email.split("@")[0].title(), PASSWORD)
    engine.dispose()
    tokens = {}
    for email in ("lena@example.com", "omar@example.com"):
        login = httpx.post(f"{a}/api/agent/login", json={"email": email, "password": PASSWORD})
        tokens[email] = login.json()["token"]
    lena = socket(b, "/api/agent/ws", tokens["lena@example.com"])
    watcher = socket(a, "/api/agent/ws", tokens["omar@example.com"])
    lena.close()

    def lapsed() -> list[dict[str, Any]]:
        return [
            f
            for f in watcher.frames
            if f.get("type") == "presence"
            and f["agent"]["display_name"] == "Lena"
            and f["agent"]["presence"] == "offline"
        ]

    wait_until(lapsed, 10, lambda: f"the console on the other gateway got: {watcher.frames}")
    assert rejected() == before
    watcher.close()
