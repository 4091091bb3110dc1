"""The gateway in-process: web chat, the agent API's doors, errors, restarts, metadata.

Rasa is played by :class:`tests.fakes.rasa.FakeRasa` (an ``httpx.MockTransport``). The
desk database is SQLite, and PostgreSQL when it is reachable (a fresh schema per test,
dropped afterwards): the ``gateway`` and ``database_url`` fixtures of ``conftest.py``.
The desk's work through the gateway (claims, transfers, tickets, the SLA sweep) is in
``test_gateway_desk.py``.
"""

from __future__ import annotations

from store.db import make_engine, migrate
from tests.fakes.rasa import FakeRasa
from tests.support import schema
from tests.support.gateway import Gateway, texts


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
    assert long.status_code == 413 and "too long" in long.json()["detail"]
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


def test_rasa_down_keeps_the_message_and_hands_off(gateway: Gateway) -> None:
    agent = gateway.agent("alice@example.com")
    me = gateway.visitor()
    said = texts(gateway.say(me, "crash", language="zh"))
    assert "系统暂时出了点问题" in said[0]
    [session] = gateway.queue(agent)
    assert session["reason"] == "bot_unavailable" and session["priority"] == "high"
    detail = gateway.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    assert "crash" in [m["text"] for m in detail["messages"]]


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
    # Served at /openapi.json only with DESK_API_DOCS (tests/security/test_attachments.py).
    paths = gateway.app.openapi()["paths"]
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
    assert version == schema.head()
