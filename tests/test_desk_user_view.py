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

from tests.support.gateway import Gateway, texts


def pushes(socket: Any, count: int) -> list[dict[str, Any]]:
    return [dict(socket.receive_json()["message"]) for _ in range(count)]


def test_a_second_tab_gets_what_the_user_typed_in_the_first(gateway: Gateway) -> None:
    me = gateway.visitor()
    with (
        gateway.client.websocket_connect("/webchat/ws") as first,
        gateway.client.websocket_connect("/webchat/ws") as second,
    ):
        for tab in (first, second):
            tab.send_json({"type": "auth", "token": me["token"]})
            assert tab.receive_json() == {"type": "ready"}
        sent = gateway.say(me, "is my USDT safe?", language="en").json()
        for tab in (first, second):
            shown = pushes(tab, 2)
            assert shown[0] == {**sent["message"], "image": None}
            assert shown[0]["author"] == "user" and shown[0]["text"] == "is my USDT safe?"
            assert shown[1]["author"] == "bot"


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
    with gateway.client.websocket_connect("/webchat/ws") as tab:
        tab.send_json({"type": "auth", "token": me["token"]})
        assert tab.receive_json() == {"type": "ready"}
        assert post(f"/api/agent/sessions/{sid}/resolve", headers=bob).status_code == 200
        _, rating = pushes(tab, 2)
        assert [b["payload"] for b in rating["buttons"]] == ["1", "2", "3", "4", "5"]
        assert post(f"/api/agent/sessions/{sid}/reopen", headers=bob).status_code == 200
        [reopened] = pushes(tab, 1)
        assert reopened["author"] == "system" and "reabierto" in reopened["text"]
        assert reopened["id"] > rating["id"]  # the page disables the older buttons
    listed = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    said = [m["text"] for m in listed]
    assert "Otro agente, Bob, se ha hecho cargo de tu caso." in said
    # The withdrawn question no longer takes a "5": it goes to the desk as a message.
    assert texts(gateway.say(me, "5", language="es")) == []
    [again] = [s for s in gateway.queue(bob, "open") if s["id"] == sid]
    assert again["csat"] is None and again["state"] == "reopened"


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
