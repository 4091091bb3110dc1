"""The gateway in-process: web chat, agent API, tickets, CSAT, metrics and restarts.

Rasa is played by an ``httpx.MockTransport``; the desk database is SQLite, and
PostgreSQL (a fresh schema per test, dropped afterwards) when it is reachable.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy
from fastapi.testclient import TestClient

from common.clock import utcnow
from common.payload import HandoffPayload
from common.settings import DeskSettings
from gateway import create_app
from gateway.assembly import Parts
from gateway.rasa import RasaClient
from store.agents import create_agent
from store.db import make_engine, migrate, session_factory
from store.models import HandoffSession
from tests.e2e_support import service_missing
from tests.test_handoff_store import PG_URL, _postgres_up

ALWAYS = DeskSettings(agent_hours="00:00-24:00", secret="test-secret", sweep_seconds=3600)
PASSWORD = "correct horse battery"


class FakeRasa:
    """Answers like Rasa's REST channel: "human" hands off, "crash" is a 500."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.handoffs = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        text, sender = body["message"], body["sender"]
        if text == "crash":
            return httpx.Response(500, text="boom")
        if text in ("human", "/request_human", "dispute"):
            self.handoffs += 1
            human = text != "dispute"
            payload = HandoffPayload(
                conversation_id=sender,
                reason="user_request" if human else "dispute",
                priority="normal" if human else "high",
                language=body["metadata"].get("language", "en"),
                sla_hours=48 if human else 24,
                details={"chain": "tron", "tx_hash": "ab" * 32},
                summary="asked for a human",
                created_at=f"2026-11-24T00:00:{self.handoffs:02d}+00:00",
            )
            return httpx.Response(
                200,
                json=[
                    {"recipient_id": sender, "text": "Connecting you with a human."},
                    {"recipient_id": sender, "custom": payload.as_message()},
                ],
            )
        return httpx.Response(
            200,
            json=[
                {
                    "recipient_id": sender,
                    "text": f"bot: {text}",
                    "buttons": [{"title": "Yes", "payload": "/affirm"}],
                }
            ],
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'desk.db'}"
        return
    if not _postgres_up():
        service_missing("PostgreSQL is not reachable on 127.0.0.1:5432")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(PG_URL, future=True)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


