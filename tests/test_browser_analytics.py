"""Issue 18, the Analytics page in Debian's Chromium on the hand-computed seed
(tests/support/analytics_seed.py): a supervisor opens it, picks the seeded days, sees
the figures and every chart drawn (canvas pixels, and a screenshot kept for a person to
look at), downloads a chart's CSV; an agent who is not a supervisor has no Analytics
button. The gateway is the real app under uvicorn (Rasa faked).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from store.db import make_engine, session_factory
from tests.support import analytics_seed
from tests.support.console_page import Desk, serve_desk

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 1400}
TIMEOUT = 15_000  # ms
CHARTS = ("conversations", "handoffs", "times", "tickets", "csat", "hours")
# Pixels of a canvas that are drawn (not transparent) and coloured (not grey text or
# axes): the bars themselves.
PAINTED = """canvas => {
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let drawn = 0, coloured = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    drawn += 1;
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
  }
  return { drawn, coloured };
}"""


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with serve_desk(f"sqlite:///{tmp_path / 'desk.db'}") as desk:
        engine = make_engine(desk.gateway.url)
        with session_factory(engine).begin() as db:
            analytics_seed.seed(db)
        engine.dispose()
        yield desk


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=VIEWPORT, timezone_id="UTC", accept_downloads=True)
    yield context
    context.close()


def open_console(context: Any, desk: Desk, email: str) -> tuple[Any, list[str]]:
    from playwright.sync_api import expect

    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{desk.url}/console/")
    page.fill("#email", email)
    page.fill("#password", analytics_seed.PASSWORD)
    page.click("#login-button")
    expect(page.locator("#main-view")).to_be_visible()
    return page, errors


def test_a_supervisor_sees_the_seeded_figures_as_charts(
    desk: Desk, context: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page, errors = open_console(context, desk, "ada@example.com")
    expect(page.locator("#analytics-open")).to_be_visible()
    page.click("#analytics-open")
    page.select_option("#analytics-period", "custom")
    page.fill("#analytics-from", "2026-11-20")
    page.fill("#analytics-to", "2026-11-22")
    page.click("#analytics-refresh")
    expect(page.locator("#analytics")).to_have_attribute("data-state", "ready")

    tiles = page.locator("#analytics-tiles .analytics-value").all_inner_texts()
    # conversations, bot-resolved share, handoffs, first reply, resolve, tickets,
    # breaches, CSAT average
    assert tiles == ["7", "29%", "3", "2 min / 2.0 h", "1.8 h / 3.0 h", "1", "2", "3.67"]
    rows = page.locator("#analytics-agents tr").all_inner_texts()
    assert [r.split("\t") for r in rows] == [
        ["Ada", "2", "1 min", "5.00", "1"],
        ["Ben", "1", "2.0 h", "3.00", "2"],
    ]
    for chart in CHARTS:
        painted = page.locator(f"#chart-{chart}").evaluate(PAINTED)
        assert painted["coloured"] > 200, (chart, painted)  # bars, not an empty frame

    shot = tmp_path / "analytics.png"
    page.locator("#analytics").screenshot(path=str(shot))
    if os.environ.get("ANALYTICS_SCREENSHOT"):  # to look at it: a path outside tmp
        Path(os.environ["ANALYTICS_SCREENSHOT"]).write_bytes(shot.read_bytes())
    assert shot.stat().st_size > 20_000

    with page.expect_download() as download:
        page.click("[data-chart=agents] .analytics-csv")
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert saved.splitlines()[1] == "Ada,2,75.00,5.00,1"

    # A period with nothing: the figures say so, and a CSV is its header alone.
    page.fill("#analytics-from", "2025-01-01")
    page.fill("#analytics-to", "2025-01-07")
    page.click("#analytics-refresh")
    expect(page.locator("#analytics-tiles .analytics-value").first).to_have_text("0")
    with page.expect_download() as download:
        page.click("[data-chart=hours] .analytics-csv")
    assert Path(download.value.path()).read_text(encoding="utf-8").splitlines() == [
        "hour,user_messages"
    ]
    page.click("#analytics-close")
    expect(page.locator("#analytics")).to_be_hidden()

    # In Chinese: the button and the page follow the console's language.
    page.select_option("#lang", "zh")
    expect(page.locator("#analytics-open")).to_have_text("数据分析")
    page.click("#analytics-open")
    expect(page.locator("#analytics h2")).to_have_text("数据分析")
    expect(page.locator("#analytics")).to_have_attribute("data-state", "ready")
    expect(page.locator("#analytics-tiles .analytics-label").first).to_have_text("会话数")
    assert errors == [], errors


def test_an_agent_has_no_analytics_button(desk: Desk, context: Any) -> None:
    from playwright.sync_api import expect

    page, errors = open_console(context, desk, "ben@example.com")
    expect(page.locator("#my-load")).to_be_visible()  # the routing profile has loaded
    expect(page.locator("#analytics-open")).to_be_hidden()
    assert errors == [], errors
