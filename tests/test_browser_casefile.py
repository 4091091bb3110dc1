"""The stolen-funds case file in the console, in Debian's Chromium (issue 20, "Then" 6):
the agent reads it beside the session, downloads it as Markdown, and sends it to the
user in their language through the usual reply (and the guard)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes import chain_forensic as acct
from tests.support.console_page import Desk, log_in
from tests.support.gateway import Gateway
from tests.support.logs import served
from tests.test_browser_console import open_claimed
from tests.test_casefile import ForensicRasa, checked

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    details = {
        "affected_address": acct.DRAINED,
        "chain": "ethereum",
        "transfer_time": {"raw": "anoche", "parsed": None},
        "forensic": checked(acct.DRAINED, "ethereum"),
    }
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", ForensicRasa(details))
    with served(gateway.app) as url:
        yield Desk(gateway, url)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def test_the_agent_reads_downloads_and_sends_the_case_file(
    desk: Desk, page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    visitor, session_id = desk.handed_off(bob, "stolen")
    open_claimed(page, desk, session_id)
    shown = page.locator("#casefile-text")
    expect(page.locator("#casefile")).to_be_visible()
    expect(shown).to_contain_text("COMPROMISED")  # the agent's language (English)
    expect(shown).to_contain_text(f"https://etherscan.io/tx/0x{'f2' * 32}")
    with page.expect_download() as download:
        page.click("#casefile-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("case-T-") and saved.suffix == ".md"
    assert f"0x{'f5' * 32}" in saved.read_text()
    page.click("#casefile-insert")
    expect(page.locator("#reply-text")).to_have_value(
        re.compile(r"^# Expediente")  # the user's language: Spanish
    )
    page.click("#reply-send")
    expect(page.locator("#thread .msg-agent").last).to_contain_text("Expediente")
    sent = httpx.get(f"{desk.url}/webchat/api/messages", headers=visitor).json()
    texts = [m["text"] for m in sent["messages"] if m["author"] == "agent"]
    assert any(f"https://etherscan.io/tx/0x{'f2' * 32}" in text for text in texts)
