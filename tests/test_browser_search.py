"""An agent finds a user's session by tx hash in the console and opens it, in Debian's
Chromium, on SQLite and PostgreSQL; the session view lists the user's earlier session.

The gateway runs in-process under uvicorn with Rasa faked: what is tested here is
the desk's search, not the bot.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from store.agents import create_agent
from store.db import make_engine, session_factory
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import PASSWORD, Gateway
from tests.support.logs import served

pytestmark = pytest.mark.e2e

TX_HASH = "0x" + "7be3" * 16
OTHER_HASH = "0x" + "7be4" * 16
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT = 15_000


class User:
    def __init__(self, url: str) -> None:
        self.url = url
        visitor = httpx.post(f"{url}/webchat/api/visitors", json={"language": "en"}).json()
        self.headers = {"Authorization": f"Bearer {visitor['token']}"}

    def say(self, *lines: str) -> None:
        for line in lines:
            said = httpx.post(
                f"{self.url}/webchat/api/messages",
                json={"text": line},
                headers=self.headers,
                timeout=30,
            )
            assert said.status_code == 200, said.text


def in_viewport(box: dict[str, float] | None) -> bool:
    return (
        box is not None
        and box["y"] >= 0
        and box["x"] >= 0
        and box["y"] + box["height"] <= VIEWPORT["height"]
        and box["x"] + box["width"] <= VIEWPORT["width"]
    )


def test_an_agent_finds_a_session_by_tx_hash_and_opens_it(database_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    gateway = Gateway(database_url, FakeRasa())
    with served(gateway.app) as url:  # its start-up migrates the database
        engine = make_engine(database_url)
        with session_factory(engine).begin() as db:
            create_agent(db, "sam@example.com", "Sam Search", PASSWORD)
        engine.dispose()
        login = httpx.post(
            f"{url}/api/agent/login", json={"email": "sam@example.com", "password": PASSWORD}
        )
        api = {"Authorization": f"Bearer {login.json()['token']}"}
        # The user's first case, resolved; then a second one with the hash.
        user = User(url)
        user.say("my card payment failed", "human")
        first = httpx.get(f"{url}/api/agent/sessions?view=queue", headers=api).json()
        [earlier] = first["sessions"]
        for step in ("claim", "resolve"):
            done = httpx.post(f"{url}/api/agent/sessions/{earlier['id']}/{step}", headers=api)
            assert done.status_code == 200, done.text
        user.say("5", f"my USDT never arrived, tx {TX_HASH}", "human")
        User(url).say(f"a different transfer {OTHER_HASH}", "human")
        queue = httpx.get(f"{url}/api/agent/sessions?view=queue", headers=api).json()["sessions"]
        [wanted] = [s for s in queue if s["conversation_id"] == earlier["conversation_id"]]

        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(TIMEOUT)
        try:
            page.goto(f"{url}/console/")
            page.fill("#email", "sam@example.com")
            page.fill("#password", PASSWORD)
            page.click("#login-button")
            expect(page.locator("#agent-name")).to_contain_text("Sam Search")

            box = page.locator("#search-text")
            expect(box).to_be_visible()
            assert in_viewport(box.bounding_box())
            box.fill(TX_HASH)
            box.press("Enter")

            hits = page.locator("#search-results .search-hit")
            expect(hits.first).to_be_visible()
            expect(page.locator("#queue")).to_be_hidden()  # the results take its place
            tickets = {hits.nth(i).get_attribute("data-session-id") for i in range(hits.count())}
            assert tickets == {str(wanted["id"])}  # the other user's similar hash is not found
            hit = hits.filter(has_text="my USDT never arrived").first
            expect(hit).to_contain_text(wanted["ticket"])
            expect(hit.locator("mark")).to_have_text(TX_HASH)
            assert in_viewport(hit.bounding_box())

            hit.click()
            expect(page.locator("#session")).to_be_visible()
            expect(page.locator("#session-title")).to_contain_text(wanted["ticket"])
            assert in_viewport(page.locator("#session-title").bounding_box())
            # The message found is shown, marked, in the middle of the thread.
            found = page.locator("#thread .msg.found")
            expect(found).to_have_count(1)
            expect(found).to_contain_text(TX_HASH)
            expect(found).to_be_in_viewport()
            assert in_viewport(found.bounding_box())

            # The same user's earlier session is listed, and opens.
            link = page.locator("#history .history-link")
            expect(link).to_have_count(1)
            expect(link).to_contain_text(earlier["ticket"])
            link.scroll_into_view_if_needed()
            expect(link).to_be_visible()
            link.click()
            expect(page.locator("#session-title")).to_contain_text(earlier["ticket"])
            expect(page.locator("#history")).to_contain_text("none")

            # Punctuation only: a plain answer, no error.
            box.fill("!!! ***")
            box.press("Enter")
            expect(page.locator("#search-results .empty")).to_be_visible()
            expect(page.locator("#search-results .error")).to_have_count(0)
            page.click("#search-close")
            expect(page.locator("#queue")).to_be_visible()

            # An agent who reads Chinese gets the search in Chinese.
            page.evaluate("localStorage.setItem('console.lang', 'zh')")
            page.reload()
            expect(page.locator("#search-go")).to_have_text("搜索")
            expect(page.locator("#search-text")).to_have_attribute(
                "placeholder", re.compile("交易哈希")
            )
            page.fill("#search-text", TX_HASH[:20])
            page.press("#search-text", "Enter")
            expect(page.locator("#search-results .search-hit").first).to_contain_text("消息")
            page.locator("#search-results .search-hit").first.click()
            expect(page.locator("#history-title")).to_have_text("该用户之前的会话")
            expect(page.locator("#history-title")).to_be_visible()
        finally:
            page.close()
