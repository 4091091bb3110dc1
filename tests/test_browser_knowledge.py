"""The Knowledge page in a real browser (Debian's Chromium, Playwright) against the real
Rasa, action server and gateway: an admin opens an article, is refused a typo'd
placeholder next to the field, saves a new English answer, tries a question (the
draft answers with it, the live index does not yet), publishes, and a web chat user
asking the same question gets the new answer without any server restarting.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from common.settings import kb_settings
from tests.support import ROOT
from tests.support.kb_swap import INDEX_FILES
from tests.support.servers import Servers, running_servers
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

PASSWORD = "browser-test-password"
TIMEOUT = 30_000  # ms
BUILD_TIMEOUT = 600_000  # ms: the first draft build embeds what changed on a busy machine
VIEWPORT = {"width": 1280, "height": 900}
QUESTION = "what are your customer service hours"
MARKER = "kb-journey-marker"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Servers of its own: a publish here must not change other tests' answers."""
    workdir = tmp_path_factory.mktemp("kb-browser")
    index_dir = workdir / "kb"
    index_dir.mkdir()
    for name in INDEX_FILES:
        shutil.copy(kb_settings().index_dir / name, index_dir / name)
    extra = {"KB_INDEX_DIR": str(index_dir), "KB_POLL_SECONDS": "1"}
    with running_servers(workdir, extra, with_gateway=True) as running:
        yield running


def test_an_admin_edits_tries_and_publishes_and_the_user_gets_the_new_answer(
    servers: Servers, browser: object
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    url = servers.gateway_url
    env = {**(servers.env or os.environ), "AGENT_PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "handoff", "agents", "create", "kim@example.com", "Kim"]
    subprocess.run([*command, "--admin"], cwd=ROOT, env=env, check=True, capture_output=True)

    admin = browser.new_page(viewport=VIEWPORT)
    admin.set_default_timeout(TIMEOUT)
    admin.goto(f"{url}/console/")
    admin.fill("#email", "kim@example.com")
    admin.fill("#password", PASSWORD)
    admin.click("#login-button")
    expect(admin.locator("#presence")).to_have_value("online")
    admin.click("#kb-open")
    admin.fill("#kb-search", "客服几点上班")
    expect(admin.locator("#kb-list button")).to_have_count(1)
    admin.click("#kb-list button[data-id='service-hours']")

    answer = admin.locator("#kb-en-answer")
    answer.fill("Call {phone_numbr} any time.")
    admin.click("#kb-save")
    expect(admin.locator("#kb-error-en-answer")).to_contain_text("phone_numbr")
    answer.fill(f"Our agents answer around the clock ({MARKER}), live chat {{chat_hours}}.")
    admin.click("#kb-save")
    expect(admin.locator("#kb-saved")).to_have_text("Saved")
    expect(admin.locator("#kb-error-en-answer")).to_have_text("")

    admin.fill("#kb-try-text", QUESTION)
    admin.select_option("#kb-try-lang", "en")
    admin.click("#kb-try-go")
    draft = admin.locator("#kb-try-draft")
    expect(draft.locator("li")).to_have_count(3, timeout=BUILD_TIMEOUT)
    expect(draft.locator(".kb-kind")).to_have_attribute("data-kind", "answer")
    expect(draft.locator(".kb-answer")).to_contain_text(MARKER)
    expect(admin.locator("#kb-try-live .kb-answer")).not_to_contain_text(MARKER)

    admin.click("#kb-publish")
    expect(admin.locator("#kb-message")).to_contain_text("is live", timeout=BUILD_TIMEOUT)
    published = time.monotonic()

    user = browser.new_page(viewport=VIEWPORT)
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=en")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")

    def served() -> bool:
        before = user.locator(".msg-bot").count()
        user.fill("#text", QUESTION)
        user.click("#send")
        expect(user.locator(".msg-bot")).not_to_have_count(before)
        time.sleep(1)  # the whole reply (several bubbles) in
        return MARKER in " ".join(user.locator(".msg-bot").all_inner_texts()[before:])

    wait_until(served, 120, "the web chat never got the published answer", interval=1)
    print(f"publish -> served in the web chat: {time.monotonic() - published:.1f}s")
    history = admin.locator("#kb-history li")
    expect(history.first).to_contain_text("Kim")