class Gateway:
    def __init__(self, url: str, rasa: FakeRasa, settings: DeskSettings = ALWAYS) -> None:
        self.url = url
        self.rasa = rasa
        client = httpx.AsyncClient(transport=httpx.MockTransport(rasa))
        self.app = create_app(settings, url, RasaClient("http://rasa.test", client=client))
        self.parts: Parts = self.app.state.parts
        self.client = TestClient(self.app)

    def visitor(self, language: str | None = None) -> dict[str, str]:
        response = self.client.post("/webchat/api/visitors", json={"language": language})
        assert response.status_code == 201
        token = response.json()["token"]
        return {"Authorization": f"Bearer {token}", "token": token}

    def say(self, visitor: dict[str, str], text: str, **extra: Any) -> httpx.Response:
        return self.client.post(
            "/webchat/api/messages",
            json={"text": text, **extra},
            headers={"Authorization": visitor["Authorization"]},
        )

    def agent(self, email: str, online: bool = True) -> dict[str, str]:
        engine = make_engine(self.url)
        with session_factory(engine).begin() as db:
            create_agent(db, email, email.split("@")[0].title(), PASSWORD)
        engine.dispose()
        response = self.client.post("/api/agent/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        headers = {"Authorization": f"Bearer {response.json()['token']}"}
        if online:
            assert self.put_presence(headers, "online").status_code == 200
        return headers

    def put_presence(self, headers: dict[str, str], presence: str) -> httpx.Response:
        return self.client.put("/api/agent/presence", json={"presence": presence}, headers=headers)

    def queue(self, headers: dict[str, str], view: str = "queue") -> list[dict[str, Any]]:
        response = self.client.get(f"/api/agent/sessions?view={view}", headers=headers)
        assert response.status_code == 200, response.text
        return list(response.json()["sessions"])


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    gateway = Gateway(database_url, FakeRasa())
    with gateway.client:
        yield gateway


def texts(response: httpx.Response) -> list[str]:
    return [r["text"] for r in response.json()["replies"]]


def test_chat_reaches_the_bot_and_history_keeps_everything(gateway: Gateway) -> None:
    me = gateway.visitor()
    response = gateway.say(me, "hello", language="es")
    assert response.status_code == 200
    body = response.json()
    assert body["message"]["author"] == "user" and body["message"]["text"] == "hello"
    assert texts(response) == ["bot: hello"]
    assert body["replies"][0]["buttons"] == [{"title": "Yes", "payload": "/affirm"}]
    assert gateway.rasa.calls[0]["metadata"] == {"channel": "webchat", "language": "es"}
    # A pressed button: Rasa gets the payload, the history shows the title.
    gateway.say(me, "/affirm", title="Yes")
    assert gateway.rasa.calls[-1]["message"] == "/affirm"
    history = gateway.client.get(
        "/webchat/api/messages?after=0", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert [(m["author"], m["text"]) for m in history] == [
        ("user", "hello"),
        ("bot", "bot: hello"),
        ("user", "Yes"),
        ("bot", "bot: /affirm"),
    ]
    after = history[1]["id"]
    later = gateway.client.get(
        f"/webchat/api/messages?after={after}", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert [m["text"] for m in later] == ["Yes", "bot: /affirm"]


def test_bad_input_gets_clear_errors_and_loses_nothing(gateway: Gateway) -> None:
    me = gateway.visitor()
    post = gateway.client.post
    assert post("/webchat/api/messages", json={"text": "hi"}).status_code == 401
    forged = {"Authorization": "Bearer vabc.0000"}
    assert post("/webchat/api/messages", json={"text": "hi"}, headers=forged).status_code == 401
    empty = gateway.say(me, "   ")
    assert empty.status_code == 422 and "empty" in empty.json()["detail"]
    malformed = post(
        "/webchat/api/messages",
        content=b'{"text": "hi"',
        headers={"Authorization": me["Authorization"], "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and "malformed JSON" in malformed.json()["detail"]
    long = gateway.say(me, "x" * 10_000)
    assert long.status_code == 413 and "kept for an agent" in long.json()["detail"]
    assert "too long" in long.json()["replies"][0]["text"]
    assert gateway.rasa.calls == []  # nothing oversize reached the bot
    history = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
    ).json()["messages"]
    assert history[0]["text"] == "x" * 10_000  # kept whole


def test_agent_endpoints_refuse_anonymous_and_users(gateway: Gateway) -> None:
    me = gateway.visitor()
    get = gateway.client.get
    assert get("/api/agent/sessions").status_code == 401
    assert get("/api/agent/sessions", headers={"Authorization": "Bearer nope"}).status_code == 401
    as_user = get("/api/agent/sessions", headers={"Authorization": me["Authorization"]})
    assert as_user.status_code == 403
    wrong = gateway.client.post(
        "/api/agent/login", json={"email": "nobody@example.com", "password": "x" * 12}
    )
    assert wrong.status_code == 401


def test_the_whole_journey_with_live_pushes(gateway: Gateway) -> None:
    alice = gateway.agent("alice@example.com")
    bob = gateway.agent("bob@example.com")
    me = gateway.visitor()
    gateway.say(me, "hello", language="en")
    with gateway.client.websocket_connect(f"/webchat/ws?token={me['token']}") as user_ws:
        escalated = gateway.say(me, "human", language="en")
        said = texts(escalated)
        assert said[0] == "Connecting you with a human."
        assert "number 1 in line" in said[1]
        assert user_ws.receive_json()["message"]["text"] == said[0]
        assert "number 1 in line" in user_ws.receive_json()["message"]["text"]

        # While queued the bot is silent and the message waits for the agent.
        calls = len(gateway.rasa.calls)
        assert texts(gateway.say(me, "are you there?")) == []
        assert len(gateway.rasa.calls) == calls

        [session] = gateway.queue(alice)
        assert session["state"] == "queued" and session["kind"] == "chat"
        assert session["priority"] == "normal" and session["reason"] == "user_request"
        assert session["language"] == "en" and session["due_at"] and not session["overdue"]
        sid = session["id"]
        post = gateway.client.post
        with gateway.client.websocket_connect(
            f"/api/agent/ws?token={alice['Authorization'].split()[1]}"
        ) as desk_ws:
            assert post(f"/api/agent/sessions/{sid}/claim", headers=alice).status_code == 200
            assert desk_ws.receive_json()["type"] in ("message", "queue")
        taken = post(f"/api/agent/sessions/{sid}/claim", headers=bob)
        assert taken.status_code == 409 and "assigned" in taken.json()["detail"]
        assert "has joined" in user_ws.receive_json()["message"]["text"]

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
        pushed = user_ws.receive_json()["message"]
        assert pushed["author"] == "agent" and pushed["text"] == "Hi, I'm Alice."
        note = post(
            f"/api/agent/sessions/{sid}/notes", json={"text": "checked tronscan"}, headers=alice
        )
        assert note.status_code == 200 and note.json()["kind"] == "note"

        assert post(f"/api/agent/sessions/{sid}/resolve", headers=alice).status_code == 200
        assert "resolved" in user_ws.receive_json()["message"]["text"]
        csat = user_ws.receive_json()["message"]
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
    closed = DeskSettings(agent_hours="00:00-00:01", agent_days="mon", secret="s")
    gateway = Gateway(database_url, FakeRasa(), closed)
    with gateway.client:
        gateway.agent("alice@example.com")
        said = texts(gateway.say(gateway.visitor("zh"), "human", language="zh"))
        assert "工单 T-" in said[1] and "48 小时" in said[1]


def test_rasa_down_keeps_the_message_and_hands_off(gateway: Gateway) -> None:
    agent = gateway.agent("alice@example.com")
    me = gateway.visitor()
    said = texts(gateway.say(me, "crash", language="zh"))
    assert "系统暂时出了点问题" in said[0]
    [session] = gateway.queue(agent)
    assert session["reason"] == "bot_unavailable" and session["priority"] == "high"
    detail = gateway.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    assert "crash" in [m["text"] for m in detail["messages"]]


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


def test_state_survives_a_gateway_restart(database_url: str) -> None:
    rasa = FakeRasa()
    first = Gateway(database_url, rasa)
    with first.client:
        alice = first.agent("alice@example.com")
        me = first.visitor()
        first.say(me, "human")
        [session] = first.queue(alice)
        first.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=alice)
    second = Gateway(database_url, rasa)
    with second.client:
        # The agent's token, the user's token and the assignment all carry over.
        [mine] = second.queue(alice, "mine")
        assert mine["id"] == session["id"] and mine["state"] == "assigned"
        second.client.post(
            f"/api/agent/sessions/{mine['id']}/messages", json={"text": "still here"}, headers=alice
        )
        history = second.client.get(
            "/webchat/api/messages", headers={"Authorization": me["Authorization"]}
        ).json()["messages"]
        assert history[-1]["text"] == "still here"


def test_openapi_documents_both_apis(gateway: Gateway) -> None:
    paths = gateway.client.get("/openapi.json").json()["paths"]
    for path in (
        "/webchat/api/visitors",
        "/webchat/api/messages",
        "/api/agent/login",
        "/api/agent/sessions",
        "/api/agent/sessions/{session_id}/claim",
        "/api/agent/sessions/{session_id}/resolve",
    ):
        assert path in paths
    assert gateway.client.get("/chat/").status_code == 200
    assert gateway.client.get("/console/").status_code == 200
    assert gateway.client.get("/health").json() == {"status": "ok", "fanout": "off"}


def test_migrations_run_once_for_the_app(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    assert version == "0005"


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
