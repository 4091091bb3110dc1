"""Who counts as online, and transfers to someone who isn't (issue 16, defects 2 and 3).

Real gateways under uvicorn on SQLite and PostgreSQL, real console sockets: logging
out takes an agent offline at once (the team list, ``agents list``, the user's
queue place); closing every console does so after a short grace, and a console
left open on another gateway keeps them online; a transfer to an away or disabled
agent is refused with a reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from store.agents import create_agent
from store.db import make_engine, session_factory
from store.models import Agent
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.logs import Socket, served
from tests.support.waiting import wait_until

GRACE = 1.5
SETTINGS = ALWAYS.copy(update={"heartbeat_seconds": 0.3, "presence_grace_seconds": GRACE})


@dataclass
class Served:
    url: str
    database_url: str

    def agent(self, email: str) -> dict[str, str]:
        """A new agent, logged in, who chose Online: the auth header."""
        engine = make_engine(self.database_url)
        with session_factory(engine).begin() as db:
            create_agent(db, email, email.split("@")[0].title(), PASSWORD)
        engine.dispose()
        headers = self.login(email)
        chose = httpx.put(
            f"{self.url}/api/agent/presence", json={"presence": "online"}, headers=headers
        )
        assert chose.status_code == 200, chose.text
        return headers

    def login(self, email: str) -> dict[str, str]:
        login = httpx.post(
            f"{self.url}/api/agent/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['token']}"}

    def console(self, headers: dict[str, str]) -> Socket:
        token = headers["Authorization"].split()[1]
        socket = Socket(
            self.url.replace("http://", "ws://") + "/api/agent/ws", {"type": "auth", "token": token}
        )
        assert socket.ready.wait(10), f"no 'ready' frame: closed with {socket.code}"
        return socket

    def team(self, headers: dict[str, str]) -> dict[str, str]:
        """Display name -> presence, as the Transfer menu lists them."""
        listed = httpx.get(f"{self.url}/api/agent/agents", headers=headers)
        assert listed.status_code == 200, listed.text
        return {a["display_name"]: a["presence"] for a in listed.json()["agents"]}

    def ask_for_human(self) -> list[str]:
        visitor = httpx.post(f"{self.url}/webchat/api/visitors", json={"language": "en"}).json()
        said = httpx.post(
            f"{self.url}/webchat/api/messages",
            json={"text": "human", "language": "en"},
            headers={"Authorization": f"Bearer {visitor['token']}"},
            timeout=30,
        )
        assert said.status_code == 200, said.text
        return [r["text"] for r in said.json()["replies"]]

    def cli_list(self) -> str:
        env = {**os.environ, "DATABASE_URL": self.database_url, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-m", "handoff", "agents", "list"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
def two_gateways(database_url: str) -> Iterator[tuple[Served, Served]]:
    """Two gateway processes' worth of apps on one database, each under uvicorn."""
    with ExitStack() as stack:
        urls = []
        for _ in range(2):
            gateway = Gateway(database_url, FakeRasa(), SETTINGS)
            urls.append(stack.enter_context(served(gateway.app)))
        yield Served(urls[0], database_url), Served(urls[1], database_url)


def test_logging_out_is_offline_at_once_everywhere(two_gateways: tuple[Served, Served]) -> None:
    a, _ = two_gateways
    dana = a.agent("dana@example.com")
    omar = a.agent("omar@example.com")
    httpx.put(f"{a.url}/api/agent/presence", json={"presence": "away"}, headers=omar)
    console = a.console(dana)
    wait_until(lambda: a.team(omar).get("Dana") == "online", 10, "Dana never came online")
    assert "number 1 in line" in " ".join(a.ask_for_human())

    assert httpx.post(f"{a.url}/api/agent/logout", headers=dana).status_code == 204
    assert a.team(omar)["Dana"] == "offline"
    assert "\toffline\t" in next(line for line in a.cli_list().splitlines() if "dana@" in line)
    # Nobody is there now: the next user gets a ticket, not a place in a queue nobody serves.
    told = " ".join(a.ask_for_human())
    assert "No agent is online" in told and "in line" not in told
    console.close()


