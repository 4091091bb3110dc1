"""Canned replies and knowledge assist in a real browser (Debian's Chromium, Playwright),
against the real Rasa, action server and gateway.

A Spanish user asks for a human and says what is wrong; an agent saves a canned reply
in the console's panel (a typo in a placeholder is refused there), types "/sal" in the
reply box and picks it, is stopped from sending it with a gap, fills the gap and sends
it; then inserts the suggested knowledge-base article, edits it and sends it. The
user's page shows both, in Spanish.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT
from tests.support.servers import Servers

pytestmark = pytest.mark.e2e

# As in test_browser.py: Debian's Chromium, kept off the (closed) network, as root.
PASSWORD = "browser-test-password"
TIMEOUT = 30_000  # ms; the bot's first turns load models
VIEWPORT = {"width": 1280, "height": 900}


def in_viewport(page: Any, selector: str) -> None:
    """Shown, and wholly inside the window: a person sees it without scrolling."""
    from playwright.sync_api import expect

    target = page.locator(selector)
    expect(target).to_be_visible()
    box = target.bounding_box()
    assert box is not None, selector
    size = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], (selector, box)
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (selector, box)


def test_a_canned_reply_and_a_knowledge_base_article_reach_the_user(
    live_servers: Servers, browser: object, tmp_path: Path
) -> None:
    if not live_servers.gateway_url:
        pytest.skip("no gateway in the reused servers (set E2E_GATEWAY_URL)")
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    url = live_servers.gateway_url
    env = {**(live_servers.env or os.environ), "AGENT_PASSWORD": PASSWORD}
    subprocess.run(
        [sys.executable, "-m", "handoff", "agents", "create", "lola@example.com", "Lola"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )

    agent = browser.new_page(viewport=VIEWPORT)
    agent.set_default_timeout(TIMEOUT)
    agent.goto(f"{url}/console/")
    agent.fill("#email", "lola@example.com")
    agent.fill("#password", PASSWORD)
    agent.click("#login-button")
    expect(agent.locator("#presence")).to_have_value("online")

    user = browser.new_page(viewport=VIEWPORT)
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=es")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")

    def say(text: str) -> None:
        user.fill("#text", text)
        user.click("#send")
        expect(user.locator(".msg-user").last).to_contain_text(text)

    say("quiero hablar con un agente")
    expect(user.locator(".msg-system").last).to_contain_text("cola")
    say("mi transferencia de USDT no ha llegado")
    say("la envié ayer por TRON")

    # 1. A canned reply, saved in the panel; a typo in a placeholder is refused there.
    agent.click("#canned-open")
    in_viewport(agent, "#canned-panel")
    agent.fill("#canned-shortcut", "saludo")
    agent.fill("#canned-es", "Hola, soy {agent_name} (caso {ticket}). ¿Cuánto enviaste? {monto}")
    agent.click("#canned-save")
    expect(agent.locator("#canned-error")).to_contain_text("unknown placeholder {monto}")
    agent.fill("#canned-es", "Hola, soy {agent_name} (caso {ticket}). Importe: {amount}")
    agent.fill("#canned-en", "Hi, I'm {agent_name} ({ticket}). Amount: {amount}")
    agent.click("#canned-save")
    expect(agent.locator("#canned-list .canned-row")).to_contain_text("/saludo")
    agent.click("#canned-panel >> text=Close")
    expect(agent.locator("#canned-panel")).to_be_hidden()

    agent.locator(".queue-item").first.click()
    agent.click("#claim")
    expect(agent.locator("#thread")).to_contain_text("la envié ayer por TRON")
    ticket = re.match(r"T-\d+", agent.locator("#session-title").inner_text())
    assert ticket is not None

    # 2. "/sal" offers it; Enter inserts the Spanish variant, filled in from the session.
    box = agent.locator("#reply-text")
    box.click()
    box.press_sequentially("/sal")
    in_viewport(agent, "#canned-menu")
    option = agent.locator("#canned-menu .canned-option").first
    expect(option).to_contain_text("/saludo")
    expect(option).to_contain_text("ES")
    agent.screenshot(path=str(tmp_path / "menu.png"))
    box.press("Enter")
    expect(agent.locator("#canned-menu")).to_be_hidden()
    filled = f"Hola, soy Lola (caso {ticket.group(0)}). Importe: [[amount]]"
    expect(box).to_have_value(filled)
    in_viewport(agent, "#canned-hint")
    expect(agent.locator("#canned-hint")).to_contain_text("[[amount]]")

    # 3. The gap must be filled: sending now is refused, the text stays.
    agent.click("#reply-send")
    expect(agent.locator("#reply-error")).to_contain_text("fill in [[amount]]")
    expect(box).to_have_value(filled)
    box.fill(filled.replace("[[amount]]", "100 USDT"))
    expect(agent.locator("#canned-hint")).to_be_hidden()
    agent.click("#reply-send")
    expect(user.locator(".msg-agent").last).to_contain_text(
        f"Hola, soy Lola (caso {ticket.group(0)}). Importe: 100 USDT"
    )
    expect(box).to_have_value("")

    # 4. Knowledge assist: the missing-transfer article, in Spanish, inserted and edited.
    article = agent.locator('#assist-list .assist-item[data-article-id="missing-transfer"]')
    expect(article).to_contain_text("Transferencia completada pero no recibida")
    in_viewport(agent, '#assist-list .assist-item[data-article-id="missing-transfer"]')
    article.locator(".assist-insert").click()
    expect(box).to_have_value(re.compile(r"^Tranquilo: si la blockchain"))
    box.press("Control+End")
    agent.keyboard.type("\nSaludos, Lola.")
    agent.screenshot(path=str(tmp_path / "console.png"))
    agent.click("#reply-send")
    sent = user.locator(".msg-agent").last
    expect(sent).to_contain_text("Tranquilo: si la blockchain")
    expect(sent).to_contain_text("Saludos, Lola.")
    in_viewport(user, ".msg-agent >> nth=-1")
    user.screenshot(path=str(tmp_path / "chat.png"))

    # 5. An agent who reads Chinese gets the panel in Chinese.
    agent.evaluate("localStorage.setItem('console.lang', 'zh')")
    agent.reload()
    expect(agent.locator("#canned-open")).to_have_text("快捷回复")
    agent.click("#canned-open")
    in_viewport(agent, "#canned-panel")
    expect(agent.locator("#canned-panel h2")).to_have_text("快捷回复")
    expect(agent.locator("#canned-list .canned-row")).to_contain_text("作者 Lola")
    agent.close()
    user.close()
