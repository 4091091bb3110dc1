"""What the user and the agents are told (issue 16, defects 6 and 7, the server's part).

The in-process gateway on SQLite and PostgreSQL: a second tab gets what the user typed
in the first; a transfer and a reopen are said to the user (and the old rating
question no longer takes their next message); an over-long message is refused in
the user's language; an app link on the official domain is refused for being an app,
not for a foreign domain; the agent who loses a claim is told who won; the page's
time zone reaches the bot, which reads "3 pm" in it.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update

from store.db import make_engine, session_factory
from store.models import Agent
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway, texts
from tests.support.logs import Socket, served
from tests.support.waiting import wait_until


def history(gateway: Gateway, visitor: dict[str, str]) -> list[dict[str, Any]]:
    listed = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": visitor["Authorization"]}
    )
    return list(listed.json()["messages"])


def test_a_second_tab_gets_what_the_user_typed_in_the_first(database_url: str) -> None:
    gateway = Gateway(database_url, FakeRasa())
    with served(gateway.app) as url:
        token = httpx.post(f"{url}/webchat/api/visitors", json={}).json()["token"]
        ws = url.replace("http://", "ws://") + "/webchat/ws"
        tabs = [Socket(ws, {"type": "auth", "token": token}) for _ in range(2)]
        for tab in tabs:
            assert tab.ready.wait(10) and tab.frames[0] == {"type": "ready"}
        sent = httpx.post(
            f"{url}/webchat/api/messages",
            json={"text": "is my USDT safe?", "language": "en"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        for tab in tabs:

            def shown(tab: Socket = tab) -> list[dict[str, Any]]:
                return [f["message"] for f in tab.frames if f.get("type") == "message"]

            wait_until(lambda: len(shown()) >= 2, 10, lambda: f"pushed: {shown()}")
            mine = [m for m in shown() if m["author"] == "user"]
            assert [m["id"] for m in mine] == [sent["message"]["id"]]
            assert mine[0]["text"] == "is my USDT safe?"
            tab.close()


def test_transfer_and_reopen_are_said_to_the_user(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    me = gateway.visitor()
    gateway.say(me, "human", language="es")
    [session] = gateway.queue(alice)
    sid, post = session["id"], gateway.client.post
    bob_id = gateway.client.get("/api/agent/me", headers=bob).json()["id"]
    post(f"/api/agent/sessions/{sid}/claim", headers=alice)
    moved = post(f"/api/agent/sessions/{sid}/transfer", json={"agent_id": bob_id}, headers=alice)
    assert moved.status_code == 200
    assert history(gateway, me)[-1]["text"] == "Otro agente, Bob, se ha hecho cargo de tu caso."
    assert post(f"/api/agent/sessions/{sid}/resolve", headers=bob).status_code == 200
    rating = history(gateway, me)[-1]
    assert [b["payload"] for b in rating["buttons"]] == ["1", "2", "3", "4", "5"]
    assert post(f"/api/agent/sessions/{sid}/reopen", headers=bob).status_code == 200
    reopened = history(gateway, me)[-1]
    assert reopened["author"] == "system" and "reabierto" in reopened["text"]
    assert reopened["id"] > rating["id"]  # the page disables the older buttons
    # The withdrawn question no longer takes a "5": it goes to the desk as a message.
    assert texts(gateway.say(me, "5", language="es")) == []
    [again] = [s for s in gateway.queue(bob, "open") if s["id"] == sid]
    assert again["csat"] is None and again["state"] == "reopened"


def test_a_supervisors_reassign_is_said_to_the_user(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    gateway.agent("boss@example.com")
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        db.execute(update(Agent).where(Agent.email == "boss@example.com").values(is_admin=True))
    engine.dispose()
    boss = gateway.agent_login("boss@example.com")
    me = gateway.visitor()
    gateway.say(me, "human", language="es")
    [session] = gateway.queue(alice)
    sid, post = session["id"], gateway.client.post
    alice_id = gateway.client.get("/api/agent/me", headers=alice).json()["id"]
    bob_id = gateway.client.get("/api/agent/me", headers=bob).json()["id"]
    post(f"/api/agent/sessions/{sid}/claim", headers=alice)
    moved = post(f"/api/agent/agents/{alice_id}/reassign", json={"to_agent": bob_id}, headers=boss)
    assert moved.status_code == 200 and moved.json() == {"sessions": [sid]}
    assert history(gateway, me)[-1]["text"] == "Otro agente, Bob, se ha hecho cargo de tu caso."


def test_an_overlong_message_is_refused_in_the_users_language(gateway: Gateway) -> None:
    zh, es = gateway.visitor(), gateway.visitor()
    long_zh = gateway.say(zh, "我的USDT没有到账" * 500)
    assert long_zh.status_code == 413
    assert long_zh.json()["detail"] == "消息太长了（最多 4000 个字符），请分几条发送。"
    long_es = gateway.say(es, "mis fondos no llegaron " * 220)
    assert long_es.status_code == 413 and "demasiado largo" in long_es.json()["detail"]
    long_page = gateway.say(gateway.visitor(), "x " * 2500, language="zh")
    assert "消息太长" in long_page.json()["detail"]  # the page's language, when it says


def test_an_apk_on_the_official_domain_is_refused_as_an_app_not_a_foreign_link(
    gateway: Gateway,
) -> None:
    alice = gateway.agent("alice@example.com")
    me = gateway.visitor()
    gateway.say(me, "human", language="en")
    [session] = gateway.queue(alice)
    sid, post = session["id"], gateway.client.post
    post(f"/api/agent/sessions/{sid}/claim", headers=alice)
    official = "Get it here: https://acmewallet.example/download/acme-wallet.apk"
    refused = post(f"/api/agent/sessions/{sid}/messages", json={"text": official}, headers=alice)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "outside the official domains" not in detail and ".apk" in detail
    assert "official download page" in detail
    page = "Download it from https://acmewallet.example/download"
    assert post(
        f"/api/agent/sessions/{sid}/messages", json={"text": page}, headers=alice
    ).is_success


def test_the_agent_who_loses_a_claim_is_told_who_took_it(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    gateway.say(gateway.visitor(), "human", language="en")
    [session] = gateway.queue(alice)
    post = gateway.client.post
    assert post(f"/api/agent/sessions/{session['id']}/claim", headers=alice).status_code == 200
    lost = post(f"/api/agent/sessions/{session['id']}/claim", headers=bob)
    assert lost.status_code == 409
    assert lost.json()["detail"] == f"session {session['id']} was already taken by Alice"


def test_the_pages_time_zone_reaches_the_bot(gateway: Gateway) -> None:
    me = gateway.visitor()
    gateway.say(me, "yesterday at 3pm", language="en", timezone="Europe/Madrid")
    assert gateway.rasa.calls[-1]["metadata"]["timezone"] == "Europe/Madrid"
