"""The desk through the in-process gateway: the journey with live pushes, claims and
transfers, tickets when nobody is online, the SLA sweep, concurrent claims.

Fixtures as in ``test_gateway.py`` (``gateway`` and ``database_url``, ``conftest.py``).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from common.clock import utcnow
from common.payload import HandoffPayload
from common.settings import DeskSettings
from store.db import make_engine, session_factory
from store.models import HandoffSession
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway, texts


def pushed(socket: Any) -> dict[str, Any]:
    """The next push of a message the user didn't write (their own are pushed too)."""
    while True:
        message = dict(socket.receive_json()["message"])
        if message["author"] != "user":
            return message


def test_the_whole_journey_with_live_pushes(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    me = gateway.visitor()
    gateway.say(me, "hello", language="en")
    with gateway.client.websocket_connect("/webchat/ws") as user_ws:
        user_ws.send_json({"type": "auth", "token": me["token"]})
        assert user_ws.receive_json() == {"type": "ready"}
        escalated = gateway.say(me, "human", language="en")
        said = texts(escalated)
        assert said[0] == "Connecting you with a human."
        assert "number 1 in line" in said[1]
        assert pushed(user_ws)["text"] == said[0]
        assert "number 1 in line" in pushed(user_ws)["text"]

        # While queued the bot is silent and the message waits for the agent.
        calls = len(gateway.rasa.calls)
        assert texts(gateway.say(me, "are you there?")) == []
        assert len(gateway.rasa.calls) == calls

        [session] = gateway.queue(alice)
        assert session["state"] == "queued" and session["kind"] == "chat"
        assert session["priority"] == "normal" and session["reason"] == "user_request"
        # A live chat has no ticket deadline ("due in 47h" while the user waits): none.
        assert session["language"] == "en" and session["due_at"] is None
        assert not session["overdue"]
        sid = session["id"]
        post = gateway.client.post
        with gateway.client.websocket_connect("/api/agent/ws") as desk_ws:
            desk_ws.send_json({"type": "auth", "token": alice["Authorization"].split()[1]})
            assert desk_ws.receive_json() == {"type": "ready"}
            assert post(f"/api/agent/sessions/{sid}/claim", headers=alice).status_code == 200
            assert desk_ws.receive_json()["type"] in ("message", "queue")
        taken = post(f"/api/agent/sessions/{sid}/claim", headers=bob)
        assert taken.status_code == 409 and "already taken by Alice" in taken.json()["detail"]
        assert "has joined" in pushed(user_ws)["text"]

        detail = gateway.client.get(f"/api/agent/sessions/{sid}", headers=alice).json()
        assert detail["payload"]["details"]["tx_hash"] == "ab" * 32
        assert [m["text"] for m in detail["messages"] if m["author"] == "user"] == [
            "hello",
            "human",
            "are you there?",
        ]
        not_mine = post(f"/api/agent/sessions/{sid}/messages", json={"text": "hi"}, headers=bob)
        assert not_mine.status_code == 403
        reply = post(
            f"/api/agent/sessions/{sid}/messages", json={"text": "Hi, I'm Alice."}, headers=alice
        )
        assert reply.status_code == 200
        sent = pushed(user_ws)
        assert sent["author"] == "agent" and sent["text"] == "Hi, I'm Alice."
        note = post(
            f"/api/agent/sessions/{sid}/notes", json={"text": "checked tronscan"}, headers=alice
        )
        assert note.status_code == 200 and note.json()["kind"] == "note"

        assert post(f"/api/agent/sessions/{sid}/resolve", headers=alice).status_code == 200
        assert "resolved" in pushed(user_ws)["text"]
        csat = pushed(user_ws)
        assert "1 (very poor) to 5" in csat["text"]
        assert [b["payload"] for b in csat["buttons"]] == ["1", "2", "3", "4", "5"]

    rated = gateway.say(me, "4", title="★★★★")
    assert texts(rated) == ["Thanks for your rating! Anything else I can help with?"]
    assert len(gateway.rasa.calls) == calls  # the rating never reached the bot
    assert texts(gateway.say(me, "how do I back up?")) == ["bot: how do I back up?"]
    [done] = gateway.queue(alice, "resolved")
    assert done["csat"] == 4 and done["state"] == "resolved"
    user_view = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert "checked tronscan" not in [m["text"] for m in user_view]  # notes stay internal


def test_transfer_and_missing_things(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    me = gateway.visitor()
    gateway.say(me, "human")
    [session] = gateway.queue(alice)
    sid, post = session["id"], gateway.client.post
    assert post("/api/agent/sessions/999999/claim", headers=alice).status_code == 404
    assert (
        gateway.client.get("/api/agent/conversations/webchat:nobody", headers=alice).status_code
        == 404
    )
    whole = gateway.client.get(
        f"/api/agent/conversations/{session['conversation_id']}", headers=alice
    )
    assert whole.status_code == 200 and [s["id"] for s in whole.json()["sessions"]] == [sid]
    assert whole.json()["messages"][0]["text"] == "human"
    assert gateway.client.get("/api/agent/sessions/999999", headers=alice).status_code == 404
    post(f"/api/agent/sessions/{sid}/claim", headers=alice)
    unknown = post(f"/api/agent/sessions/{sid}/transfer", json={"agent_id": 999}, headers=alice)
    assert unknown.status_code == 404
    bob_id = gateway.client.get("/api/agent/me", headers=bob).json()["id"]
    moved = post(f"/api/agent/sessions/{sid}/transfer", json={"agent_id": bob_id}, headers=alice)
    assert moved.status_code == 200 and moved.json()["agent"]["id"] == bob_id
    again = post(f"/api/agent/sessions/{sid}/transfer", json={"agent_id": bob_id}, headers=alice)
    assert again.status_code == 409
    assert [s["id"] for s in gateway.queue(bob, "mine")] == [sid]
    reply = post(f"/api/agent/sessions/{sid}/messages", json={"text": "Bob here"}, headers=bob)
    assert reply.status_code == 200
    blank = post(f"/api/agent/sessions/{sid}/messages", json={"text": "  "}, headers=bob)
    assert blank.status_code == 422


def test_the_same_payload_twice_is_one_session(gateway: Gateway) -> None:
    agent = gateway.agent("alice@example.com")
    me = gateway.visitor()
    gateway.say(me, "human")
    conversation = gateway.rasa.calls[-1]["sender"]
    payload = HandoffPayload(
        conversation_id=conversation,
        reason="user_request",
        language="en",
        summary="asked for a human",
        created_at="2026-11-24T00:00:01+00:00",  # what FakeRasa sent the first time
    )
    desk = gateway.parts.desk
    import asyncio

    session, notices = asyncio.run(desk.open(payload, "webchat"))
    assert notices == []
    assert len(gateway.queue(agent)) == 1 and gateway.queue(agent)[0]["id"] == session.id


def test_no_agent_online_makes_a_ticket_and_the_bot_keeps_answering(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com", online=False)
    me = gateway.visitor()
    said = texts(gateway.say(me, "dispute", language="en"))
    assert "No agent is online" in said[1] and "within 24 hours" in said[1]
    [ticket] = gateway.queue(alice)
    assert ticket["kind"] == "ticket" and ticket["ticket"] in said[1]
    assert ticket["priority"] == "high"
    assert texts(gateway.say(me, "what about fees?")) == ["bot: what about fees?"]
    # A second handoff while the ticket is open adds to it instead of queueing again.
    again = texts(gateway.say(me, "human"))
    assert "already have ticket" in again[-1]
    assert len(gateway.queue(alice)) == 1
    # The agent answers later; it reaches the user's chat (history), and now holds it.
    sid, post = ticket["id"], gateway.client.post
    assert post(f"/api/agent/sessions/{sid}/claim", headers=alice).status_code == 200
    post(f"/api/agent/sessions/{sid}/messages", json={"text": "Looking now"}, headers=alice)
    history = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert history[-1]["text"] == "Looking now" and history[-1]["author"] == "agent"
    calls = len(gateway.rasa.calls)
    assert texts(gateway.say(me, "thanks")) == []
    assert len(gateway.rasa.calls) == calls


def test_outside_agent_hours_is_a_ticket_even_with_agents_online(database_url: str) -> None:
    closed = DeskSettings(agent_hours="00:00-00:01", agent_days="mon", secret="s" * 32)
    gateway = Gateway(database_url, FakeRasa(), closed)
    with gateway.client:
        gateway.agent("alice@example.com")
        said = texts(gateway.say(gateway.visitor("zh"), "human", language="zh"))
        assert "工单 T-" in said[1] and "48 小时" in said[1]


def test_sweep_flags_overdue_and_turns_waiting_chats_into_tickets(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    me = gateway.visitor()
    gateway.say(me, "human")
    [session] = gateway.queue(alice)
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        row = db.get(HandoffSession, session["id"])
        row.due_at = utcnow() - timedelta(minutes=5)
    engine.dispose()
    gateway.put_presence(alice, "away")
    asyncio.run(gateway.parts.sla.sweep())
    [flagged] = gateway.queue(alice)
    assert flagged["overdue"] and flagged["kind"] == "ticket"
    history = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert "No agent is online" in history[-1]["text"]
    metrics = gateway.client.get("/metrics").text
    assert "support_sla_breaches_total" in metrics
    assert 'support_queue_length{kind="ticket",priority="normal"} 1.0' in metrics
    assert 'support_handoffs_total{kind="chat",reason="user_request"}' in metrics
    assert 'support_messages_total{channel="webchat",direction="in"}' in metrics


def test_twenty_agents_claiming_at_once_through_the_api(gateway: Gateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    agents = [gateway.agent(f"agent{n}@example.com") for n in range(20)]
    gateway.say(gateway.visitor(), "human")
    [session] = gateway.queue(agents[0])

    def claim(headers: dict[str, str]) -> int:
        url = f"/api/agent/sessions/{session['id']}/claim"
        return gateway.client.post(url, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(claim, agents))
    assert sorted(codes) == [200] + [409] * 19
