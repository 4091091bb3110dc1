"""The journey on Telegram and on WeChat with the real bot: a gateway process with both
connectors, the live Rasa and action servers, and local servers playing the platforms."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes.telegram import CHAT, SECRET, TOKEN, BotApi, message, update, user
from tests.fakes.wechat import APP_ID, OPENID, WeChatApi, signed, xml
from tests.fakes.wechat import TOKEN as WECHAT_TOKEN
from tests.support import ROOT
from tests.support.processes import free_port, spawn, wait_until_up
from tests.support.randomness import recovery_phrase, seeded
from tests.support.servers import Servers
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e
PASSWORD = "channel-test-password"


@pytest.fixture(scope="module")
def channels_gateway(live_servers: Servers, platforms: tuple[BotApi, WeChatApi]) -> Iterator[str]:
    if not live_servers.env:
        pytest.skip("needs servers started by the test run")
    api, wechat = platforms
    port = free_port()
    env = {
        **live_servers.env,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_BASE_URL": f"{api.url}/bot",
        "TELEGRAM_BASE_FILE_URL": f"{api.url}/file/bot",
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "e2e-secret",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE": wechat.url,
    }
    log = workdir(live_servers) / "channels-gateway.log"
    command = [sys.executable, "-m", "gateway", "--port", str(port)]
    process = spawn("channels gateway", command, port, env, log)
    url = process.url
    try:
        wait_until_up(process, "/health", timeout=120)
        subprocess.run(
            [sys.executable, "-m", "handoff", "agents", "create", "tg@example.com", "Tomás"],
            cwd=ROOT,
            env={**env, "AGENT_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        process.kill()


def workdir(servers: Servers) -> Path:
    assert servers.env is not None
    return Path(servers.env["DATABASE_URL"].removeprefix("sqlite:///")).parent


def settled(servers: Servers, chat: int = CHAT) -> None:
    """Wait until the gateway answered every update of *chat* and sent the answers: the
    webhook answers once the update is stored, the turn runs on after it, and the turn
    ends when its reply is stored, before the reply is sent."""
    assert servers.env is not None
    database = servers.env["DATABASE_URL"].removeprefix("sqlite:///")

    def done() -> bool:
        with contextlib.closing(sqlite3.connect(database)) as db:
            row = db.execute(
                "SELECT 1 FROM handoff_messages WHERE conversation_id = ?"
                " AND (pending OR delivery = 'sending')",
                (f"telegram:{chat}",),
            ).fetchone()
        return row is None

    wait_until(done, 60, f"the turns of telegram:{chat} never finished")


def agent_headers(url: str) -> dict[str, str]:
    login = httpx.post(
        f"{url}/api/agent/login", json={"email": "tg@example.com", "password": PASSWORD}
    )
    agent = {"Authorization": f"Bearer {login.json()['token']}"}
    httpx.put(f"{url}/api/agent/presence", json={"presence": "online"}, headers=agent)
    return agent


def test_the_journey_on_telegram_with_the_real_bot(
    live_servers: Servers, channels_gateway: str, platforms: tuple[BotApi, WeChatApi]
) -> None:
    url, api = channels_gateway, platforms[0]
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def send(update_id: int, **body: object) -> None:
        response = httpx.post(
            f"{url}/telegram/webhook", json=update(update_id, **body), headers=headers, timeout=60
        )
        assert response.status_code == 200, response.text
        settled(live_servers)

    agent = agent_headers(url)
    send(500, message=message("¿cuál es el teléfono de soporte?"))
    assert "+1 555 0100" in api.sent()[-1]
    send(501, message=message("quiero hablar con un agente", message_id=2))
    assert "puesto 1" in api.sent()[-1]
    waiting = httpx.get(f"{url}/api/agent/sessions", headers=agent).json()["sessions"]
    [session] = [s for s in waiting if s["conversation_id"] == f"telegram:{CHAT}"]
    sid = session["id"]
    httpx.post(f"{url}/api/agent/sessions/{sid}/claim", headers=agent)
    reply = {"text": "Hola, soy Tomás. ¿Qué ha pasado?"}
    httpx.post(f"{url}/api/agent/sessions/{sid}/messages", json=reply, headers=agent)
    assert api.sent()[-1] == reply["text"]
    httpx.post(f"{url}/api/agent/sessions/{sid}/resolve", headers=agent)
    keyboard = json.loads(api.calls[-1][1]["reply_markup"])["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["1", "2", "3", "4", "5"]
    send(502, callback_query={"id": "cb", "from": user(), "chat_instance": "c", "data": "4"})
    assert "Gracias" in api.sent()[-1]
    before = len(api.sent())
    send(503, message=message("¿cuál es el teléfono de soporte?", message_id=3))
    assert len(api.sent()) > before and "+1 555 0100" in api.sent()[-1]  # the bot is back
    detail = httpx.get(f"{url}/api/agent/sessions/{sid}", headers=agent).json()
    assert detail["csat"] == 4


def test_the_journey_on_wechat_with_the_real_bot(
    channels_gateway: str, platforms: tuple[BotApi, WeChatApi]
) -> None:
    url, api = channels_gateway, platforms[1]
    agent = agent_headers(url)

    def say(msg_id: int, text: str) -> str:
        timestamp, nonce = str(int(time.time())), f"n{msg_id}"
        params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        response = httpx.post(
            f"{url}/wechat",
            params=params,
            content=xml("text", msg_id, Content=text).encode(),
            timeout=30,
        )
        assert response.status_code == 200
        if response.text == "success":
            return ""
        return ET.fromstring(response.text).findtext("Content") or ""

    assert "+1 555 0100" in say(9001, "客服电话是多少")
    assert "第 1 位" in say(9002, "转人工")
    waiting = httpx.get(f"{url}/api/agent/sessions", headers=agent).json()["sessions"]
    [session] = [s for s in waiting if s["conversation_id"] == f"wechat:{OPENID}"]
    sid = session["id"]
    httpx.post(f"{url}/api/agent/sessions/{sid}/claim", headers=agent)
    assert "已接入" in api.texts()[-1]
    httpx.post(f"{url}/api/agent/sessions/{sid}/messages", json={"text": "您好"}, headers=agent)
    assert api.texts()[-1] == "您好"
    assert say(9003, "好的，谢谢") == ""  # held by the agent: the bot stays silent
    httpx.post(f"{url}/api/agent/sessions/{sid}/resolve", headers=agent)
    assert "5." in api.texts()[-1]
    assert "感谢您的评分" in say(9004, "5")
    assert "+1 555 0100" in say(9005, "客服电话是多少")  # the bot is back


def _windows(secret: str) -> list[str]:
    """Every 4-word window (4 characters for unspaced Chinese, 16 for a hex key)."""
    words = secret.split()
    if len(words) >= 4:
        return [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]
    size = 16 if secret.isascii() else 4
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def test_no_secret_leaks_anywhere(
    live_servers: Servers, channels_gateway: str, platforms: tuple[BotApi, WeChatApi]
) -> None:
    """Secrets through every connector and a handoff; then scan every store and log."""
    web = live_servers.gateway_url
    rng = seeded("no-secret-leaks")
    english = recovery_phrase(rng, "english", 128)
    spanish = recovery_phrase(rng, "spanish", 256)
    chinese = recovery_phrase(rng, "chinese_simplified", 128)
    key = "c0ffee" + "1a2b3c4d" * 7 + "ba"  # 64 hex characters
    split = recovery_phrase(rng, "english", 128).split()
    secrets = [english, spanish, chinese, chinese.replace(" ", ""), key, " ".join(split)]

    visitor = httpx.post(f"{web}/webchat/api/visitors", json={}).json()
    headers = {"Authorization": f"Bearer {visitor['token']}"}

    def chat(text: str) -> None:
        body = {"text": text, "language": "en"}
        assert (
            httpx.post(
                f"{web}/webchat/api/messages", json=body, headers=headers, timeout=60
            ).status_code
            == 200
        )

    chat("hi, my transfer is missing")
    chat(f"is this my backup? {english}")
    chat(f"private key {key}")
    for start in (0, 4, 8):
        chat(" ".join(split[start : start + 4]))
    chat("I want to talk to a human agent")

    telegram = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    httpx.post(
        f"{channels_gateway}/telegram/webhook",
        headers=telegram,
        timeout=60,
        json=update(9100, message=message(f"mi frase es {spanish}", message_id=91)),
    )
    settled(live_servers)
    wechat_api = platforms[1]
    sent_before = sum(m.get("touser") == OPENID for m in wechat_api.sent)
    gateway_log = workdir(live_servers) / "channels-gateway.log"

    def wechat_requests_logged() -> int:
        # The access log keeps the path only: WeChat's signature is a credential.
        return gateway_log.read_text(errors="replace").count("/wechat?***")

    logged_before = wechat_requests_logged()
    wechat_said = []
    for msg_id, text in ((9201, f"我的助记词 {chinese}"), (9202, chinese.replace(" ", ""))):
        # Each signed URL is accepted once: a fresh nonce per push, as WeChat sends.
        timestamp, nonce = str(int(time.time())), f"leak{msg_id}"
        params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
        response = httpx.post(
            f"{channels_gateway}/wechat",
            params=params,
            timeout=30,
            content=xml("text", msg_id, Content=text).encode(),
        )
        wechat_said.append(response.text)

    # What an agent sees: every session's detail and whole conversation.
    agent = agent_headers(channels_gateway)
    seen = []
    for view in ("open", "resolved"):
        listing = httpx.get(f"{web}/api/agent/sessions?view={view}", headers=agent).json()
        for session in listing["sessions"]:
            seen.append(httpx.get(f"{web}/api/agent/sessions/{session['id']}", headers=agent).text)
            seen.append(
                httpx.get(
                    f"{web}/api/agent/conversations/{session['conversation_id']}", headers=agent
                ).text
            )
    assert any("secret_shared" in page for page in seen)  # the agent is told, not shown

    # Everything the servers will write about these turns is written: every turn is
    # finished (nothing pending in the desk: Rasa answered, its tracker saved, the
    # replies stored and sent), a WeChat turn that answered "success" has sent its
    # reply, and the channel gateway logged both WeChat requests. (The servers run
    # with PYTHONUNBUFFERED: what they write is in the file at once.)
    def unfinished() -> int:
        desk = workdir(live_servers) / "desk.db"
        with contextlib.closing(sqlite3.connect(desk, timeout=10)) as db:
            row = db.execute(
                "SELECT count(*) FROM handoff_messages WHERE pending OR delivery = 'sending'"
            ).fetchone()
            return int(row[0])

    wait_until(lambda: unfinished() == 0, 60, lambda: f"{unfinished()} turns never finished")
    late = wechat_said.count("success")
    wait_until(
        lambda: sum(m.get("touser") == OPENID for m in wechat_api.sent) - sent_before >= late,
        30,
        "a WeChat turn that answered success never sent its reply",
    )
    wait_until(
        lambda: wechat_requests_logged() >= logged_before + 2,
        30,
        "the channel gateway never logged the two WeChat requests",
    )
    assert "nonce=leak" not in gateway_log.read_text(errors="replace")
    places = {
        path.name: path.read_bytes().decode("utf-8", "ignore")
        for path in workdir(live_servers).iterdir()
        if path.is_file() and path.suffix in (".db", ".log", ".db-wal", ".db-journal", "")
    }
    places["console API"] = "\n".join(seen)
    assert {"desk.db", "tracker.db"} <= set(places), sorted(places)
    # The scan reads real content: the ordinary message is there, in both stores.
    assert "my transfer is missing" in places["desk.db"] + places.get("desk.db-wal", "")
    assert "my transfer is missing" in places["tracker.db"] + places.get("tracker.db-wal", "")
    for name, content in places.items():
        for secret in secrets:
            for window in _windows(secret):
                assert window not in content, f"{window!r} found in {name}"
