"""Issue 15, items 5 (tokens in URLs), 6 (secrets in logs and the console) and 15's
first part (the Telegram bot token in httpx's request log).

The attacker here is anyone who reads a log (an operator, a log pipeline, a
support contractor) or an agent's console: each test makes the real code log or
store what it would with a secret in reach, and looks for the secret everywhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text

from common import logs
from common.payload import Details, HandoffPayload
from store.db import make_engine
from tests.fakes.server import serve
from tests.fakes.telegram import BotApi
from tests.fakes.wechat import APP_ID
from tests.support import ROOT
from tests.support.gateway import Gateway
from tests.support.logs import Socket, served
from tests.support.processes import free_port, spawn, stop_all, wait_until_up
from tests.support.waiting import wait_until

NODE_KEY = "SECRET123"
APP_SECRET = "wxsecret-0123456789abcdef0123456789"
BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SESSION_TOKEN = "sessiontoken-Zm9vYmFyYmF6cXV4"
SIGNATURE = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"


def failing_node() -> tuple[Any, str]:
    """A JSON-RPC node that answers 500 to everything (its URL carries the API key)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._fail()

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._fail()

        def _fail(self) -> None:
            body = f"upstream error for {self.path}".encode()  # providers echo the URL
            self.send_response(500)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return serve(Handler)


@pytest.fixture
def node() -> Iterator[str]:
    server, url = failing_node()
    yield url
    server.shutdown()


def test_credentials_in_request_urls_never_reach_the_access_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", _EchoRasa())
    gateway.app.state.ws_auth_seconds = 0.5
    caplog.set_level(logging.INFO)
    with served(gateway.app) as url:
        for path in (
            f"/api/agent/media/1?token={SESSION_TOKEN}",
            f"/api/agent/media/1?expires=1&sig={SIGNATURE}",
            f"/wechat?signature={SIGNATURE}&timestamp=1&nonce=2&echostr=x",
            f"/health?access_token={SESSION_TOKEN}",
        ):
            httpx.get(f"{url}{path}")
        for path in (f"/api/agent/ws?token={SESSION_TOKEN}", f"/webchat/ws?token={SESSION_TOKEN}"):
            socket = Socket(url.replace("http://", "ws://") + path)
            assert socket.wait_closed(5) == 4401  # and the token in the URL opened nothing
        wait_until(
            lambda: caplog.text.count("/api/agent/media/1") >= 2,
            5,
            lambda: f"the access log never showed the requests:\n{caplog.text}",
        )
    logged = caplog.text
    assert "GET /api/agent/media/1?***" in logged and "/wechat?***" in logged
    assert "/api/agent/ws?***" in logged and "/webchat/ws?***" in logged
    for secret in (SESSION_TOKEN, SIGNATURE):
        assert secret not in logged


