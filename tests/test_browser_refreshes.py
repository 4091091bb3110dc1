"""The console's background refreshes leave what the agent is looking at alone, in
Debian's Chromium, on SQLite and PostgreSQL.

Seen in CI: the 30-second refresh (and the one after the live socket connects) redrew
the whole thread and the earlier-sessions list, so a link the agent was about to click
was replaced under the pointer, the message a search found lost its place, and an agent
scrolled up to read was pulled to the bottom. The knowledge list showed all articles
over a search when the first (empty) query answered last. Here the refresh is brought
on by the page's own clock, and the late answer is held back by the test, so each case
happens every time rather than now and then.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes.rasa import FakeRasa
from tests.support.gateway import PASSWORD, Gateway
from tests.support.logs import served

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT = 15_000


def say(url: str, headers: dict[str, str], *lines: str) -> None:
    for line in lines:
        said = httpx.post(
            f"{url}/webchat/api/messages", json={"text": line}, headers=headers, timeout=30
        )
        assert said.status_code == 200, said.text


def log_in(page: Any, url: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{url}/console/")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#presence")).to_be_visible()


def test_a_refresh_keeps_the_thread_and_history_the_agent_is_reading(
    database_url: str, browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway = Gateway(database_url, FakeRasa())
    with served(gateway.app) as url:
        api = gateway.agent("rea@example.com", online=False)
        token = httpx.post(f"{url}/webchat/api/visitors", json={"language": "en"}).json()["token"]
        user = {"Authorization": f"Bearer {token}"}
        say(url, user, "my card payment failed", "human")
        [earlier] = httpx.get(f"{url}/api/agent/sessions?view=queue", headers=api).json()[
            "sessions"
        ]
        for step in ("claim", "resolve"):
            assert httpx.post(f"{url}/api/agent/sessions/{earlier['id']}/{step}", headers=api)
        # Enough messages that the thread scrolls.
        say(url, user, "5", "human", *(f"line {n} of what happened" for n in range(30)))
        [now] = httpx.get(f"{url}/api/agent/sessions?view=queue", headers=api).json()["sessions"]

        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT)
        try:
            page.clock.install()
            log_in(page, url, "rea@example.com")
            page.locator(f".queue-item[data-session-id='{now['id']}']").click()
            expect(page.locator("#thread .msg").last).to_contain_text("line 29")
            link = page.locator("#history .history-link")
            expect(link).to_have_count(1)
            # The agent scrolls up to read; the nodes on screen are marked.
            page.evaluate(
                """() => {
                  const thread = document.getElementById('thread');
                  thread.scrollTop = 0;
                  window.seen = [thread.querySelector('.msg'),
                                 document.querySelector('#history .history-link')];
                }"""
            )
            assert page.evaluate("document.getElementById('thread').scrollTop") == 0
            with page.expect_response(f"**/api/agent/sessions/{now['id']}/history"):
                page.clock.run_for(31_000)  # the console's 30-second refresh
            page.wait_for_timeout(500)  # what the refresh draws, drawn
            assert page.evaluate("window.seen.every((node) => node.isConnected)")
            assert page.evaluate("document.getElementById('thread').scrollTop") == 0
            # A new message while the agent reads above: shown, and the view stays.
            say(url, user, "are you still there?")
            expect(
                page.locator("#thread .msg", has_text="are you still there?").first
            ).to_be_attached()
            assert page.evaluate("document.getElementById('thread').scrollTop") == 0
            link.click()
            expect(page.locator("#session-title")).to_contain_text(earlier["ticket"])
        finally:
            page.close()


def test_the_knowledge_list_shows_the_search_even_when_the_full_list_answers_last(
    database_url: str, browser: Any
) -> None:
    from playwright.sync_api import Route, expect

    gateway = Gateway(database_url, FakeRasa())
    with served(gateway.app) as url:
        gateway.agent("lee@example.com", online=False, role="supervisor")
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT)
        held: list[Route] = []
        try:
            page.route(lambda u: u.endswith("/api/agent/kb/articles?q="), lambda r: held.append(r))
            log_in(page, url, "lee@example.com")
            page.click("#kb-open")
            page.wait_for_function("() => document.getElementById('kb-search') !== null")
            page.fill("#kb-search", "客服几点上班")
            expect(page.locator("#kb-list button")).to_have_count(1)
            assert held, "the full list was never asked for"
            with page.expect_response(lambda r: r.url.endswith("/api/agent/kb/articles?q=")):
                for route in held:
                    route.continue_()
            page.wait_for_timeout(500)  # what the late answer would draw, drawn
            expect(page.locator("#kb-list button")).to_have_count(1)
            expect(page.locator("#kb-list button")).to_have_attribute("data-id", "service-hours")
        finally:
            page.close()
