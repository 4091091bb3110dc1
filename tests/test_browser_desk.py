"""Issue 16's server-side defects as people see them, in Debian's Chromium (Playwright).

A real gateway under uvicorn on SQLite and PostgreSQL, with Rasa played by FakeRasa
(these journeys are about the desk, not the bot): an agent who chose Away stays away
across a reload; live chats sit above tickets without a ticket deadline; a user's
second tab shows what they typed in the first; a reopen is said to the user and
their old rating buttons stop working; an over-long message is refused in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.logs import served
from tests.support.randomness import recovery_phrase, seeded
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000  # ms


@pytest.fixture
def desk(database_url: str) -> Iterator[tuple[Gateway, str]]:
    gateway = Gateway(database_url, FakeRasa(), ALWAYS)
    with served(gateway.app) as url:
        yield gateway, url


def log_in(browser: Any, url: str, email: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{url}/console/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#agent-name")).to_be_visible()
    return page


def in_viewport(locator: Any) -> bool:
    box = locator.bounding_box()
    size = locator.page.viewport_size
    return bool(box and box["y"] >= 0 and box["y"] + box["height"] <= size["height"])


def test_an_agent_who_chose_away_stays_away_after_a_reload(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    gateway.agent("dana@example.com", online=False)
    page = log_in(browser, url, "dana@example.com")
    expect(page.locator("#presence")).to_have_value("online")  # a new account's choice
    with page.expect_response(lambda r: r.url.endswith("/api/agent/presence")):
        page.select_option("#presence", "away")
    page.reload()
    expect(page.locator("#agent-name")).to_be_visible()
    expect(page.locator("#presence")).to_have_value("away")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    page.wait_for_timeout(500)  # any late presence call would land by now
    token = page.evaluate("() => sessionStorage.getItem('console.token')")
    me = httpx.get(f"{url}/api/agent/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["presence"] == "away"
    page.close()


def test_live_chats_sit_above_tickets_without_a_ticket_deadline(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    dana = gateway.agent("dana@example.com", online=False)
    for _ in range(3):  # nobody online: tickets, due in 24 h (disputes)
        gateway.say(gateway.visitor(), "dispute", language="en")
    gateway.put_presence(dana, "online")
    chat = gateway.visitor()
    gateway.say(chat, "human", language="en")
    page = log_in(browser, url, "dana@example.com")
    items = page.locator(".queue-item")
    expect(items).to_have_count(4)
    first = items.first
    expect(first.locator(".badge.chat")).to_be_visible()
    assert in_viewport(first)
    times = first.locator("[data-role=times]")
    expect(times).to_contain_text("waiting")
    assert "due" not in times.inner_text()
    expect(items.nth(1).locator("[data-role=times]")).to_contain_text("due in")
    page.close()


def test_a_second_tab_shows_what_the_user_typed_in_the_first(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    _, url = desk
    context = browser.new_context(viewport={"width": 800, "height": 800})
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        tab.set_default_timeout(TIMEOUT)
    first.goto(f"{url}/chat/?lang=en")
    expect(first.locator("#status")).to_have_attribute("data-state", "connected")
    second.goto(f"{url}/chat/?lang=en")  # the same visitor (localStorage)
    expect(second.locator("#status")).to_have_attribute("data-state", "connected")
    first.fill("#text", "is my USDT safe here?")
    first.click("#send")
    shown = second.locator(".msg-user", has_text="is my USDT safe here?")
    expect(shown).to_be_visible()
    expect(second.locator(".msg-bot", has_text="bot: is my USDT safe here?")).to_be_visible()
    assert in_viewport(shown)
    context.close()


def test_a_reopen_is_said_to_the_user_and_the_old_rating_is_withdrawn(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    dana = gateway.agent("dana@example.com")
    user = browser.new_page(viewport={"width": 800, "height": 800})
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=en")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")
    user.fill("#text", "human")
    user.click("#send")
    expect(user.locator(".msg-system").last).to_contain_text("in line")
    [session] = gateway.queue(dana)
    sid = session["id"]
    for step in ("claim", "resolve"):
        done = httpx.post(f"{url}/api/agent/sessions/{sid}/{step}", headers=dana)
        assert done.status_code == 200, done.text
    stars = user.locator(".quick-reply", has_text="★★★★★")
    expect(stars).to_be_enabled()
    assert httpx.post(f"{url}/api/agent/sessions/{sid}/reopen", headers=dana).status_code == 200
    notice = user.locator(".msg-system", has_text="reopened")
    expect(notice).to_be_visible()
    assert in_viewport(notice)
    expect(stars).to_be_disabled()
    user.close()


def test_an_overlong_message_is_refused_in_chinese(desk: tuple[Gateway, str], browser: Any) -> None:
    from playwright.sync_api import expect

    _, url = desk
    user = browser.new_page(viewport={"width": 800, "height": 800})
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=zh")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")
    user.fill("#text", "我的USDT没有到账" * 500)
    user.click("#send")
    banner = user.locator("#error")
    expect(banner).to_be_visible()
    expect(banner).to_have_text("消息太长了（最多 4000 个字符），请分几条发送。")
    assert in_viewport(banner)
    user.close()


def test_a_user_who_shared_their_phrase_is_the_urgent_case_at_the_top(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    gateway.agent("dana@example.com")
    for _ in range(2):
        gateway.say(gateway.visitor(), "dispute", language="en")
    me = gateway.visitor()
    gateway.say(me, "my balance is zero, what happened?", language="en")
    phrase = recovery_phrase(seeded("browser-urgent"))
    gateway.say(me, phrase, language="en")
    page = log_in(browser, url, "dana@example.com")
    top = page.locator(".queue-item").first
    expect(top.locator(".badge.urgent")).to_be_visible()
    expect(top).to_contain_text("security")
    expect(top.locator("[data-role=times]")).to_contain_text("due in 59m")  # an hour, not 24 h
    assert in_viewport(top)
    top.click()
    page.locator("#transcript-box summary").click()
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("my balance is zero, what happened?")
    expect(transcript).to_contain_text("[redacted: recovery phrase]")
    assert " ".join(phrase.split()[:3]) not in page.content()
    page.close()


def test_a_transfer_to_an_away_colleague_is_confirmed_first(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    dana = gateway.agent("dana@example.com")
    bob = gateway.agent("bob@example.com")
    gateway.put_presence(bob, "away")
    user = browser.new_page(viewport={"width": 800, "height": 800})
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=en")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")
    user.fill("#text", "human")
    user.click("#send")
    expect(user.locator(".msg-system").last).to_contain_text("in line")

    page = log_in(browser, url, "dana@example.com")
    page.locator(".queue-item").first.click()
    page.click("#claim")
    expect(page.locator("#transfer")).to_be_visible()
    page.select_option("#transfer-select", label="Bob (away)")
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        def handle(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.click("#transfer")
    wait_until(lambda: asked, 10, "the console never asked")
    assert "Bob is away" in asked[0]
    page.wait_for_timeout(500)  # a transfer sent anyway would have landed by now
    assert gateway.queue(bob, "mine") == []  # dismissed: nothing moved
    assert len(gateway.queue(dana, "mine")) == 1

    page.once("dialog", answer(True))
    with page.expect_response(lambda r: r.url.endswith("/transfer")) as response:
        page.click("#transfer")
    assert response.value.status == 200
    expect(user.locator(".msg-system").last).to_contain_text("Another agent, Bob, has taken over")
    page.close()
    user.close()
