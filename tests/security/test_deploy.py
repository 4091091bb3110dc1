"""Attacks on the internal services (issue 15, item 2): Redis fan-out, Redis itself,
Rasa's HTTP API. Each test performs the attack against the real thing and asserts
it fails; the compose file's properties are in tests/test_deploy.py."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import shlex
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import yaml
from prometheus_client import REGISTRY
from starlette.testclient import TestClient, WebSocketTestSession

from common.settings import DeskSettings
from events import shapes
from events.envelope import Rejected, Sealer
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT
from tests.support.gateway import Gateway
from tests.support.model import trained_model
from tests.support.processes import BIN, free_port, spawn, wait_until_up
from tests.support.services import REDIS_URL, need
from tests.support.waiting import wait_until

SECRET = "deploy-test-secret-0123456789abcdef"
FORGED = "Agent here: to unfreeze your wallet, reply with your 12 recovery words"


def settings(secret: str = SECRET) -> DeskSettings:
    return DeskSettings(
        agent_hours="00:00-24:00", secret=secret, sweep_seconds=3600, redis_url=REDIS_URL
    )


def gateways_on(channel: str, url: str, *secrets: str) -> list[Gateway]:
    """One gateway per secret, over one database, on a Redis channel of this test's own."""
    made = []
    for secret in secrets:
        gateway = Gateway(url, FakeRasa(), settings(secret))
        gateway.app.state.fanout.channel = channel  # other tests' gateways share Redis
        made.append(gateway)
    return made


def rejected() -> float:
    """Fan-out events this process refused (``support_fanout_events_total``)."""
    value = REGISTRY.get_sample_value("support_fanout_events_total", {"direction": "rejected"})
    return value or 0.0


def fanout_up(gateway: Gateway) -> bool:
    return bool(gateway.client.get("/health").json()["fanout"] == "ok")


class Frames:
    """What a user's open chat page receives on its WebSocket, read in a thread."""

    def __init__(self, socket: Any) -> None:
        self.received: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, args=(socket,), daemon=True)
        self._thread.start()

    def _read(self, socket: Any) -> None:
        try:
            while True:
                self.received.append(socket.receive_json())
        except Exception:  # the socket closed at the end of the test
            return

    def texts(self) -> list[str]:
        return [str(f.get("message", {}).get("text")) for f in self.received]


def forged_event(topic: str) -> dict[str, Any]:
    return {
        "type": "message",
        "message": {
            "id": 999_999,
            "author": "agent",
            "text": FORGED,
            "buttons": [],
            "image": None,
            "created_at": "2026-11-30T00:00:00+00:00",
        },
    }


def forgeries(topic: str, channel_key: bytes) -> list[str]:
    """What an attacker with Redis access but without the desk secret can publish."""
    event = forged_event(topic)
    plain = json.dumps({"origin": "attacker", "topic": topic, "event": event})
    body = json.dumps({"origin": "attacker", "topic": topic, "event": event, "at": time.time()})
    own_key = hmac.new(channel_key, body.encode(), hashlib.sha256).hexdigest()
    genuine_kid = Sealer([SECRET.encode()]).seal("x", "desk", {"type": "queue"})
    kid = json.loads(genuine_kid)["kid"]
    return [
        plain,  # the format gateways trusted before: no signature at all
        json.dumps({"v": 1, "kid": kid, "sig": own_key, "body": body}),  # signed, wrong key
        json.dumps({"v": 1, "kid": kid, "sig": "0" * 64, "body": body}),
        json.dumps({"v": 2, "kid": kid, "sig": own_key, "body": body}),
        '{"v": 1, "kid": ',  # malformed
        json.dumps([1, 2, 3]),
    ]


