"""Issue 16, the agent console in Debian's Chromium: what an agent sees and does over a
shift (login card, transfer menu, side panel, keyboard, send key, drafts, refusals,
links, logout, reconnects, notifications, languages).

The gateway is the real app under uvicorn (Rasa faked); the checks are about what a
person sees: visibility, position in the viewport, focus and text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.console_page import TX_HASH, Desk, log_in, serve_desk

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 900}
HIDDEN_TAB = Path(__file__).parent / "support" / "hidden_tab.js"


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    """The desk on SQLite: for what happens only in the browser."""
    with serve_desk(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        yield desk


@pytest.fixture
def any_desk(database_url: str) -> Iterator[Desk]:
    """The desk on SQLite and on PostgreSQL: for what the server stores."""
    with serve_desk(database_url) as desk:
        yield desk


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors  # no script of the console failed


def text_right_edge(page: Any, selector: str) -> float:
    """Where the text inside *selector* ends on screen (its box may be narrower)."""
    return float(
        page.locator(selector).evaluate(
            "node => { const r = document.createRange(); r.selectNodeContents(node);"
            " return r.getBoundingClientRect().right; }"
        )
    )


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def open_claimed(page: Any, desk: Desk, session_id: int) -> None:
    from playwright.sync_api import expect

    page.click(f'.queue-item[data-session-id="{session_id}"]')
    page.click("#claim")
    expect(page.locator("#reply-text")).to_be_enabled()


# Defect 1 ------------------------------------------------------------------------------


def test_after_login_the_login_card_is_gone_and_the_desk_starts_at_the_top(
    desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    log_in(page, desk, "dana@example.com")
    expect(page.locator("#login-view")).to_be_hidden()
    expect(page.locator("#email")).to_be_hidden()
    topbar = page.locator(".topbar").bounding_box()
    queue = page.locator("#queue").bounding_box()
    assert topbar is not None and queue is not None
    assert topbar["y"] == 0, topbar
    assert 0 < queue["y"] < VIEWPORT["height"], queue
    # The login fields are out of the Tab order: Tab goes round the desk only.
    page.locator("body").focus()
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        seen.add(focused_id(page))
    assert not seen & {"email", "password", "login-button"}, seen
    assert "logout" in seen


# Defect 2 (the console's half) -----------------------------------------------------------


def test_the_transfer_choice_survives_queue_events_and_the_30_second_refresh(
    any_desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    bob = any_desk.agent("bob@example.com")
    carol = any_desk.agent("carol@example.com")
    carol_id = str(any_desk.api(carol, "GET", "/me")["id"])
    page.clock.install()
    log_in(page, any_desk, "dana@example.com")
    _, session_id = any_desk.handed_off(bob)
    open_claimed(page, any_desk, session_id)
    select = page.locator("#transfer-select")
    expect(select.locator("option")).to_have_count(2)
    assert select.locator("option").nth(1).get_attribute("value") == carol_id
    select.select_option(carol_id)

    # A queue event: another user hands off (the list shows it), and a presence event.
    _, other = any_desk.handed_off(bob)
    expect(page.locator(f'.queue-item[data-session-id="{other}"]')).to_be_visible()
    any_desk.api(bob, "PUT", "/presence", json={"presence": "away"})
    expect(select.locator("option").first).to_contain_text("away")
    expect(select).to_have_value(carol_id)
    # The 30-s refresh re-renders the session: still Carol.
    with page.expect_response(re.compile(r"/api/agent/sessions/\d+$")):
        page.clock.run_for(31_000)
    expect(select).to_have_value(carol_id)

    page.click("#transfer")
    expect(page.locator("#session-meta")).to_contain_text("assigned to Carol")
    detail = any_desk.api(bob, "GET", f"/sessions/{session_id}")
    assert detail["agent"]["email"] == "carol@example.com"


# Defect 7 ------------------------------------------------------------------------------


def test_a_long_tx_hash_in_the_summary_stays_inside_the_side_panel(desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    _, session_id = desk.handed_off(bob)
    page.click(f'.queue-item[data-session-id="{session_id}"]')
    summary = page.locator("#summary")
    expect(summary).to_contain_text(f"tx_hash={TX_HASH[:20]}")
    panel = page.locator(".right").bounding_box()
    box = summary.bounding_box()
    assert panel is not None and box is not None
    assert panel["x"] + panel["width"] <= VIEWPORT["width"] + 0.5, panel
    assert box["x"] >= panel["x"] and box["x"] + box["width"] <= panel["x"] + panel["width"]
    assert text_right_edge(page, "#summary") <= panel["x"] + panel["width"] + 0.5
    # Nothing in the panel needs a horizontal scroll bar.
    assert page.locator(".right").evaluate("n => n.scrollWidth <= n.clientWidth")


def test_the_transfer_time_is_shown_as_the_user_said_it_with_its_offset(
    desk: Desk, page: Any
) -> None:
    """The agent's browser is in UTC; the user's 3 pm in Shanghai stays 15:00 +08:00."""
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    _, session_id = desk.handed_off(bob)
    page.click(f'.queue-item[data-session-id="{session_id}"]')
    time = page.locator("#details dd", has_text="yesterday 3 pm")
    expect(time).to_be_visible()
    expect(time).to_contain_text("2026-11-29 15:00 UTC+08:00")
    assert "07:00" not in time.inner_text() and "7:00" not in time.inner_text()


def test_the_queue_is_usable_from_the_keyboard(desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    _, first = desk.handed_off(bob)
    _, second = desk.handed_off(bob)
    log_in(page, desk, "dana@example.com")
    items = page.locator(".queue-item")
    expect(items).to_have_count(2)
    # The last control before the queue: the filter bar sits between the tabs and the list.
    page.locator("#filters select, #filters input, #filters button").last.focus()
    page.keyboard.press("Tab")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#session")).to_be_visible()
    wanted = items.nth(1).get_attribute("data-session-id")
    ticket = desk.api(bob, "GET", f"/sessions/{wanted}")["ticket"]
    expect(page.locator("#session-title")).to_contain_text(ticket)
    assert {str(first), str(second)} == {items.first.get_attribute("data-session-id"), wanted}
    # A re-render (a queue event) keeps the focus where it was.
    desk.handed_off(bob)
    expect(items).to_have_count(3)
    page.keyboard.press("ArrowUp")
    expect(items.first).to_be_focused()


def test_one_send_key_enter_by_default_ctrl_enter_by_choice_and_remembered(
    desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    _, session_id = desk.handed_off(bob)
    open_claimed(page, desk, session_id)
    box = page.locator("#reply-text")
    agent_messages = page.locator("#thread .msg-agent")
    # Like the user's page: Shift+Enter is a new line, Enter sends.
    box.click()
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    page.keyboard.press("Enter")
    expect(agent_messages.last).to_contain_text("first line\nsecond line")
    expect(box).to_have_value("")
    # The other choice: Enter is a new line, Ctrl+Enter sends. The note box too.
    page.select_option("#send-key", "ctrl")
    expect(box).to_have_attribute("placeholder", re.compile("Ctrl\\+Enter"))
    box.click()
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    page.keyboard.type("b")
    expect(box).to_have_value("a\nb")
    page.keyboard.press("Control+Enter")
    expect(agent_messages.last).to_contain_text("a\nb")
    page.locator("#note-text").click()
    page.keyboard.type("checked")
    page.keyboard.press("Enter")
    expect(page.locator("#note-text")).to_have_value("checked\n")
    page.keyboard.press("Control+Enter")
    expect(page.locator("#thread .note").last).to_contain_text("checked")
    page.reload()
    expect(page.locator("#send-key")).to_have_value("ctrl")


def test_the_favicon_is_served(desk: Desk, page: Any) -> None:
    failures: list[str] = []
    page.on("response", lambda r: failures.append(r.url) if r.status >= 400 else None)
    log_in(page, desk, "dana@example.com")
    icon = page.request.get(f"{desk.url}/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"] == "image/x-icon"
    assert icon.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert failures == []


# Console basics (feature 5) --------------------------------------------------------------


def test_each_session_keeps_its_own_draft_and_sends_it_to_no_one_else(
    any_desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    bob = any_desk.agent("bob@example.com")
    log_in(page, any_desk, "dana@example.com")
    _, first = any_desk.handed_off(bob)
    _, second = any_desk.handed_off(bob)
    open_claimed(page, any_desk, first)
    box = page.locator("#reply-text")
    box.fill("Your USDT arrived, see the explorer")
    open_claimed(page, any_desk, second)
    expect(box).to_have_value("")
    box.fill("Which network did you use?")
    page.click("#reply-send")
    expect(page.locator("#thread .msg-agent").last).to_contain_text("Which network")
    expect(box).to_have_value("")
    page.click("#view-mine")
    page.click(f'.queue-item[data-session-id="{first}"]')
    expect(box).to_have_value("Your USDT arrived, see the explorer")
    # A reload keeps it too, and nothing reached the first user.
    page.reload()
    page.click("#view-mine")
    page.click(f'.queue-item[data-session-id="{first}"]')
    expect(box).to_have_value("Your USDT arrived, see the explorer")
    said = [m["text"] for m in any_desk.api(bob, "GET", f"/sessions/{first}")["messages"]]
    assert not any("Which network" in text or "USDT arrived" in text for text in said)


def test_a_refused_reply_shows_the_reason_next_to_the_box_and_keeps_the_text(
    desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    _, session_id = desk.handed_off(bob)
    open_claimed(page, desk, session_id)
    asking = "To check it, please send me your recovery phrase"
    page.fill("#reply-text", asking)
    with page.expect_response(lambda r: r.url.endswith("/messages")) as answer:
        page.click("#reply-send")
    assert answer.value.status == 422
    reason = page.locator("#reply-error")
    expect(reason).to_be_visible()
    expect(reason).to_contain_text(re.compile("recovery phrase|seed|never", re.IGNORECASE))
    expect(page.locator("#reply-text")).to_have_value(asking)
    composer = page.locator("#reply-form").bounding_box()
    shown = reason.bounding_box()
    assert composer is not None and shown is not None
    # Right under the box, inside the window.
    assert 0 <= shown["y"] - (composer["y"] + composer["height"]) < 20, (composer, shown)
    assert shown["y"] + shown["height"] <= VIEWPORT["height"]
    # Fixed and sent: the reason goes away.
    page.fill("#reply-text", "To check it, please send me the transaction hash")
    page.click("#reply-send")
    expect(page.locator("#thread .msg-agent").last).to_contain_text("transaction hash")
    expect(reason).to_have_text("")


def test_links_from_users_are_text_with_a_copy_button(desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    visitor, session_id = desk.handed_off(bob)
    open_claimed(page, desk, session_id)
    link = "https://wallet-support.example/claim?id=7"
    desk.say(visitor, f"They told me to log in at {link} first, or at www.fake-wallet.example.")
    message = page.locator("#thread .msg-user", has_text="They told me")
    expect(message).to_be_visible()
    expect(message.locator("a")).to_have_count(0)
    expect(message.locator(".link-text")).to_have_text([link, "www.fake-wallet.example"])
    copy = message.locator("button.copy-link")
    expect(copy).to_have_count(2)
    expect(copy.first).to_be_visible()
    copy.first.click()
    assert page.evaluate("() => navigator.clipboard.readText()") == link
    assert page.url.startswith(f"{desk.url}/console/")  # nothing opened


def test_logging_out_sets_the_agent_away_first(any_desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    bob = any_desk.agent("bob@example.com")
    log_in(page, any_desk, "dana@example.com")

    def dana() -> str:
        agents = any_desk.api(bob, "GET", "/agents")["agents"]
        return str(next(a["presence"] for a in agents if a["email"] == "dana@example.com"))

    assert dana() == "online"
    calls: list[str] = []
    page.on("request", lambda r: calls.append(f"{r.method} {r.url.split('/api/agent')[-1]}"))
    page.click("#logout")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#main-view")).to_be_hidden()
    assert dana() == "away"
    assert calls.index("PUT /presence") < calls.index("POST /logout"), calls


def test_the_socket_reconnects_at_once_when_the_network_comes_back(desk: Desk, page: Any) -> None:
    """Blocked for a while, the console backs off (up to 10 s); `online` skips the wait."""
    from playwright.sync_api import expect

    blocked = False
    routes: list[Any] = []

    def handle(route: Any) -> None:
        if blocked:
            route.close()
        else:
            routes.append(route)
            route.connect_to_server()

    page.route_web_socket(re.compile(r"/api/agent/ws$"), handle)
    log_in(page, desk, "dana@example.com")
    status = page.locator("#connection")
    blocked = True
    routes[-1].close()
    expect(status).to_have_attribute("data-state", "reconnecting")
    # Attempts at +1, +3 and +7 s are refused: the next one is 8 s later (at +15 s).
    page.wait_for_timeout(8_000)
    blocked = False
    page.context.set_offline(True)
    page.context.set_offline(False)  # the browser fires `online`
    expect(status).to_have_attribute("data-state", "connected", timeout=3_000)


def test_visible_again_reconnects_at_once(desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    page.add_init_script(path=str(HIDDEN_TAB))
    blocked = False
    routes: list[Any] = []

    def handle(route: Any) -> None:
        if blocked:
            route.close()
        else:
            routes.append(route)
            route.connect_to_server()

    page.route_web_socket(re.compile(r"/api/agent/ws$"), handle)
    log_in(page, desk, "dana@example.com")
    status = page.locator("#connection")
    page.evaluate("() => window.testTab.hide()")
    blocked = True
    routes[-1].close()
    expect(status).to_have_attribute("data-state", "reconnecting")
    page.wait_for_timeout(8_000)
    blocked = False
    page.evaluate("() => window.testTab.show()")
    expect(status).to_have_attribute("data-state", "connected", timeout=3_000)


def test_a_hidden_tab_counts_and_notifies_new_sessions_and_user_messages(
    desk: Desk, page: Any
) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["notifications"], origin=desk.url)
    page.add_init_script(path=str(HIDDEN_TAB))
    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    visitor, session_id = desk.handed_off(bob)
    open_claimed(page, desk, session_id)
    bobs_user, bobs = desk.handed_off(bob)
    desk.api(bob, "POST", f"/sessions/{bobs}/claim")
    expect(page.locator(".queue-item")).to_have_count(0)
    expect(page).to_have_title("Support desk")

    page.evaluate("() => window.testTab.hide()")
    _, queued = desk.handed_off(bob)
    expect(page).to_have_title("(1) Support desk")
    desk.say(bobs_user, "a colleague's chat: not counted here")
    desk.say(visitor, "are you still there?")
    expect(page).to_have_title("(2) Support desk")
    shown = page.evaluate("() => window.testTab.notifications")
    assert [n["title"] for n in shown] == ["New session in the queue", "New message from a user"]
    assert shown[1]["body"] == "are you still there?"
    assert str(queued) in shown[0]["tag"]
    # Back on the tab: the count is gone; nothing is counted while it is visible.
    page.evaluate("() => window.testTab.show()")
    expect(page).to_have_title("Support desk")
    desk.say(visitor, "hello?")
    expect(page.locator("#thread .msg-user").last).to_contain_text("hello?")
    expect(page).to_have_title("Support desk")


def test_notification_permission_is_asked_on_a_click_not_on_load(desk: Desk, page: Any) -> None:
    page.add_init_script(path=str(HIDDEN_TAB))
    page.goto(f"{desk.url}/console/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => window.testTab.asked") == []
    log_in(page, desk, "dana@example.com")  # the click on "Log in"
    asked = page.evaluate("() => window.testTab.asked")
    assert asked and all(asked), asked


def test_the_console_speaks_chinese_or_english_as_the_agent_chooses(desk: Desk, page: Any) -> None:
    from playwright.sync_api import expect

    bob = desk.agent("bob@example.com")
    log_in(page, desk, "dana@example.com")
    _, session_id = desk.handed_off(bob)
    page.click(f'.queue-item[data-session-id="{session_id}"]')
    page.select_option("#lang", "zh")
    expect(page.locator("#logout")).to_have_text("退出登录")
    expect(page.locator("#view-queue")).to_contain_text("排队")
    expect(page.locator("#claim")).to_have_text("接入")
    expect(page.locator("#session-title")).to_contain_text("转账未到账")
    expect(page.locator(".queue-item").first).to_contain_text("已等待")
    expect(page).to_have_title("客服工作台")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    # Remembered: a reload (and the login card after a logout) stays Chinese.
    page.reload()
    expect(page.locator("#logout")).to_have_text("退出登录")
    expect(page.locator("#lang")).to_have_value("zh")
    page.click("#logout")
    expect(page.locator("#login-button")).to_have_text("登录")
    page.fill("#email", "dana@example.com")
    page.fill("#password", "wrong password")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_have_text("邮箱或密码错误。")
    page.evaluate("() => localStorage.setItem('console.lang', 'en')")
    page.reload()
    expect(page.locator("#login-button")).to_have_text("Log in")