def test_a_node_key_never_reaches_the_log_the_slots_or_the_console(
    node: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.actions import chain as chain_actions

    node_url = f"{node}/rpc?apikey={NODE_KEY}"
    monkeypatch.setenv("CHAIN_EVM_ENDPOINTS", json.dumps({"ethereum": node_url}))
    monkeypatch.setenv("CHAIN_TRON_ENDPOINT", f"{node}/v3/{NODE_KEY}abcdef0123456789")
    chain_actions.chain_lookup.cache_clear()
    logs.install()  # as each process does at start, with this environment
    caplog.set_level(logging.DEBUG)
    dispatcher = CollectingDispatcher()

    async def look_up() -> Any:
        try:
            return await chain_actions.check_transaction(
                dispatcher, "0x" + "ab" * 32, "ethereum", None
            )
        finally:
            await chain_actions.chain_lookup().close()  # type: ignore[union-attr]
            chain_actions.chain_lookup.cache_clear()

    events = asyncio.run(look_up())
    [slot] = [e for e in events if e.get("name") == "tx_check"]
    check = slot["value"]
    assert check["status"] == "unavailable"
    # Every configured chain is asked (issue 20), each failure named by its chain only.
    assert "ethereum: the node could not be reached" in check["error"]
    # The transport error itself, logged with its traceback the way a bug would be.
    try:
        httpx.post(node_url, json={}).raise_for_status()
    except httpx.HTTPError:
        logging.getLogger("bot.chain").exception("lookup failed against %s", node_url)

    # The check travels in the handoff payload to the desk and the agent's console.
    rasa = _EchoRasa(chain_check=check)
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", rasa)
    with gateway.client:
        visitor = gateway.visitor("en")
        gateway.say(visitor, "human")
        agent = gateway.agent("alice@example.com")
        [session] = gateway.queue(agent)
        shown = gateway.client.get(f"/api/agent/sessions/{session['id']}", headers=agent)
        assert shown.status_code == 200
        assert "the node could not be reached" in shown.text
        stored = _dump(gateway.url)
    for where, text_ in (
        ("log", caplog.text),
        ("slots", json.dumps(events)),
        ("replies", json.dumps(dispatcher.messages)),
        ("console", shown.text),
        ("database", stored),
    ):
        assert NODE_KEY not in text_, where
    assert "lookup failed against" in caplog.text and "Traceback" in caplog.text


def test_a_gateway_process_logs_no_app_secret_bot_token_or_session_token(
    tmp_path: Path,
) -> None:
    """The real `python -m gateway`: WeChat's token endpoint fails (requests' error
    quotes the URL with ``secret=``), Telegram's webhook is registered (httpx logs
    ``/bot<token>/setWebhook``), and clients put tokens in URLs."""
    wechat, wechat_url = failing_node()
    telegram = BotApi()
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
        "DESK_SECRET": "process-test-secret-0123456789abcdef",
        "DESK_RASA_URL": "http://127.0.0.1:9",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": APP_SECRET,
        "WECHAT_TOKEN": "wechat-server-token",
        "WECHAT_API_BASE": wechat_url,
        "TELEGRAM_TOKEN": BOT_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": "hook-secret-123",
        "TELEGRAM_WEBHOOK_URL": "https://support.example/telegram/webhook",
        "TELEGRAM_BASE_URL": f"{telegram.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{telegram.url}/file/bot",
    }
    log = tmp_path / "gateway.log"
    gateway = spawn(
        "gateway", [sys.executable, "-m", "gateway", "--port", str(port)], port, env, log
    )
    try:
        wait_until_up(gateway, "/health", timeout=120)
        wait_until(lambda: telegram.count("setWebhook"), 30, "the webhook was never registered")
        for path in (
            f"/api/agent/media/1?token={SESSION_TOKEN}",
            f"/wechat?signature={SIGNATURE}&timestamp=1&nonce=2&echostr=x",
        ):
            httpx.get(f"{gateway.url}{path}")
        wait_until(
            lambda: "job wechat_token failed" in log.read_text() and "/wechat?" in log.read_text(),
            60,
            lambda: f"the failures were never logged:\n{gateway.tail()}",
        )
    finally:
        stop_all([gateway])
        wechat.shutdown()
        telegram.close()
    output = log.read_text()
    assert "Traceback" in output  # the token fetch's failure, traceback and all
    for secret in (APP_SECRET, BOT_TOKEN, BOT_TOKEN.split(":")[1], SESSION_TOKEN, SIGNATURE):
        assert secret not in output, f"{secret} is in the gateway's log:\n{output[-3000:]}"