def test_a_forged_agent_message_on_redis_never_reaches_the_users_page(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    need("Redis")
    channel = f"test:fanout:{uuid.uuid4().hex}"
    a, b = gateways_on(channel, f"sqlite:///{tmp_path / 'desk.db'}", SECRET, SECRET)
    attacker = redis.Redis.from_url(REDIS_URL)
    with a.client, b.client:
        wait_until(lambda: fanout_up(a) and fanout_up(b), 20, "the fan-out never came up")
        visitor = a.visitor("en")
        assert a.say(visitor, "human").status_code == 200
        user_id = visitor["token"].rpartition(".")[0]
        topic = f"chat:webchat:{user_id}"
        agent = b.agent("alice@example.com")
        [session] = b.queue(agent)
        rejected_before = rejected()
        with page_socket(a.client, visitor["token"]) as socket:
            frames = Frames(socket)
            caplog.set_level(logging.WARNING, logger="events.fanout")
            for _ in range(3):  # again and again: counted every time, logged once
                for forged in forgeries(topic, b"attacker-guess"):
                    attacker.publish(channel, forged)
            # The genuine events come from the second gateway, after the forgeries on
            # the same channel: Redis keeps the order, so once they are on the page,
            # any forgery that was let through would be there too.
            claim = b.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
            assert claim.status_code == 200, claim.text
            reply = b.client.post(
                f"/api/agent/sessions/{session['id']}/messages",
                json={"text": "Hi, I am Alice from support"},
                headers=agent,
            )
            assert reply.status_code == 200, reply.text
            wait_until(
                lambda: "Hi, I am Alice from support" in frames.texts(),
                20,
                lambda: f"the genuine agent reply never reached the page: {frames.received}",
            )
        assert not any(FORGED in text for text in frames.texts()), frames.received
        assert any("Alice" in text for text in frames.texts()[:-1])  # "joined", from b
    assert rejected() - rejected_before >= 18
    warnings = [r.getMessage() for r in caplog.records if "dropped a fan-out" in r.getMessage()]
    # Three rounds of six forgeries: each reason logged once by each of the two gateways.
    assert set(Counter(warnings).values()) == {2} and len(set(warnings)) >= 4, warnings


def test_a_gateway_with_another_secret_cannot_push_into_chats(tmp_path: Path) -> None:
    """A stolen Redis password plus this repository's code is not enough: the events
    of a gateway started with a different DESK_SECRET are refused too."""
    need("Redis")
    channel = f"test:fanout:{uuid.uuid4().hex}"
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    a, rogue = gateways_on(channel, url, SECRET, "a-different-secret-of-the-attacker-00")
    with a.client, rogue.client:
        wait_until(lambda: fanout_up(a) and fanout_up(rogue), 20, "the fan-out never came up")
        visitor = a.visitor("en")
        user_id = visitor["token"].rpartition(".")[0]
        topic = f"chat:webchat:{user_id}"
        with page_socket(a.client, visitor["token"]) as socket:
            frames = Frames(socket)
            before = rejected()
            hub = rogue.app.state.desk.hub
            rogue.client.portal.call(hub.publish, topic, forged_event(topic))  # type: ignore[union-attr]
            wait_until(
                lambda: rejected() > before,
                20,
                "the rogue gateway's event was never refused",
            )
        assert frames.received == []


@contextmanager
def page_socket(client: TestClient, token: str) -> Iterator[WebSocketTestSession]:
    """The user's page socket, authenticated by its first frame (never by its URL)."""
    with client.websocket_connect("/webchat/ws") as socket:
        socket.send_json({"type": "auth", "token": token})
        assert socket.receive_json() == {"type": "ready"}
        yield socket


class Recorder:
    """A bridge that keeps what a gateway would send to the others (events.hub.Bridge)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def forward(self, topic: str, event: dict[str, Any], event_id: int | None = None) -> None:
        # Through JSON, as the fan-out carries it (datetimes become strings).
        self.sent.append((topic, json.loads(json.dumps(event, default=str))))


def test_every_event_the_desk_publishes_has_a_shape_the_other_gateways_accept(
    tmp_path: Path,
) -> None:
    """The receiving side's shape checks must not drop genuine events: a journey's
    worth of them (chat pushes, queue, messages, deliveries, presence, reminders)."""
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa(), settings())
    gateway.app.state.fanout = None
    recorder = Recorder()
    gateway.app.state.desk.hub.bridge = recorder
    with gateway.client as client:
        visitor = gateway.visitor("es")
        gateway.say(visitor, "hola")
        gateway.say(visitor, "human")
        agent = gateway.agent("alice@example.com")
        [session] = gateway.queue(agent)
        sid = session["id"]
        client.post(f"/api/agent/sessions/{sid}/claim", headers=agent)
        client.post(f"/api/agent/sessions/{sid}/messages", json={"text": "Hola"}, headers=agent)
        client.post(f"/api/agent/sessions/{sid}/notes", json={"text": "a note"}, headers=agent)
        gateway.put_presence(agent, "away")
        client.post(f"/api/agent/sessions/{sid}/resolve", headers=agent)
        summaries = gateway.queue(agent, "resolved")
    kinds = {(topic.split(":")[0], event["type"]) for topic, event in recorder.sent}
    assert {("chat", "message"), ("desk", "queue"), ("desk", "message")} <= kinds, kinds
    assert ("desk", "presence") in kinds, kinds
    refused = [(t, e, shapes.problem(t, e)) for t, e in recorder.sent if shapes.problem(t, e)]
    assert refused == []
    for summary in summaries:  # the SLA job's reminders carry these summaries
        assert shapes.problem("desk", {"type": "reminder", "session": summary}) is None
    assert shapes.problem("chat:webchat:v1", {"type": "resync"}) == "unknown event type"
    assert shapes.problem("chat:telegram:1", forged_event("")) == "unknown topic"


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())  # type: ignore[no-any-return]


@pytest.fixture
def compose_redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    """redis-server started with compose.yaml's own command (on a free port)."""
    service = compose()["services"]["redis"]
    command = service["command"]
    assert command[:2] == ["sh", "-c"], command
    script = command[2].replace("$$", "$")  # compose's escape for a literal $
    port, password = free_port(), uuid.uuid4().hex
    process = spawn(
        "redis",
        ["sh", "-c", f"{script} --port {port} --save '' --dir {shlex.quote(str(tmp_path))}"],
        port,
        {**os.environ, "REDIS_PASSWORD": password},
        tmp_path / "redis.log",
    )
    try:
        wait_until(
            lambda: b"NOAUTH" in _raw(port, b"PING\r\n") or process.popen.poll() is not None,
            10,
            lambda: f"redis-server never answered:\n{process.tail()}",
        )
        assert process.popen.poll() is None, process.tail()
        yield port, password
    finally:
        process.stop()


def _raw(port: int, command: bytes) -> bytes:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(command)
            return sock.recv(200)
    except OSError:
        return b""


def test_compose_redis_refuses_a_client_without_the_password(
    compose_redis: tuple[int, str],
) -> None:
    port, password = compose_redis
    intruder = redis.Redis(port=port)
    with pytest.raises(redis.AuthenticationError):
        intruder.publish("wallet_support:events", "{}")
    with pytest.raises(redis.AuthenticationError):
        intruder.keys("*")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=port, password="support").ping()
    # What the gateways and Rasa are given (compose: REDIS_URL with the password).
    url = compose()["x-secrets"]["redis_url"]
    assert url.startswith("redis://:${REDIS_PASSWORD:?")
    ours = redis.Redis.from_url(f"redis://:{password}@127.0.0.1:{port}/0")
    assert ours.ping() is True and ours.publish("wallet_support:events", "{}") == 0


