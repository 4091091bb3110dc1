"""Canned replies through the in-process gateway, on SQLite and PostgreSQL: saving and
refusing them, who may change them, filling them in for a session, and sending one
(markers left unfilled and the agent guard still stop it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.db import make_engine, session_factory
from store.models import Agent, Audit
from tests.support.gateway import Gateway

GREETING = {
    "zh": "您好，我是{agent_name}，工单 {ticket}。",
    "en": "Hi, I'm {agent_name}; your ticket is {ticket}.",
    "es": "Hola, soy {agent_name}; su caso es {ticket}.",
}


def _create(gateway: Gateway, headers: dict[str, str], shortcut: str, variants: Any) -> Any:
    return gateway.client.post(
        "/api/agent/canned", json={"shortcut": shortcut, "variants": variants}, headers=headers
    )


def _make_admin(gateway: Gateway, email: str) -> None:
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        agent = db.execute(select(Agent).where(Agent.email == email)).scalar_one()
        agent.is_admin = True
    engine.dispose()


def _handed_off(gateway: Gateway, language: str, agent: dict[str, str]) -> tuple[int, Any]:
    """A user in *language* asks for a human; *agent* claims the session."""
    user = gateway.visitor(language)
    gateway.say(user, "hola" if language == "es" else "hello", language=language)
    gateway.say(user, "human", language=language)
    [session] = gateway.queue(agent)
    sid = session["id"]
    assert gateway.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent).is_success
    return sid, user


def test_an_agent_saves_lists_edits_and_deletes_a_reply(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    created = _create(gateway, alice, "/Hello", GREETING)
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["shortcut"] == "hello" and reply["variants"] == GREETING
    assert reply["created_by"]["email"] == "alice@example.com" and reply["can_edit"]

    listed = gateway.client.get("/api/agent/canned", headers=bob).json()
    assert [r["shortcut"] for r in listed["replies"]] == ["hello"]
    assert listed["replies"][0]["can_edit"] is False  # bob didn't write it
    assert "tx_hash" in listed["placeholders"]

    rid = reply["id"]
    only_english = {"shortcut": "hi", "variants": {"en": "Hi {user_name}"}}
    assert (
        gateway.client.put(f"/api/agent/canned/{rid}", json=only_english, headers=bob).status_code
        == 403
    )
    assert gateway.client.delete(f"/api/agent/canned/{rid}", headers=bob).status_code == 403
    edited = gateway.client.put(f"/api/agent/canned/{rid}", json=only_english, headers=alice)
    assert edited.status_code == 200, edited.text
    assert edited.json()["shortcut"] == "hi" and edited.json()["variants"] == {
        "en": "Hi {user_name}"
    }

    _make_admin(gateway, "bob@example.com")  # a supervisor may tidy anyone's replies
    assert gateway.client.delete(f"/api/agent/canned/{rid}", headers=bob).status_code == 204
    assert gateway.client.delete(f"/api/agent/canned/{rid}", headers=alice).status_code == 404
    assert gateway.client.get("/api/agent/canned", headers=alice).json()["replies"] == []
    assert gateway.client.get("/api/agent/canned").status_code == 401


def test_bad_replies_are_refused_with_a_reason(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    typo = _create(gateway, alice, "hash", {"en": "Your hash {tx_hash}", "es": "Su hash {tx_hsh}"})
    assert typo.status_code == 422
    assert "unknown placeholder {tx_hsh}" in typo.json()["detail"] and "es" in typo.json()["detail"]
    assert "{Ticket}" in _create(gateway, alice, "t", {"en": "{Ticket}"}).json()["detail"]
    assert _create(gateway, alice, "e", {"en": "empty {}"}).status_code == 422
    nothing = _create(gateway, alice, "none", {})
    assert nothing.status_code == 422 and "at least one" in nothing.json()["detail"]
    blank = _create(gateway, alice, "blank", {"en": "ok", "zh": "   "})
    assert blank.status_code == 422 and "zh variant is empty" in blank.json()["detail"]
    french = _create(gateway, alice, "fr", {"fr": "Bonjour"})
    assert french.status_code == 422 and "fr" in french.json()["detail"]
    assert _create(gateway, alice, "two words", {"en": "x"}).status_code == 422
    assert _create(gateway, alice, "x" * 33, {"en": "x"}).status_code == 422
    assert _create(gateway, alice, "long", {"en": "x" * 4001}).status_code == 422
    assert gateway.client.get("/api/agent/canned", headers=alice).json()["replies"] == []

    assert _create(gateway, alice, "问候", {"zh": "您好"}).status_code == 201  # any script
    assert _create(gateway, alice, "thanks", {"en": "Thanks!"}).status_code == 201
    again = _create(gateway, alice, "/THANKS", {"en": "Thank you"})
    assert again.status_code == 409 and "/thanks" in again.json()["detail"]
    [greeting] = [
        r
        for r in gateway.client.get("/api/agent/canned", headers=alice).json()["replies"]
        if r["shortcut"] == "问候"
    ]
    taken = gateway.client.put(
        f"/api/agent/canned/{greeting['id']}",
        json={"shortcut": "thanks", "variants": {"zh": "谢谢"}},
        headers=alice,
    )
    assert taken.status_code == 409


def test_a_reply_is_filled_in_from_the_session_in_its_language(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    _create(gateway, alice, "hello", GREETING)
    _create(gateway, alice, "hash", {"en": "On {chain}: {tx_hash}, {amount}, {user_name}."})
    sid, _ = _handed_off(gateway, "es", alice)
    filled = gateway.client.get(f"/api/agent/sessions/{sid}/canned", headers=alice).json()
    assert filled["language"] == "es"
    replies = {r["shortcut"]: r for r in filled["replies"]}
    ticket = f"T-{sid:06d}"
    assert replies["hello"] == {
        "id": replies["hello"]["id"],
        "shortcut": "hello",
        "language": "es",
        "text": f"Hola, soy Alice; su caso es {ticket}.",
        "missing": [],
        "guard": None,
    }
    # No Spanish variant: the English one, with what the bot collected; what it didn't
    # collect stays a visible marker, never an empty gap.
    hashed = replies["hash"]
    assert hashed["language"] == "en"
    assert hashed["text"] == f"On tron: {'ab' * 32}, [[amount]], [[user_name]]."
    assert hashed["missing"] == ["amount", "user_name"]
    assert gateway.client.get("/api/agent/sessions/999/canned", headers=alice).status_code == 404


def test_a_filled_reply_is_sent_only_complete_and_only_if_the_guard_allows_it(
    gateway: Gateway,
) -> None:
    alice = gateway.agent("alice@example.com")
    _create(gateway, alice, "amount", {"zh": "您转了 {amount} 到 {chain} 吗？"})
    _create(gateway, alice, "verify", {"zh": "请把您的助记词发给我们核实 {ticket}"})
    sid, user = _handed_off(gateway, "zh", alice)
    filled = gateway.client.get(f"/api/agent/sessions/{sid}/canned", headers=alice).json()
    replies = {r["shortcut"]: r for r in filled["replies"]}
    send = f"/api/agent/sessions/{sid}/messages"

    unfinished = gateway.client.post(send, json={"text": replies["amount"]["text"]}, headers=alice)
    assert unfinished.status_code == 422 and "[[amount]]" in unfinished.json()["detail"]
    finished = replies["amount"]["text"].replace("[[amount]]", "100 USDT")
    assert gateway.client.post(send, json={"text": finished}, headers=alice).status_code == 200

    # Saved, but the guard reads what is sent: a reply asking for the phrase never goes.
    assert replies["verify"]["guard"] and "recovery phrase" in replies["verify"]["guard"]
    refused = gateway.client.post(send, json={"text": replies["verify"]["text"]}, headers=alice)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("not sent")
    seen = gateway.client.get(
        "/webchat/api/messages?after=0", headers={"Authorization": user["Authorization"]}
    ).json()["messages"]
    agent_texts = [m["text"] for m in seen if m["author"] == "agent"]
    assert agent_texts == ["您转了 100 USDT 到 tron 吗？"]
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        actions = db.execute(select(Audit.action).where(Audit.session_id == sid)).scalars().all()
    engine.dispose()
    assert actions == ["reply_blocked"]
