"""Issue 15, items 5 (sockets) and 7: tokens stay out of socket URLs, and a console's
socket dies with its session.

The gateway runs under a real uvicorn; the attacks are real WebSocket and HTTP
clients, and the operator's CLI runs as its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from common.clock import utcnow
from store.agents import create_agent
from store.db import make_engine, session_factory
from store.models import Agent, AgentToken, HandoffSession
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.logs import Socket, served

HEARTBEAT = 0.5


@dataclass
class Desk:
    gateway: Gateway
    url: str
    database_url: str

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")

    def agent(self, email: str, admin: bool = False) -> tuple[int, str]:
        """A new agent, logged in over HTTP: its id and bearer token."""
        engine = make_engine(self.database_url)
        with session_factory(engine).begin() as db:
            agent = create_agent(db, email, email.split("@")[0].title(), PASSWORD)
            agent.is_admin = admin
            db.flush()
            agent_id = int(agent.id)
        engine.dispose()
        login = httpx.post(
            f"{self.url}/api/agent/login", json={"email": email, "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        return agent_id, str(login.json()["token"])

    def console(self, token: str) -> Socket:
        socket = Socket(f"{self.ws}/api/agent/ws", {"type": "auth", "token": token})
        assert socket.ready.wait(10), f"no 'ready' frame: closed with {socket.code}"
        assert socket.frames[0] == {"type": "ready"}
        return socket

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": self.database_url, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-m", "handoff", "agents", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def handed_off(self) -> int:
        """A visitor asks for a human: the id of the queued session."""
        visitor = httpx.post(f"{self.url}/webchat/api/visitors", json={"language": "en"}).json()
        auth = {"Authorization": f"Bearer {visitor['token']}"}
        said = httpx.post(
            f"{self.url}/webchat/api/messages", json={"text": "human"}, headers=auth, timeout=30
        )
        assert said.status_code == 200, said.text
        engine = make_engine(self.database_url)
        with session_factory(engine)() as db:
            value = db.execute(select(func.max(HandoffSession.id))).scalar_one()
        engine.dispose()
        return int(value)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    database_url = f"sqlite:///{tmp_path / 'desk.db'}"
    settings = ALWAYS.copy(update={"heartbeat_seconds": HEARTBEAT})
    gateway = Gateway(database_url, FakeRasa(), settings)
    gateway.app.state.ws_auth_seconds = 1.0
    with served(gateway.app) as url:
        yield Desk(gateway, url, database_url)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_in_the_socket_url_opens_nothing(desk: Desk) -> None:
    _, token = desk.agent("alice@example.com")
    visitor = httpx.post(f"{desk.url}/webchat/api/visitors", json={}).json()["token"]
    # The old way: the token in the query string (which access logs keep).
    for url in (f"{desk.ws}/api/agent/ws?token={token}", f"{desk.ws}/webchat/ws?token={visitor}"):
        socket = Socket(url)
        assert socket.wait_closed(5) == 4401, url
        assert socket.frames == []
    # A first frame that isn't an auth frame, or a wrong token: 4401 too.
    for first in ({"type": "ping"}, {"type": "auth", "token": "forged"}):
        socket = Socket(f"{desk.ws}/api/agent/ws", first)
        assert socket.wait_closed(5) == 4401
        assert socket.frames == []
    # A visitor's token on the agents' socket is told it is the wrong kind.
    socket = Socket(f"{desk.ws}/api/agent/ws", {"type": "auth", "token": visitor})
    assert socket.wait_closed(5) == 4403
    # The right first frames are accepted.
    desk.console(token).close()
    chat = Socket(f"{desk.ws}/webchat/ws", {"type": "auth", "token": visitor})
    assert chat.ready.wait(10) and chat.frames == [{"type": "ready"}]
    chat.close()


def test_logout_closes_the_console_socket_within_a_heartbeat(desk: Desk) -> None:
    _, token = desk.agent("alice@example.com")
    socket = desk.console(token)
    assert httpx.post(f"{desk.url}/api/agent/logout", headers=bearer(token)).status_code == 204
    assert socket.wait_closed(HEARTBEAT * 6) == 4401


def test_an_expired_session_closes_the_socket(desk: Desk) -> None:
    _, token = desk.agent("alice@example.com")
    socket = desk.console(token)
    engine = make_engine(desk.database_url)
    with session_factory(engine).begin() as db:
        db.execute(update(AgentToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    assert socket.wait_closed(HEARTBEAT * 6) == 4401


def test_agents_disable_closes_the_socket_and_stops_the_stream(desk: Desk) -> None:
    _, token = desk.agent("mallory@example.com")
    socket = desk.console(token)
    done = desk.cli("disable", "mallory@example.com")
    assert done.returncode == 0, done.stderr
    assert socket.wait_closed(HEARTBEAT * 6) == 4401
    seen = len(socket.frames)
    desk.handed_off()  # a new conversation: the disabled agent's console gets none of it
    assert len(socket.frames) == seen


def test_a_supervisor_releases_or_reassigns_a_disabled_agents_chats(desk: Desk) -> None:
    _, admin = desk.agent("boss@example.com", admin=True)
    alice_id, alice = desk.agent("alice@example.com")
    bob_id, bob = desk.agent("bob@example.com")
    httpx.put(f"{desk.url}/api/agent/presence", json={"presence": "online"}, headers=bearer(bob))
    sid = desk.handed_off()
    claim = httpx.post(f"{desk.url}/api/agent/sessions/{sid}/claim", headers=bearer(bob))
    assert claim.status_code == 200, claim.text
    assert desk.cli("disable", "bob@example.com").returncode == 0

    # A colleague who is not a supervisor may not move them.
    for action, body in (("release", None), ("reassign", {"to_agent": alice_id})):
        refused = httpx.post(
            f"{desk.url}/api/agent/agents/{bob_id}/{action}", json=body, headers=bearer(alice)
        )
        assert refused.status_code == 403, refused.text

    released = httpx.post(f"{desk.url}/api/agent/agents/{bob_id}/release", headers=bearer(admin))
    assert released.status_code == 200 and released.json() == {"sessions": [sid]}
    queue = httpx.get(f"{desk.url}/api/agent/sessions?view=queue", headers=bearer(alice)).json()
    assert [s["id"] for s in queue["sessions"]] == [sid]

    # Claimed again, by someone who is then disabled: the admin gives it to alice.
    carol_id, carol = desk.agent("carol@example.com")
    assert httpx.post(
        f"{desk.url}/api/agent/sessions/{sid}/claim", headers=bearer(carol)
    ).is_success
    assert desk.cli("disable", "carol@example.com").returncode == 0
    moved = httpx.post(
        f"{desk.url}/api/agent/agents/{carol_id}/reassign",
        json={"to_agent": alice_id},
        headers=bearer(admin),
    )
    assert moved.status_code == 200 and moved.json() == {"sessions": [sid]}
    mine = httpx.get(f"{desk.url}/api/agent/sessions?view=mine", headers=bearer(alice)).json()
    assert [s["id"] for s in mine["sessions"]] == [sid]

    # The operator's CLI does the same.
    done = desk.cli("reassign", "alice@example.com", "boss@example.com")
    assert done.returncode == 0 and f"[{sid}]" in done.stdout, done.stderr
    done = desk.cli("release", "boss@example.com")
    assert done.returncode == 0 and f"[{sid}]" in done.stdout, done.stderr
    queue = httpx.get(f"{desk.url}/api/agent/sessions?view=queue", headers=bearer(alice)).json()
    assert [s["id"] for s in queue["sessions"]] == [sid]
    engine = make_engine(desk.database_url)
    with session_factory(engine)() as db:
        assert db.get(Agent, bob_id).active is False
    engine.dispose()
