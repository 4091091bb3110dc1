"""The desk's store on SQLite and, when reachable, PostgreSQL (each test rolled back)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from common.clock import utcnow
from common.payload import HandoffPayload
from store import Conflict, NotFound, handoffs, messages
from store.agents import AgentError, agent_for_token, create_agent, log_in, set_presence
from store.db import make_engine, migrate, session_factory
from store.models import Agent, AgentToken, Conversation, HandoffSession, Message
from tests.support import schema
from tests.support.services import PG_URL, fresh_schema


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with contextlib.ExitStack() as stack:
        if request.param == "postgresql":
            url = stack.enter_context(fresh_schema("store"))
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.db'}"
        engine = make_engine(url)
        migrate(engine)
        migrate(engine)  # a second start finds the schema current
        yield engine
        engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, future=True, expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


def payload(
    conversation: str = "u1",
    reason: str = "user_request",
    priority: str = "normal",
    created_at: str | None = None,
) -> HandoffPayload:
    return HandoffPayload(
        conversation_id=conversation,
        reason=reason,
        priority=priority,
        language="zh",
        sla_hours=48,
        summary="user request",
        details={"chain": "tron"},
        created_at=created_at or utcnow().isoformat(),
    )


def test_migrations_create_the_desk_tables(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {
        "handoff_agents",
        "handoff_sessions",
        "handoff_messages",
        "handoff_csat",
        "handoff_conversations",
        "handoff_agent_tokens",
        "alembic_version",
    } <= tables
    # Exactly what the models declare: every table, every column, and which may be
    # NULL; nothing the migrations forgot, nothing they left behind.
    assert schema.built(engine) == schema.declared()


def test_a_payload_becomes_one_queued_session_however_often_it_arrives(db: Session) -> None:
    first, created = handoffs.open_session(db, payload(), kind="ticket")
    assert created and first.state == "queued"
    assert first.payload["details"]["chain"] == "tron"
    assert first.due_at is not None and first.due_at - first.queued_at == timedelta(hours=48)
    again, created = handoffs.open_session(db, HandoffPayload.parse_obj(first.payload))
    assert not created and again.id == first.id
    assert db.execute(select(HandoffSession)).scalars().all() == [first]


def test_queue_is_most_urgent_first_then_longest_waiting(db: Session) -> None:
    now = utcnow()
    normal_old, _ = handoffs.open_session(db, payload("a"), now=now - timedelta(minutes=10))
    normal_new, _ = handoffs.open_session(db, payload("b"), now=now)
    urgent, _ = handoffs.open_session(db, payload("c", "security", "urgent"), now=now)
    assert [s.id for s in handoffs.queued(db)] == [urgent.id, normal_old.id, normal_new.id]


def test_claim_transfer_resolve_reopen(db: Session) -> None:
    ana = create_agent(db, "ana@example.com", "Ana", "correct horse battery")
    ben = create_agent(db, "ben@example.com", "Ben", "correct horse battery")
    session, _ = handoffs.open_session(db, payload())
    claimed = handoffs.claim(db, session.id, ana.id)
    assert (claimed.state, claimed.agent_id) == ("assigned", ana.id)
    assert claimed.assigned_at is not None
    with pytest.raises(Conflict):
        handoffs.claim(db, session.id, ben.id)
    with pytest.raises(Conflict):
        handoffs.transfer(db, session.id, ben.id, ana.id)  # only the holder transfers
    assert handoffs.transfer(db, session.id, ana.id, ben.id).agent_id == ben.id
    with pytest.raises(Conflict):
        handoffs.resolve(db, session.id, ana.id)
    resolved = handoffs.resolve(db, session.id, ben.id)
    assert resolved.state == "resolved" and resolved.resolved_at is not None
    reopened = handoffs.reopen(db, session.id)
    assert (reopened.state, reopened.agent_id) == ("reopened", None)
    assert handoffs.claim(db, session.id, ana.id).state == "assigned"


def test_unknown_session_or_conversation_is_not_found(db: Session) -> None:
    with pytest.raises(NotFound):
        handoffs.claim(db, 999_999, 1)
    with pytest.raises(NotFound):
        messages.add_message(db, "nobody", "user", "hi")


def test_messages_and_notes_belong_to_the_conversation(db: Session) -> None:
    handoffs.open_session(db, payload("chat-1"))
    said = messages.add_message(db, "chat-1", "user", "还在吗")
    note = messages.add_message(db, "chat-1", "agent", "checked tronscan: confirmed", kind="note")
    assert note.id is not None and db.get(Conversation, "chat-1") is not None
    db.expire_all()  # read back what the database holds, not the objects we made
    stored = db.get(Message, note.id)
    assert stored is not None and stored.id > said.id and stored.created_at is not None
    fields = {name: getattr(stored, name) for name in NOTE_FIELDS}
    assert {*NOTE_FIELDS, "id", "created_at"} == set(schema.declared()["handoff_messages"])
    assert fields == {
        "conversation_id": "chat-1",
        "author": "agent",
        "kind": "note",
        "text": "checked tronscan: confirmed",
        "buttons": None,
        "attachment": None,
        "delivery": None,  # never sent anywhere
        "delivery_error": None,
        "agent_id": None,
        "pending": False,  # no turn waits on it
        "handler": None,
        "attempts": 0,
        "retry_at": None,  # no failed turn waits on it
        "reply_to": None,  # answers no turn
    }
    # Notes are for agents: never in what the user's page reads (its history, what
    # came after a message id, the answers to a message), always in the agent's view.
    assert [m.id for m in messages.messages(db, "chat-1")] == [said.id]
    assert messages.messages(db, "chat-1", after=said.id) == []
    assert messages.answers_to(db, said) == []
    agent_view = messages.messages(db, "chat-1", include_notes=True)
    assert [(m.id, m.kind) for m in agent_view] == [(said.id, "message"), (note.id, "note")]


NOTE_FIELDS = (
    "conversation_id",
    "author",
    "kind",
    "text",
    "buttons",
    "attachment",
    "delivery",
    "delivery_error",
    "agent_id",
    "pending",
    "handler",
    "attempts",
    "retry_at",
    "reply_to",
)


def test_agent_passwords_are_hashed_and_tokens_expire(db: Session) -> None:
    agent = create_agent(db, "Ana@Example.com", "Ana", "correct horse battery")
    assert agent.email == "ana@example.com"
    assert "correct horse" not in agent.password_hash and agent.password_hash.startswith("$argon2")
    with pytest.raises(AgentError, match="already exists"):
        create_agent(db, "ana@example.com", "Ana again", "another long password")
    with pytest.raises(AgentError, match="10 characters"):
        create_agent(db, "short@example.com", "S", "short")
    assert log_in(db, "ana@example.com", "wrong password!!") is None
    assert log_in(db, "nobody@example.com", "correct horse battery") is None
    token = log_in(db, "ANA@example.com", "correct horse battery")
    assert token is not None
    assert agent_for_token(db, token) == agent
    assert agent_for_token(db, "forged-token") is None
    assert agent_for_token(db, token, now=utcnow() + timedelta(hours=13)) is None
    assert set_presence(db, agent.id, "online").presence == "online"
    with pytest.raises(AgentError):
        set_presence(db, agent.id, "busy")


def test_twenty_simultaneous_claims_have_exactly_one_winner(engine: Engine) -> None:
    factory = session_factory(engine)
    tag = uuid.uuid4().hex[:8]
    with factory.begin() as setup:
        agents = [
            create_agent(setup, f"a{i}-{tag}@example.com", f"A{i}", "correct horse battery")
            for i in range(20)
        ]
        session, _ = handoffs.open_session(setup, payload(f"race-{tag}"))
    agent_ids, session_id = [a.id for a in agents], session.id
    results: list[str] = []
    barrier = threading.Barrier(20)

    def contend(agent_id: int) -> None:
        with factory() as db:
            barrier.wait()
            try:
                handoffs.claim(db, session_id, agent_id)
                db.commit()
                results.append("won")
            except Conflict:
                db.rollback()
                results.append("409")

    threads = [threading.Thread(target=contend, args=(a,)) for a in agent_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert sorted(results) == ["409"] * 19 + ["won"]
        with factory() as db:
            winner = db.get(HandoffSession, session_id)
            assert (
                winner is not None and winner.agent_id in agent_ids and winner.state == "assigned"
            )
    finally:
        with factory.begin() as cleanup:
            cleanup.execute(delete(HandoffSession).where(HandoffSession.id == session_id))
            cleanup.execute(delete(Conversation).where(Conversation.id == f"race-{tag}"))
            cleanup.execute(delete(AgentToken).where(AgentToken.agent_id.in_(agent_ids)))
            cleanup.execute(delete(Agent).where(Agent.id.in_(agent_ids)))


def test_default_database_is_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    from store.db import database_url

    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url().startswith("sqlite:///") and database_url().endswith("var/support.db")
    monkeypatch.setenv("DATABASE_URL", PG_URL)
    assert database_url() == PG_URL


def test_agents_cli_creates_lists_and_disables(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "AGENT_PASSWORD": "correct horse battery",
    }

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "handoff", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cli("agents", "create", "ana@example.com", "Ana").returncode == 0
    duplicate = cli("agents", "create", "ana@example.com", "Ana")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    # A new account chose Online, but no console of hers is connected: offline.
    assert "ana@example.com\tAna\toffline\tactive" in cli("agents", "list").stdout
    assert cli("agents", "disable", "ana@example.com").returncode == 0
    assert "disabled" in cli("agents", "list").stdout
    weak = subprocess.run(
        [sys.executable, "-m", "handoff", "agents", "create", "b@example.com", "B"],
        env={**env, "AGENT_PASSWORD": "short"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert weak.returncode == 2 and "10 characters" in weak.stderr
