"""Routing by language and capacity, through the in-process gateway on SQLite and
PostgreSQL: auto-assignment, its tie-breaks, a full team, profiles and their bad
input, queue filters, the supervisor's view, the CLI. Races between gateways are in
``test_routing_races.py``.

Fixtures as in ``test_gateway_desk.py`` (``gateway`` and ``database_url``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from common.clock import utcnow
from common.payload import HandoffPayload
from store import handoffs
from store.db import make_engine, migrate, session_factory
from tests.support.gateway import Gateway, texts
from tests.support.routing import admin, agent_id, auto_assign, mine, profile


def test_a_spanish_chat_goes_to_the_agent_who_speaks_spanish(gateway: Gateway) -> None:
    boss = admin(gateway)
    ana, sofia = gateway.agent("ana@example.com"), gateway.agent("sofia@example.com")
    assert profile(gateway, boss, ana, languages=["en", "zh"]).status_code == 200
    assert profile(gateway, boss, sofia, languages=["es"], max_chats=2).json()["languages"] == [
        "es"
    ]
    assert gateway.client.get("/api/agent/routing", headers=ana).json()["auto_assign"] is False
    auto_assign(gateway, boss)

    said = texts(gateway.say(gateway.visitor(), "human", language="es"))
    # Told who joined at once, never a place in a queue nobody will serve.
    assert said[-1].startswith("Sofia, del equipo de soporte, se ha unido"), said
    assert not any("puesto" in line for line in said)
    [sid] = mine(gateway, sofia)
    assert mine(gateway, ana) == [] and gateway.queue(ana) == []
    detail = gateway.client.get(f"/api/agent/sessions/{sid}", headers=sofia).json()
    assert detail["state"] == "assigned" and detail["agent"]["display_name"] == "Sofia"
    assert any("Assigned automatically to Sofia" in m["text"] for m in detail["messages"])

    english = texts(gateway.say(gateway.visitor(), "human", language="en"))
    assert english[-1].startswith("Ana from our support team has joined")
    me = gateway.client.get("/api/agent/routing/me", headers=sofia).json()
    assert (me["load"], me["max_chats"], me["over_capacity"]) == (1, 2, False)


def test_most_free_capacity_first_then_longest_idle(gateway: Gateway) -> None:
    boss = admin(gateway)
    busy, fresh = gateway.agent("busy@example.com"), gateway.agent("fresh@example.com")
    profile(gateway, boss, busy, max_chats=3)
    profile(gateway, boss, fresh, max_chats=2)
    # busy takes one by hand: both have 2 free slots, and busy was active just now.
    gateway.say(gateway.visitor(), "human", language="en")
    [first] = gateway.queue(busy)
    assert gateway.client.post(f"/api/agent/sessions/{first['id']}/claim", headers=busy).is_success
    auto_assign(gateway, boss)

    gateway.say(gateway.visitor(), "human", language="en")
    assert len(mine(gateway, fresh)) == 1  # the tie goes to the one idle longest
    gateway.say(gateway.visitor(), "human", language="en")
    assert len(mine(gateway, busy)) == 2  # 2 free against 1
    gateway.say(gateway.visitor(), "human", language="en")
    gateway.say(gateway.visitor(), "human", language="en")
    assert (len(mine(gateway, busy)), len(mine(gateway, fresh))) == (3, 2)


def test_a_full_team_leaves_the_chat_waiting_until_a_slot_frees(gateway: Gateway) -> None:
    boss = admin(gateway)
    solo = gateway.agent("solo@example.com")
    profile(gateway, boss, solo, max_chats=1)
    auto_assign(gateway, boss)
    first = texts(gateway.say(gateway.visitor(), "human", language="en"))
    assert "has joined" in first[-1]
    second, third = gateway.visitor(), gateway.visitor()
    waiting = texts(gateway.say(second, "human", language="en"))
    assert "number 1 in line" in waiting[-1]  # waits, and is told where
    assert "number 2 in line" in texts(gateway.say(third, "human", language="en"))[-1]
    queue = gateway.queue(solo)
    assert [s["state"] for s in queue] == ["queued", "queued"]

    [held] = mine(gateway, solo)
    assert gateway.client.post(f"/api/agent/sessions/{held}/resolve", headers=solo).is_success
    # The freed slot goes to the chat that waited longest, and its user is told.
    [now_held] = mine(gateway, solo)
    assert now_held == queue[0]["id"]
    with gateway.client.websocket_connect("/webchat/ws") as user_ws:
        user_ws.send_json({"type": "auth", "token": second["token"]})
        assert user_ws.receive_json() == {"type": "ready"}
        replay = gateway.client.get(
            "/webchat/api/messages?after=0", headers={"Authorization": second["Authorization"]}
        ).json()["messages"]
    assert "Solo from our support team has joined" in replay[-1]["text"]
    assert [s["id"] for s in gateway.queue(solo)] == [queue[1]["id"]]


def test_an_agent_coming_online_gets_the_chats_in_their_language(gateway: Gateway) -> None:
    boss = admin(gateway)
    chinese = gateway.agent("zhang@example.com")
    profile(gateway, boss, chinese, languages=["zh"])
    spanish = gateway.agent("sofia@example.com", online=False)
    profile(gateway, boss, spanish, languages=["es"])
    auto_assign(gateway, boss)
    told = texts(gateway.say(gateway.visitor(), "human", language="es"))
    assert "puesto 1" in told[-1]  # an agent is online, but none speaks Spanish
    assert mine(gateway, chinese) == []
    assert gateway.put_presence(spanish, "online").status_code == 200
    # The gateway's periodic pass (every DESK_ROUTING_SECONDS, 5) gives it to her.
    deadline = time.monotonic() + 20
    while not mine(gateway, spanish) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(mine(gateway, spanish)) == 1


def test_claiming_by_hand_still_works_past_capacity_and_shows_it(gateway: Gateway) -> None:
    boss = admin(gateway, online=True)
    one = gateway.agent("one@example.com")
    profile(gateway, boss, one, max_chats=1)
    for _ in range(2):
        gateway.say(gateway.visitor(), "human", language="en")
    for session in gateway.queue(one):  # auto-assignment is off: both wait
        assert gateway.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=one)
    me = gateway.client.get("/api/agent/routing/me", headers=one).json()
    assert (me["load"], me["max_chats"], me["over_capacity"]) == (2, 1, True)
    team = gateway.client.get("/api/agent/routing/agents", headers=boss).json()["agents"]
    row = next(a for a in team if a["agent"]["email"] == "one@example.com")
    assert row["over_capacity"] and row["available"] and row["languages"] == ["zh", "en", "es"]
    boss_row = next(a for a in team if a["is_admin"])
    assert boss_row["load"] == 0 and boss_row["agent"]["presence"] == "online"
    # The supervisor reassigns the overloaded agent's chats (the existing endpoint).
    boss_id = agent_id(gateway, boss)
    moved = gateway.client.post(
        f"/api/agent/agents/{agent_id(gateway, one)}/reassign",
        json={"to_agent": boss_id},
        headers=boss,
    )
    assert moved.status_code == 200 and len(moved.json()["sessions"]) == 2
    team = gateway.client.get("/api/agent/routing/agents", headers=boss).json()["agents"]
    assert {a["agent"]["email"]: a["load"] for a in team} == {
        "boss@example.com": 2,
        "one@example.com": 0,
    }


def test_bad_profiles_and_settings_are_refused(gateway: Gateway) -> None:
    boss = admin(gateway)
    ana = gateway.agent("ana@example.com")
    french = profile(gateway, boss, ana, languages=["en", "fr"])
    assert french.status_code == 422 and "unknown language(s) fr" in french.json()["detail"]
    none = profile(gateway, boss, ana, languages=[])
    assert none.status_code == 422 and "at least one language" in none.json()["detail"]
    zero = profile(gateway, boss, ana, max_chats=0)
    assert zero.status_code == 422 and "at least 1" in zero.json()["detail"]
    assert profile(gateway, boss, ana, max_chats=-3).status_code == 422
    assert profile(gateway, ana, ana, max_chats=5).status_code == 403  # not a supervisor
    assert (
        gateway.client.put("/api/agent/routing/agents/999999", json={}, headers=boss).status_code
        == 404
    )
    refused = gateway.client.put("/api/agent/routing", json={"auto_assign": True}, headers=ana)
    assert refused.status_code == 403
    assert gateway.client.get("/api/agent/routing/agents", headers=ana).status_code == 403
    me = gateway.client.get("/api/agent/routing/me", headers=ana).json()
    assert (me["languages"], me["max_chats"]) == (["zh", "en", "es"], 3)  # unchanged


def test_queue_filters(gateway: Gateway) -> None:
    ana = gateway.agent("ana@example.com")
    gateway.say(gateway.visitor(), "human", language="es")
    gateway.say(gateway.visitor(), "dispute", language="en")  # priority high
    gateway.say(gateway.visitor(), "human", language="en")
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        payload = HandoffPayload(
            conversation_id="telegram:42",
            reason="user_request",
            priority="normal",
            language="zh",
            sla_hours=48,
            summary="from telegram",
            created_at=utcnow().isoformat(),
        )
        handoffs.open_session(db, payload, channel="telegram")
    engine.dispose()

    def listed(query: str, view: str = "queue") -> list[tuple[str, str, str]]:
        url = f"/api/agent/sessions?view={view}&{query}"
        response = gateway.client.get(url, headers=ana)
        assert response.status_code == 200, response.text
        return [(s["language"], s["priority"], s["channel"]) for s in response.json()["sessions"]]

    assert len(listed("")) == 4
    assert listed("language=es") == [("es", "normal", "webchat")]
    assert listed("priority=high") == [("en", "high", "webchat")]
    assert listed("channel=telegram") == [("zh", "normal", "telegram")]
    assert listed("language=en&priority=normal") == [("en", "normal", "webchat")]
    assert listed("language=en&channel=telegram") == []
    some = gateway.queue(ana)[0]["id"]
    gateway.client.post(f"/api/agent/sessions/{some}/claim", headers=ana)
    assert len(listed("mine=true", "open")) == 1 and len(listed("", "open")) == 4
    assert gateway.client.get("/api/agent/sessions?language=fr", headers=ana).status_code == 422
    assert gateway.client.get("/api/agent/sessions?priority=low", headers=ana).status_code == 422


def test_the_cli_sets_and_lists_languages_and_capacity(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    migrate(make_engine(url))
    env = {**os.environ, "DATABASE_URL": url, "AGENT_PASSWORD": "correct horse battery"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "handoff", "agents", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    made = cli("create", "sofia@example.com", "Sofia", "--languages", "es", "--max-chats", "2")
    assert made.returncode == 0, made.stderr
    assert "\tes\t0/2" in cli("list").stdout
    assert (
        "takes en,es, at most 4 chats"
        in cli("route", "sofia@example.com", "--languages", "es,en", "--max-chats", "4").stdout
    )
    bad = cli("route", "sofia@example.com", "--languages", "fr")
    assert bad.returncode == 2 and "unknown language(s) fr" in bad.stderr
    zero = cli("route", "sofia@example.com", "--max-chats", "0")
    assert zero.returncode == 2 and "at least 1" in zero.stderr
    refused = cli("create", "x@example.com", "X", "--languages", "de")
    assert refused.returncode == 2 and "x@example.com" not in cli("list").stdout
    assert "\ten,es\t0/4" in cli("list").stdout