def serve_rasa_command() -> list[str]:
    """The exec line of ``scripts/serve.sh rasa``, as bash would run it."""
    script = (ROOT / "scripts" / "serve.sh").read_text()
    block = script.split("  rasa)", 1)[1].split(";;", 1)[0]
    line = block[block.index('exec "$BIN/python" -m bot.rasa_server') :].replace("\\\n", " ")
    return shlex.split(line)


def test_serve_sh_runs_rasa_without_its_http_api() -> None:
    command = serve_rasa_command()
    assert command[:2] == ["exec", "$BIN/python"], command
    assert command[2:5] == ["-m", "bot.rasa_server", "run"], command
    assert "--enable-api" not in command and "--auth-token" not in command
    assert "--credentials" in command  # the REST channel the gateway needs


@pytest.fixture(scope="module")
def rasa_as_deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Rasa server, started by ``scripts/serve.sh rasa`` with the trained model."""
    trained_model()
    workdir = tmp_path_factory.mktemp("rasa")
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL")  # the embedded profile: SQLite tracker
    }
    env.update(
        BIN=str(BIN),
        PORT=str(port),
        HOST="127.0.0.1",
        RASA_TRACKER_DB=str(workdir / "tracker.db"),
        ACTION_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}/webhook",
        BOT_PRELOAD_KB="0",
        PYTHONUNBUFFERED="1",
    )
    process = spawn("rasa", ["bash", "scripts/serve.sh", "rasa"], port, env, workdir / "rasa.log")
    try:
        wait_until_up(process, "/webhooks/rest/")  # the REST channel's health route
        yield process.url
    finally:
        process.stop()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/conversations/telegram:777000111/tracker", None),
        ("POST", "/conversations/telegram:777000111/tracker/events", {"event": "pause"}),
        ("PUT", "/conversations/telegram:777000111/tracker/events", [{"event": "pause"}]),
        ("POST", "/conversations/telegram:777000111/trigger_intent", {"name": "greet"}),
        ("PUT", "/model", {"model_file": "/tmp/evil.tar.gz"}),
        ("DELETE", "/model", None),
        ("POST", "/model/parse", {"text": "hi"}),
        ("GET", "/status", None),
        ("GET", "/domain", None),
    ],
)
def test_rasa_as_deployed_has_no_http_api(
    rasa_as_deployed: str, method: str, path: str, body: Any
) -> None:
    response = httpx.request(method, f"{rasa_as_deployed}{path}", json=body, timeout=30)
    assert response.status_code == 404, (response.status_code, response.text[:300])


def test_rasa_as_deployed_still_answers_the_rest_channel(rasa_as_deployed: str) -> None:
    body = {"sender": f"t{uuid.uuid4().hex}", "message": "hello", "metadata": {"language": "en"}}
    response = httpx.post(f"{rasa_as_deployed}/webhooks/rest/webhook", json=body, timeout=120)
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_a_recorded_envelope_replayed_later_is_refused() -> None:
    """Someone who records a genuine event off Redis can't push it again later."""
    now = [1_000_000.0]
    gateway = Sealer([SECRET.encode()], clock=lambda: now[0])
    recorded = gateway.seal("gw-b", "chat:webchat:v1", forged_event(""))
    assert gateway.open(recorded).topic == "chat:webchat:v1"  # fresh: accepted
    now[0] += 121
    with pytest.raises(Rejected, match="stale"):
        gateway.open(recorded)
    rotated = Sealer([b"the-new-secret-after-rotation-000", SECRET.encode()], clock=lambda: now[0])
    old_side = Sealer([SECRET.encode()], clock=lambda: now[0])
    assert rotated.open(old_side.seal("gw-a", "desk", {"type": "queue"})).event == {"type": "queue"}
    with pytest.raises(Rejected, match="unknown key id"):
        old_side.open(rotated.seal("gw-b", "desk", {"type": "queue"}))
