"""Roles and account management through the in-process gateway, on SQLite and
PostgreSQL: every admin endpoint refused (403) to agents and supervisors, accounts
created with a password or a one-time link (expiry, single use), role changes taking
effect at once, disabling, the last admin kept, the audit rows, the CLI, and the
migration that turned ``is_admin`` into roles."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update

from common.clock import utcnow
from store.db import make_engine, session_factory
from store.models import Agent, Audit, PasswordLink
from tests.support.gateway import PASSWORD, Gateway
from tests.support.routing import admin, agent_id

Headers = dict[str, str]
NEW_PASSWORD = "a brand new passphrase"


def audit_rows(gateway: Gateway, action: str) -> list[Audit]:
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        rows = list(db.execute(select(Audit).where(Audit.action == action)).scalars())
    engine.dispose()
    return rows


def set_role(gateway: Gateway, email: str, role: str) -> None:
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:
        db.execute(update(Agent).where(Agent.email == email).values(role=role))
    engine.dispose()


def create(gateway: Gateway, boss: Headers, **body: Any) -> Any:
    return gateway.client.post("/api/agent/admin/agents", json=body, headers=boss)


# Every admin endpoint, with a body that would be valid for an admin.
ADMIN_CALLS: list[tuple[str, str, Any]] = [
    ("get", "/api/agent/admin/agents", None),
    ("post", "/api/agent/admin/agents", {"email": "x@example.com", "display_name": "X"}),
    ("patch", "/api/agent/admin/agents/{id}", {"role": "admin"}),
    ("post", "/api/agent/admin/agents/{id}/link", None),
    ("get", "/api/agent/admin/audit", None),
    ("post", "/api/agent/admin/privacy/export", {"user": "webchat:someone"}),
    ("post", "/api/agent/admin/privacy/erase", {"user": "webchat:someone"}),
    ("put", "/api/agent/routing/agents/{id}", {"languages": ["en"]}),
]
SUPERVISOR_CALLS: list[tuple[str, str, Any]] = [
    ("get", "/api/agent/routing/agents", None),
    ("put", "/api/agent/routing", {"auto_assign": True}),
    ("post", "/api/agent/agents/{id}/release", None),
]


def call(gateway: Gateway, who: Headers, method: str, url: str, body: Any, target: int) -> Any:
    kwargs = {"json": body} if body is not None else {}
    return gateway.client.request(method, url.format(id=target), headers=who, **kwargs)


def test_admin_endpoints_refuse_agents_and_supervisors(gateway: Gateway) -> None:
    boss = admin(gateway)
    ana = gateway.agent("ana@example.com")
    sam = gateway.agent("sam@example.com")
    set_role(gateway, "sam@example.com", "supervisor")
    target = agent_id(gateway, ana)
    for method, url, body in ADMIN_CALLS:
        for who in (ana, sam):
            refused = call(gateway, who, method, url, body, target)
            assert refused.status_code == 403, (method, url, refused.text)
            assert "admin role" in refused.json()["detail"]
    for method, url, body in SUPERVISOR_CALLS:
        assert call(gateway, ana, method, url, body, target).status_code == 403, (method, url)
        assert call(gateway, sam, method, url, body, target).status_code == 200, (method, url)
    # Nothing an agent or a supervisor tried happened.
    assert not audit_rows(gateway, "agent.create") and not audit_rows(gateway, "privacy.erase")
    assert gateway.client.get("/api/agent/me", headers=ana).json()["role"] == "agent"
    # And the admin may do all of it.
    for method, url, body in ADMIN_CALLS + SUPERVISOR_CALLS:
        done = call(gateway, boss, method, url, body, target)
        assert done.status_code in (200, 201), (method, url, done.text)
    assert gateway.client.get("/api/agent/me", headers=ana).json()["role"] == "admin"


def test_no_token_is_401_not_403(gateway: Gateway) -> None:
    assert gateway.client.get("/api/agent/admin/agents").status_code == 401


def test_an_admin_creates_an_agent_with_a_password_and_changes_the_role(gateway: Gateway) -> None:
    boss = admin(gateway)
    made = create(
        gateway,
        boss,
        email="Li@Example.com",
        display_name="Li Wei",
        password=NEW_PASSWORD,
        languages=["zh", "en"],
    )
    assert made.status_code == 201, made.text
    account, link = made.json()["agent"], made.json()["link"]
    assert link is None
    assert (account["email"], account["role"], account["languages"]) == (
        "li@example.com",
        "agent",
        ["zh", "en"],
    )
    login = {"email": "li@example.com", "password": NEW_PASSWORD}
    token = gateway.client.post("/api/agent/login", json=login).json()["token"]
    li = {"Authorization": f"Bearer {token}"}
    assert gateway.client.get("/api/agent/routing/agents", headers=li).status_code == 403

    url = f"/api/agent/admin/agents/{account['id']}"
    promoted = gateway.client.patch(url, json={"role": "supervisor"}, headers=boss)
    assert promoted.status_code == 200 and promoted.json()["role"] == "supervisor"
    # The same token: the role is read on every request.
    assert gateway.client.get("/api/agent/routing/agents", headers=li).status_code == 200
    assert gateway.client.get("/api/agent/admin/agents", headers=li).status_code == 403

    [created] = audit_rows(gateway, "agent.create")
    [changed] = audit_rows(gateway, "agent.role")
    boss_id = agent_id(gateway, boss)
    assert created.agent_id == boss_id and '"by_link": false' in created.detail
    assert changed.agent_id == boss_id and '"to": "supervisor"' in changed.detail
    assert NEW_PASSWORD not in created.detail
    log = gateway.client.get("/api/agent/admin/audit", headers=boss).json()["rows"]
    assert [r["action"] for r in log][:2] == ["agent.role", "agent.create"]
    assert log[0]["agent"] == "Boss" and log[0]["detail"]["from"] == "agent"


def test_bad_accounts_are_refused_with_the_reason(gateway: Gateway) -> None:
    boss = admin(gateway)
    short = create(gateway, boss, email="a@example.com", display_name="A", password="short")
    assert short.status_code == 422 and "10 characters" in short.json()["detail"]
    assert create(gateway, boss, email="nobody", display_name="N").status_code == 422
    assert (
        create(gateway, boss, email="b@example.com", display_name="B", role="root").status_code
        == 422
    )
    french = create(gateway, boss, email="c@example.com", display_name="C", languages=["fr"])
    assert french.status_code == 422
    create(gateway, boss, email="d@example.com", display_name="D")
    twice = create(gateway, boss, email="D@example.com", display_name="D")
    assert twice.status_code == 422 and "already exists" in twice.json()["detail"]
    assert len(audit_rows(gateway, "agent.create")) == 1


def test_a_one_time_link_sets_the_password_once(gateway: Gateway) -> None:
    boss = admin(gateway)
    made = create(gateway, boss, email="new@example.com", display_name="New", role="supervisor")
    link = made.json()["link"]
    assert link["url"].startswith("/console/set-password.html#token=")
    token = link["url"].split("#token=", 1)[1]
    # Nobody can log in before the link is used (no password was ever told).
    for guess in ("", PASSWORD, token):
        refused = gateway.client.post(
            "/api/agent/login", json={"email": "new@example.com", "password": guess}
        )
        assert refused.status_code in (401, 422)
    checked = gateway.client.post("/api/agent/password-link/check", json={"token": token})
    assert checked.status_code == 200 and checked.json()["email"] == "new@example.com"
    weak = gateway.client.post(
        "/api/agent/password-link", json={"token": token, "password": "short"}
    )
    assert weak.status_code == 422  # and the link still works
    used = gateway.client.post(
        "/api/agent/password-link", json={"token": token, "password": NEW_PASSWORD}
    )
    assert used.status_code == 204, used.text
    login = {"email": "new@example.com", "password": NEW_PASSWORD}
    assert (
        gateway.client.post("/api/agent/login", json=login).json()["agent"]["role"] == "supervisor"
    )
    # Single use: the same link again, with any password, is gone.
    again = gateway.client.post(
        "/api/agent/password-link", json={"token": token, "password": "another passphrase"}
    )
    assert again.status_code == 410
    assert (
        gateway.client.post("/api/agent/password-link/check", json={"token": token}).status_code
        == 410
    )
    assert gateway.client.post("/api/agent/login", json=login).status_code == 200
    [row] = audit_rows(gateway, "agent.password_set")
    assert token not in row.detail
    # The database keeps only a digest of the token.
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        hashes = list(db.execute(select(PasswordLink.token_hash)).scalars())
    engine.dispose()
    assert token not in hashes and len(hashes) == 1


def test_an_expired_link_and_a_replaced_link_do_not_work(gateway: Gateway) -> None:
    boss = admin(gateway)
    made = create(gateway, boss, email="late@example.com", display_name="Late").json()
    token = made["link"]["url"].split("#token=", 1)[1]
    engine = make_engine(gateway.url)
    with session_factory(engine).begin() as db:  # 48 hours later
        db.execute(update(PasswordLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    body = {"token": token, "password": NEW_PASSWORD}
    assert gateway.client.post("/api/agent/password-link", json=body).status_code == 410
    assert (
        gateway.client.post("/api/agent/password-link/check", json={"token": token}).status_code
        == 410
    )

    # The admin sends a new link; the one before it (still in time) stops working.
    first = gateway.client.post(f"/api/agent/admin/agents/{made['agent']['id']}/link", headers=boss)
    second = gateway.client.post(
        f"/api/agent/admin/agents/{made['agent']['id']}/link", headers=boss
    )
    old = first.json()["url"].split("#token=", 1)[1]
    new = second.json()["url"].split("#token=", 1)[1]
    assert (
        gateway.client.post("/api/agent/password-link", json={**body, "token": old}).status_code
        == 410
    )
    assert (
        gateway.client.post("/api/agent/password-link", json={**body, "token": new}).status_code
        == 204
    )
    assert len(audit_rows(gateway, "agent.link")) == 2


def test_disabling_ends_logins_and_releases_chats_and_the_last_admin_stays(
    gateway: Gateway,
) -> None:
    boss = admin(gateway)
    ana = gateway.agent("ana@example.com")
    gateway.say(gateway.visitor(), "human", language="en")
    [waiting] = gateway.queue(ana)
    assert gateway.client.post(f"/api/agent/sessions/{waiting['id']}/claim", headers=ana).is_success
    url = f"/api/agent/admin/agents/{agent_id(gateway, ana)}"
    off = gateway.client.patch(url, json={"active": False}, headers=boss)
    assert off.status_code == 200 and off.json()["active"] is False
    assert gateway.client.get("/api/agent/me", headers=ana).status_code == 401
    assert [s["id"] for s in gateway.queue(boss)] == [waiting["id"]]  # back in the queue
    assert audit_rows(gateway, "agent.disable") and audit_rows(gateway, "sessions.release")
    refused = gateway.client.post(
        "/api/agent/login", json={"email": "ana@example.com", "password": PASSWORD}
    )
    assert refused.status_code == 401
    assert gateway.client.patch(url, json={"active": True}, headers=boss).json()["active"] is True

    me = f"/api/agent/admin/agents/{agent_id(gateway, boss)}"
    for change in ({"role": "agent"}, {"active": False}):
        kept = gateway.client.patch(me, json=change, headers=boss)
        assert kept.status_code == 409 and "last active admin" in kept.json()["detail"]
    everyone = gateway.client.get("/api/agent/admin/agents", headers=boss).json()["agents"]
    assert [a["role"] for a in everyone if a["email"] == "boss@example.com"] == ["admin"]


def test_the_cli_keeps_working_with_roles(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    env = {**os.environ, "DATABASE_URL": url, "AGENT_PASSWORD": PASSWORD, "PYTHONPATH": os.getcwd()}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "handoff", "agents", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert cli("create", "old@example.com", "Old", "--admin").returncode == 0
    assert cli("create", "sup@example.com", "Sup", "--role", "supervisor").returncode == 0
    assert cli("create", "ag@example.com", "Ag").returncode == 0
    assert "now admin" in cli("role", "ag@example.com", "admin").stdout
    assert "#token=" in cli("link", "ag@example.com").stdout
    assert cli("role", "ag@example.com", "root").returncode != 0
    engine = make_engine(url)
    with session_factory(engine)() as db:
        roles = dict(db.execute(select(Agent.email, Agent.role)).all())
        actions = sorted(db.execute(select(Audit.action)).scalars())
    engine.dispose()
    assert roles == {
        "old@example.com": "admin",
        "sup@example.com": "supervisor",
        "ag@example.com": "admin",
    }
    assert actions == ["agent.create"] * 3 + ["agent.link", "agent.role"]


def test_the_migration_makes_flagged_agents_admins(database_url: str) -> None:
    from alembic import command
    from alembic.config import Config

    from store.db import MIGRATIONS
    from tests.support.schema import head

    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        rows = [("boss@example.com", True), ("ana@example.com", False)]
        for email, flag in rows:
            connection.execute(
                text(
                    "INSERT INTO handoff_agents (email, display_name, password_hash, presence,"
                    " active, is_admin, created_at) VALUES (:e, :e, 'x', 'away', :t, :f, :now)"
                ),
                {"e": email, "f": flag, "t": True, "now": utcnow()},
            )
        command.upgrade(config, head())
        roles = dict(connection.execute(text("SELECT email, role FROM handoff_agents")).all())
        assert roles == {"boss@example.com": "admin", "ana@example.com": "agent"}
        command.downgrade(config, "0010")
        flags = dict(connection.execute(text("SELECT email, is_admin FROM handoff_agents")).all())
        assert {k: bool(v) for k, v in flags.items()} == {
            "boss@example.com": True,
            "ana@example.com": False,
        }
    engine.dispose()


def test_two_uses_of_one_link_at_once_let_exactly_one_through(database_url: str) -> None:
    import threading

    from store import NotFound, accounts
    from store.agents import create_agent
    from store.db import migrate

    engine = make_engine(database_url)
    migrate(engine)
    database = session_factory(engine)
    with database.begin() as db:
        agent = create_agent(db, "race@example.com", "Race", None)
        token, _ = accounts.new_link(db, agent.id, None)
    start = threading.Barrier(2)
    results: list[str] = []

    def use(password: str) -> None:
        start.wait()
        try:
            with database.begin() as db:
                accounts.use_link(db, token, password)
            results.append(password)
        except NotFound:
            results.append("refused")

    threads = [
        threading.Thread(target=use, args=(p,)) for p in ("first passphrase", "second passphrase")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results.count("refused") == 1, results
    [winner] = [r for r in results if r != "refused"]
    from store.agents import log_in

    with database.begin() as db:
        assert log_in(db, "race@example.com", winner) is not None
        loser = "second passphrase" if winner == "first passphrase" else "first passphrase"
        assert log_in(db, "race@example.com", loser) is None
    engine.dispose()