def test_login_and_reconnect_keep_an_agent_who_chose_away_away(
    two_gateways: tuple[Served, Served],
) -> None:
    a, _ = two_gateways
    dana = a.agent("dana@example.com")
    chose = httpx.put(f"{a.url}/api/agent/presence", json={"presence": "away"}, headers=dana)
    assert chose.json()["presence"] == "away"
    assert httpx.post(f"{a.url}/api/agent/logout", headers=dana).status_code == 204
    again = a.login("dana@example.com")
    console = a.console(again)
    me = httpx.get(f"{a.url}/api/agent/me", headers=again).json()
    assert me["presence"] == "away" and me["chosen"] == "away"
    console.close()


def test_closing_every_console_is_offline_after_a_grace_unless_one_is_open_elsewhere(
    two_gateways: tuple[Served, Served],
) -> None:
    a, b = two_gateways
    dana = a.agent("dana@example.com")
    lena = a.agent("lena@example.com")
    omar = a.agent("omar@example.com")
    dana_here, dana_there = a.console(dana), b.console(dana)
    lena_console = a.console(lena)
    wait_until(
        lambda: a.team(omar).get("Dana") == a.team(omar).get("Lena") == "online",
        10,
        "the consoles never made them online",
    )
    watcher = a.console(omar)  # (events cross gateways only over Redis)

    # Lena closes her only console (a reload would reconnect within the grace).
    lena_console.close()
    dana_here.close()  # Dana still has a console on the other gateway
    assert a.team(omar)["Lena"] == "online"
    time.sleep(GRACE + 1.0)
    assert a.team(omar)["Lena"] == "offline"
    assert b.team(omar)["Dana"] == "online"

    # The other consoles are told, so their Transfer menus drop her.
    def told(frame: dict[str, Any]) -> bool:
        return frame.get("type") == "presence" and frame["agent"]["display_name"] == "Lena"

    wait_until(lambda: any(told(f) for f in watcher.frames), 10, "no presence push for Lena")
    assert [f for f in watcher.frames if told(f)][-1]["agent"]["presence"] == "offline"
    dana_there.close()
    time.sleep(GRACE + 1.0)
    assert a.team(omar)["Dana"] == "offline"
    watcher.close()


def test_a_transfer_to_an_away_or_disabled_agent_is_refused_with_a_reason(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    gateway.agent("carol@example.com")
    me = gateway.visitor()
    gateway.say(me, "human", language="en")
    [session] = gateway.queue(alice)
    sid, post = session["id"], gateway.client.post
    assert post(f"/api/agent/sessions/{sid}/claim", headers=alice).status_code == 200
    ids = {
        a["display_name"]: a["id"]
        for a in gateway.client.get("/api/agent/agents", headers=alice).json()["agents"]
    }

    assert gateway.put_presence(bob, "away").status_code == 200
    away = post(f"/api/agent/sessions/{sid}/transfer", json={"agent_id": ids["Bob"]}, headers=alice)
    assert away.status_code == 409
    assert "Bob is away" in away.json()["detail"] and "away_ok" in away.json()["detail"]

    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        row = db.get(Agent, ids["Carol"])
        assert row is not None
        row.active = False
    engine.dispose()
    disabled = post(
        f"/api/agent/sessions/{sid}/transfer",
        json={"agent_id": ids["Carol"], "away_ok": True},
        headers=alice,
    )
    assert disabled.status_code == 422 and "Carol is disabled" in disabled.json()["detail"]
    assert gateway.queue(alice, "mine")[0]["id"] == sid  # still Alice's

    confirmed = post(
        f"/api/agent/sessions/{sid}/transfer",
        json={"agent_id": ids["Bob"], "away_ok": True},
        headers=alice,
    )
    assert confirmed.status_code == 200 and confirmed.json()["agent"]["id"] == ids["Bob"]
