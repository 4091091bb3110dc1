"""The admins' page in a real browser (Debian's Chromium via Playwright): an admin
creates an account without a password, the new agent sets theirs through the one-time
link and logs in as a plain agent (no team, no admin page), the admin makes them a
supervisor, and after a reload they supervise; the audit log shows what was done."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store.agents import create_agent
from store.db import make_engine, session_factory
from tests.support.browser import VIEWPORT, in_viewport
from tests.support.console_page import Desk, serve_desk
from tests.support.gateway import PASSWORD

TIMEOUT = 15_000  # ms
NEW_PASSWORD = "li-wei-sets-this-one"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with serve_desk(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        yield desk


def console(browser: Any, desk: Desk, email: str, password: str, name: str) -> Any:
    from playwright.sync_api import expect

    page = browser.new_context(viewport=VIEWPORT, timezone_id="UTC").new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{desk.url}/console/")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-button")
    expect(page.locator("#agent-name")).to_have_text(name)
    return page


def test_an_admin_creates_an_agent_by_link_and_makes_them_a_supervisor(
    desk: Desk, browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    engine = make_engine(desk.gateway.url)
    with session_factory(engine).begin() as db:
        create_agent(db, "boss@example.com", "Boss Admin", PASSWORD, role="admin")
    engine.dispose()
    boss = console(browser, desk, "boss@example.com", PASSWORD, "Boss Admin")
    expect(boss.locator("#admin-open")).to_be_visible()
    boss.click("#admin-open")
    expect(boss.locator("#admin")).to_be_visible()
    assert in_viewport(boss, "#admin-create")

    boss.fill("#admin-email", "li@example.com")
    boss.fill("#admin-name", "Li Wei")
    boss.locator("#admin-new-languages input[value=es]").uncheck()
    boss.click("#admin-create button[type=submit]")
    expect(boss.locator("#admin-status")).to_contain_text("Created li@example.com")
    link = boss.locator("#admin-link")
    expect(link).to_be_visible()
    url = link.input_value()
    assert url.startswith(f"{desk.url}/console/set-password.html#token="), url
    li_row = boss.locator("#admin-rows tr", has_text="li@example.com")
    expect(li_row.locator(".admin-role-select")).to_have_value("agent")
    expect(li_row.locator(".admin-languages input:checked")).to_have_count(2)

    # Li opens the link, sets a password, and logs in: a plain agent.
    setter = browser.new_context(viewport=VIEWPORT).new_page()
    setter.set_default_timeout(TIMEOUT)
    setter.goto(url)
    expect(setter.locator("#set-who")).to_have_text("For li@example.com.")
    setter.fill("#set-password", NEW_PASSWORD)
    setter.fill("#set-again", NEW_PASSWORD)
    setter.click("#set-button")
    expect(setter.locator("#set-done")).to_be_visible()
    setter.goto("about:blank")
    setter.goto(url)  # the link again: used up
    expect(setter.locator("#set-error")).to_contain_text("already used")
    li = console(browser, desk, "li@example.com", NEW_PASSWORD, "Li Wei")
    expect(li.locator("#my-load")).to_have_text("Load 0/3 · ZH EN")
    expect(li.locator("#team-open")).to_be_hidden()
    expect(li.locator("#admin-open")).to_be_hidden()

    # The admin makes Li a supervisor; the audit log says so.
    li_row.locator(".admin-role-select").select_option("supervisor")
    expect(boss.locator("#admin-status")).to_have_text("Li Wei is now Supervisor.")
    expect(li_row.locator(".admin-role-select")).to_have_value("supervisor")
    audit = boss.locator("#audit-rows tr").first
    expect(audit.locator(".admin-action")).to_have_text("agent.role")
    expect(audit).to_contain_text("Boss Admin")
    expect(boss.locator("#audit-rows tr[data-action='agent.password_set']")).to_have_count(1)
    expect(boss.locator("#audit-rows tr[data-action='agent.create']")).to_have_count(1)
    boss.screenshot(path=str(tmp_path / "admin.png"), full_page=True)

    li.reload()
    expect(li.locator("#team-open")).to_be_visible()
    expect(li.locator("#admin-open")).to_be_hidden()
    li.click("#team-open")
    team = li.locator("#team-rows tr").filter(has=li.locator(".team-name", has_text="Boss Admin"))
    expect(team).to_be_visible()
    # A supervisor moves sessions but does not change languages (the API says 403 too).
    expect(team.locator(".team-edit button")).to_be_disabled()
    expect(team.locator(".team-release")).to_be_enabled()
    li.screenshot(path=str(tmp_path / "supervisor.png"))

    # The admin's team view: profiles editable; opening it closes the admin page.
    boss.click("#team-open")
    expect(boss.locator("#admin")).to_be_hidden()
    mine = boss.locator("#team-rows tr").filter(has=boss.locator(".team-name", has_text="Li Wei"))
    expect(mine.locator(".team-edit button")).to_be_enabled()
    print(f"screenshots: {tmp_path / 'admin.png'} {tmp_path / 'supervisor.png'}")
