"""The whole journey in a real headless browser (Debian's Chromium, driven by Playwright).

A user escalates in the web chat page; an agent logs in to the console, claims,
replies (the user sees it live), adds a note and resolves; the user rates the help
and the bot answers an FAQ again. Real Rasa, action server and gateway.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT
from tests.support.processes import Process, free_port, spawn, wait_until_up
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

PASSWORD = "browser-test-password"
TIMEOUT = 30_000  # ms; the bot's first turns load models


def make_agent(servers: Servers, email: str) -> None:
    env = {**(servers.env or os.environ), "AGENT_PASSWORD": PASSWORD}
    subprocess.run(
        [sys.executable, "-m", "handoff", "agents", "create", email, "Dana Agent"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def test_escalate_claim_reply_resolve_rate_and_the_bot_is_back(
    live_servers: Servers, browser: object, tmp_path: Path
) -> None:
    if not live_servers.gateway_url:
        pytest.skip("no gateway in the reused servers (set E2E_GATEWAY_URL)")
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    url = live_servers.gateway_url
    make_agent(live_servers, "dana@example.com")

    agent = browser.new_page()
    agent.set_default_timeout(TIMEOUT)
    agent.goto(f"{url}/console/")
    agent.fill("#email", "dana@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("#login-button")
    expect(agent.locator("#agent-name")).to_contain_text("Dana Agent")
    expect(agent.locator("#presence")).to_have_value("online")

    user = browser.new_page()
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=en")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")

    def say(text: str) -> None:
        user.fill("#text", text)
        user.click("#send")

    # 1. The user escalates and is told their place in the queue.
    say("I want to talk to a human agent")
    expect(user.locator(".msg-system").last).to_contain_text("number 1 in line")

    # 2. The queue shows it live, with priority, language and reason.
    item = agent.locator(".queue-item").first
    expect(item).to_contain_text("EN")
    expect(item).to_contain_text("user request")
    item.click()
    agent.click("#claim")
    expect(user.locator(".msg-system").last).to_contain_text("has joined")

    # 3. The agent sees the transcript and replies; the user sees it at once.
    expect(agent.locator("#thread")).to_contain_text("I want to talk to a human agent")
    agent.fill("#reply-text", "Hi, this is Dana. How can I help?")
    agent.click("#reply-send")
    expect(user.locator(".msg-agent").last).to_contain_text("Hi, this is Dana")
    say("My transfer is missing")
    expect(agent.locator("#thread")).to_contain_text("My transfer is missing")

    # 4. An internal note, then resolve.
    agent.fill("#note-text", "Checked the explorer: confirmed.")
    agent.click("#note-send")
    expect(agent.locator("#thread .note").last).to_contain_text("Checked the explorer")
    agent.click("#resolve")

    # 5. The user rates the help and the bot answers again.
    rating = user.locator(".quick-reply", has_text="★★★★★")
    expect(rating).to_be_visible()
    rating.click()
    expect(user.locator(".msg-system").last).to_contain_text("Thanks for your rating")
    say("what's your phone number?")
    expect(user.locator(".msg-bot").last).to_contain_text("+1 555 0100")
    assert "Checked the explorer" not in user.locator("#messages").inner_text()
    user.screenshot(path=str(tmp_path / "chat.png"))
    agent.screenshot(path=str(tmp_path / "console.png"))
    with agent.expect_response(lambda r: r.url.endswith("/api/agent/presence")):
        agent.select_option("#presence", "away")
    agent.close()
    user.close()


def test_a_gateway_restart_mid_handoff_loses_nothing(
    live_servers: Servers, browser: object
) -> None:
    """kill -9 the gateway while the user waits; a new one takes over and both carry on."""
    if not live_servers.env:
        pytest.skip("needs servers started by the test run")
    import httpx
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    assert live_servers.env is not None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gateway", "--port", str(port)]

    def start() -> Process:
        process = spawn("gateway", command, port, live_servers.env or {}, log=None)
        try:
            wait_until_up(process, "/health", timeout=120)
        except BaseException:
            process.kill()
            raise
        return process

    gateway = start()
    try:
        user = browser.new_page()
        user.set_default_timeout(TIMEOUT)
        user.goto(f"{url}/chat/?lang=es")
        expect(user.locator("#status")).to_have_attribute("data-state", "connected")
        user.fill("#text", "quiero hablar con un agente")
        user.click("#send")
        # A ticket if nobody is online, else a place in the queue: both are held for a human.
        expect(user.locator(".msg-system").last).to_contain_text(re.compile("ticket|cola"))

        gateway.kill()  # kill -9
        expect(user.locator("#status")).to_have_attribute("data-state", "reconnecting")
        gateway = start()
        expect(user.locator("#status")).to_have_attribute("data-state", "connected")

        make_agent(live_servers, "restart@example.com")
        login = httpx.post(
            f"{url}/api/agent/login", json={"email": "restart@example.com", "password": PASSWORD}
        )
        agent = {"Authorization": f"Bearer {login.json()['token']}"}
        waiting = httpx.get(f"{url}/api/agent/sessions?view=queue", headers=agent).json()
        [session] = [s for s in waiting["sessions"] if s["language"] == "es"]
        sid = session["id"]
        assert httpx.post(f"{url}/api/agent/sessions/{sid}/claim", headers=agent).is_success
        reply = {"text": "Hola, seguimos aquí."}
        httpx.post(f"{url}/api/agent/sessions/{sid}/messages", json=reply, headers=agent)
        expect(user.locator(".msg-agent").last).to_contain_text("seguimos aquí")
        user.fill("#text", "gracias")
        user.click("#send")
        expect(user.locator(".msg-user").last).to_contain_text("gracias")
        detail = httpx.get(f"{url}/api/agent/sessions/{sid}", headers=agent).json()
        said = [m["text"] for m in detail["messages"] if m["author"] == "user"]
        assert said[-2:] == ["quiero hablar con un agente", "gracias"]
    finally:
        gateway.kill()
