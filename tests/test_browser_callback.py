"""A callback ticket in the console, in Debian's Chromium (Playwright): the agent sees
the number in full (nowhere else shows it), the slot, claims the ticket and marks the
callback done with its outcome. A real gateway under uvicorn on SQLite and PostgreSQL;
the bot's side is played by CallbackRasa (the real form: tests/test_e2e_callback.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.fakes.callback_rasa import CallbackRasa
from tests.support import ROOT
from tests.support.gateway import ALWAYS, Gateway
from tests.support.logs import served
from tests.test_browser_desk import log_in

pytestmark = pytest.mark.e2e
SHOT = ROOT / "var" / "screenshots" / "callback.png"


@pytest.fixture
def desk(database_url: str) -> Iterator[tuple[Gateway, str]]:
    gateway = Gateway(database_url, CallbackRasa(), ALWAYS)
    with served(gateway.app) as url:
        yield gateway, url


def test_the_agent_sees_the_number_and_marks_the_callback_done(
    desk: tuple[Gateway, str], browser: Any
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    gateway.agent("dana@example.com")
    user = gateway.visitor("en")
    slot = (datetime.now(timezone(timedelta(hours=8))) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    for text in ("call me please", "my number is +86 138 0013 8000", f"book {slot.isoformat()}"):
        assert gateway.say(user, text, language="en").status_code == 200
    page = log_in(browser, url, "dana@example.com")
    page.locator(".queue-item").first.click()
    panel = page.locator("#callback")
    expect(panel).to_be_visible()
    expect(panel.locator(".callback-number")).to_have_text("+86 138 0013 8000")
    expect(panel.locator(".callback-number")).to_have_attribute("href", "tel:+8613800138000")
    # The thread and the transcript show the masked token only.
    expect(page.locator("#thread")).to_contain_text("my number is [phone …8000]")
    assert "0013" not in page.locator("#thread").inner_text()
    expect(page.locator("#callback-done")).to_be_disabled()  # claim first, as for Resolve
    page.click("#claim")
    expect(page.locator("#callback-done")).to_be_enabled()
    page.fill("#callback-outcome", "Called; walked them through the re-import")
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT), full_page=True)
    page.click("#callback-done")
    expect(panel.locator(".callback-state")).to_have_text(
        "done: Called; walked them through the re-import"
    )
    expect(page.locator("#reopen")).to_be_visible()  # the ticket is resolved
    expect(page.locator("#thread")).to_contain_text("Callback done: Called; walked them")
    page.close()