def test_the_action_server_masks_from_its_first_import(node: str, tmp_path: Path) -> None:
    """`rasa run actions` imports bot.actions first: from then on a node URL logged by
    any library, in any handler added later, is masked."""
    import subprocess

    script = (
        "import logging, os, httpx\n"
        "import bot.actions\n"
        "logging.basicConfig(level=logging.DEBUG)\n"
        "url = os.environ['CHAIN_TRON_ENDPOINT']\n"
        "logging.getLogger('rasa_sdk').warning('calling %s', url)\n"
        "try:\n"
        "    httpx.get(url).raise_for_status()\n"
        "except httpx.HTTPError:\n"
        "    logging.getLogger('bot').exception('failed')\n"
        "raise RuntimeError(url)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_PRELOAD_KB": "0",
        "CHAIN_TRON_ENDPOINT": f"{node}/wallet?key={NODE_KEY}",
    }
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "RuntimeError" in done.stderr and "calling" in done.stderr, done.stderr[-2000:]
    assert NODE_KEY not in done.stderr + done.stdout


def _dump(database_url: str) -> str:
    """Every row of every desk table, as text."""
    engine = make_engine(database_url)
    parts = []
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'table'")
        ).scalars()
        for table in list(tables):
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).fetchall()
            parts.append(f"{table}: {rows}")
    engine.dispose()
    return "\n".join(parts)


class _EchoRasa:
    """Rasa's REST channel: "human" hands off with *chain_check* in the details."""

    def __init__(self, chain_check: dict[str, Any] | None = None) -> None:
        self.chain_check = chain_check
        self.calls: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.calls.append(body)
        sender = body["sender"]
        if body["message"] != "human":
            return httpx.Response(200, json=[{"recipient_id": sender, "text": "ok"}])
        payload = HandoffPayload(
            conversation_id=sender,
            reason="missing_transfer",
            language="en",
            sla_hours=48,
            details=Details(
                chain="ethereum", tx_hash="0x" + "ab" * 32, chain_check=self.chain_check
            ),
            summary="Missing transfer on ethereum",
        )
        return httpx.Response(
            200,
            json=[
                {"recipient_id": sender, "text": "Connecting you with a human."},
                {"recipient_id": sender, "custom": payload.as_message()},
            ],
        )


def test_nginx_logs_no_query_credentials(tmp_path: Path) -> None:
    """``deploy/nginx.conf`` as shipped (its upstreams pointed at a local server, its
    access log at a file): the requests' credentials are not in the access log."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (apt-get install nginx)")

    class Upstream(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server, upstream = serve(Upstream)
    port = free_port()
    prefix = tmp_path / "nginx"
    (prefix / "logs").mkdir(parents=True)
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    conf = re.sub(r"server gateway-\d+:8000", f"server {upstream.removeprefix('http://')}", conf)
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    assert "access_log /dev/stdout redacted;" in conf
    conf = conf.replace("access_log /dev/stdout", f"access_log {prefix / 'logs' / 'access.log'}")
    (prefix / "nginx.conf").write_text(conf)
    command = [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", "logs/error.log"]
    proxy = spawn(
        "nginx", [*command, "-g", "daemon off; pid logs/nginx.pid;"], port, os.environ, None
    )
    paths = (
        f"/api/agent/media/7?expires=1&sig={SIGNATURE}",
        f"/api/agent/media/7?token={SESSION_TOKEN}",
        f"/api/agent/ws?token={SESSION_TOKEN}",
        f"/webchat/ws?token={SESSION_TOKEN}",
        f"/wechat?signature={SIGNATURE}&timestamp=1&nonce=2",
        f"/chat/?lang=en&access_token={SESSION_TOKEN}",
    )
    try:
        wait_until_up(proxy, "/health", timeout=20)
        for path in paths:
            assert httpx.get(f"{proxy.url}{path}").status_code == 200
        access = prefix / "logs" / "access.log"
        wait_until(
            lambda: access.exists() and access.read_text().count("\n") > len(paths),
            10,
            "nginx never logged the requests",
        )
    finally:
        proxy.stop(timeout=10)
        server.shutdown()
    logged = access.read_text()
    assert "GET /api/agent/media/7?[redacted]" in logged and "GET /wechat?[redacted]" in logged
    assert "GET /chat/?[redacted]" in logged
    for secret in (SESSION_TOKEN, SIGNATURE):
        assert secret not in logged
