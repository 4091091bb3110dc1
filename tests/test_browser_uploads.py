"""Issue 19, item 3, as people see it in Debian's Chromium: a user in a dispute sends a
screenshot from the web chat (preview, progress, then the picture in the chat), and
the agent opens it in the console; a file that is not a picture, or too large, is
refused on the page in the user's language.

A real gateway under uvicorn on SQLite and PostgreSQL, with Rasa played by FakeRasa
("dispute" hands off). Screenshots of each step go to ``UPLOAD_SHOTS`` when set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw

from connectors.webchat._uploads import MEDIA
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.logs import served

pytestmark = pytest.mark.e2e

TIMEOUT = 15_000  # ms


@pytest.fixture
def desk(database_url: str) -> Iterator[tuple[Gateway, str]]:
    before = set(MEDIA.glob("*")) if MEDIA.exists() else set()
    gateway = Gateway(database_url, FakeRasa(), ALWAYS)
    with served(gateway.app) as url:
        yield gateway, url
    for path in (set(MEDIA.glob("*")) if MEDIA.exists() else set()) - before:
        path.unlink(missing_ok=True)


def shot(page: Any, name: str) -> None:
    folder = os.environ.get("UPLOAD_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def transfer_screenshot(path: Path) -> Path:
    """Something like a wallet's transfer screen: text on a light background."""
    image = Image.new("RGB", (390, 600), (245, 247, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 390, 70), fill=(31, 79, 214))
    draw.text((20, 25), "Transfer details", fill=(255, 255, 255))
    for row, (label, value) in enumerate(
        [
            ("Amount", "-250 USDT"),
            ("Network", "TRON"),
            ("Status", "Completed"),
            ("To", "TQ5n...9xLk"),
        ]
    ):
        draw.text((20, 110 + 50 * row), label, fill=(90, 100, 114))
        draw.text((200, 110 + 50 * row), value, fill=(20, 24, 32))
    image.save(path, "PNG")
    return path


def loaded(page: Any, selector: str) -> None:
    """Wait until the image *selector* names has loaded (pages may redraw it meanwhile)."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return !!i && i.complete && i.naturalWidth > 0; }",
        arg=selector,
    )


def natural_width(locator: Any) -> int:
    return int(locator.evaluate("img => img.complete ? img.naturalWidth : 0"))


def test_a_user_sends_a_screenshot_in_a_dispute_and_the_agent_opens_it(
    desk: tuple[Gateway, str], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    gateway, url = desk
    gateway.agent("dana@example.com")
    user = browser.new_page(viewport={"width": 800, "height": 800})
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=en")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")
    user.fill("#text", "dispute")
    user.click("#send")
    expect(user.locator(".msg-system").last).to_contain_text("in line")

    with user.expect_file_chooser() as chooser:
        user.click("#attach")  # the paperclip
    chooser.value.set_files(str(transfer_screenshot(tmp_path / "proof of transfer.png")))
    expect(user.locator("#upload")).to_be_visible()
    expect(user.locator("#upload-name")).to_contain_text("proof of transfer.png")
    preview = user.locator("#upload-preview")
    expect(preview).to_be_visible()
    loaded(user, "#upload-preview")
    shot(user, "1-user-preview")
    # The progress bar, as it changes: shown while sending, filled to 100 by the end.
    user.evaluate(
        """() => {
          const bar = document.getElementById("upload-progress");
          window.progressSeen = [];
          new MutationObserver(() => window.progressSeen.push([bar.hidden, bar.value]))
            .observe(bar, { attributes: true });
        }"""
    )
    user.click("#upload-send")
    sent = user.locator(".msg-user .shot")
    expect(sent).to_be_visible()
    loaded(user, ".msg-user .shot")
    assert natural_width(sent) == 390
    expect(user.locator(".msg-user .file-name")).to_have_text("proof of transfer.png")
    expect(user.locator("#upload")).to_be_hidden()
    expect(user.locator("#error")).to_be_hidden()
    seen = user.evaluate("() => window.progressSeen")
    assert any(not hidden for hidden, _ in seen), seen
    assert max(value for _, value in seen) == 100, seen
    shot(user, "2-user-sent")

    console = browser.new_context(viewport={"width": 1280, "height": 900})
    page = console.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(f"{url}/console/")
    page.fill("#email", "dana@example.com")
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    expect(page.locator("#agent-name")).to_be_visible()
    page.locator(".queue-item").first.click()
    picture = page.locator("#thread a.attachment img")
    expect(picture).to_be_visible()
    loaded(page, "#thread a.attachment img")
    assert natural_width(picture) == 390
    shot(page, "3-agent-thread")
    with console.expect_page() as opened:
        page.locator("#thread a.attachment").click()
    full = opened.value
    full.wait_for_load_state()
    assert "/api/agent/media/" in full.url and "sig=" in full.url
    assert int(full.evaluate("() => document.images[0].naturalWidth")) == 390
    shot(full, "4-agent-opened")
    console.close()
    user.close()


def test_a_file_that_is_not_a_picture_or_too_large_is_refused_on_the_page_in_chinese(
    desk: tuple[Gateway, str], browser: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    _, url = desk
    user = browser.new_page(viewport={"width": 800, "height": 800})
    user.set_default_timeout(TIMEOUT)
    user.goto(f"{url}/chat/?lang=zh")
    expect(user.locator("#status")).to_have_attribute("data-state", "connected")

    fake = tmp_path / "截图.png"
    fake.write_bytes(b"MZ\x90\x00 this is a program, not a picture " * 100)
    with user.expect_file_chooser() as chooser:  # from the keyboard
        user.focus("#attach")
        user.keyboard.press("Enter")
    chooser.value.set_files(str(fake))
    expect(user.locator("#upload")).to_be_visible()
    with user.expect_response(lambda r: "/webchat/api/uploads" in r.url) as answered:
        user.click("#upload-send")
    assert answered.value.status == 415
    expect(user.locator("#upload")).to_be_hidden()  # nothing left to retry
    banner = user.locator("#error")
    expect(banner).to_have_text(
        "只能发送图片（PNG、JPEG、WebP）或 PDF 文件，这个文件不是这些格式之一。"
    )
    shot(user, "5-user-refused-type")

    big = tmp_path / "大图.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(11 * 2**20))
    requests: list[str] = []
    user.on("request", lambda r: requests.append(r.url))
    user.set_input_files("#file", str(big))
    expect(banner).to_have_text("文件太大（最多 10 MB），请压缩或截取需要的部分后再发送。")
    expect(user.locator("#upload")).to_be_hidden()
    assert not [r for r in requests if "/uploads?" in r]  # never sent at all
    shot(user, "6-user-refused-size")
    assert user.locator(".msg-user").count() == 0
    token = user.evaluate("() => JSON.parse(localStorage.getItem('webchat.visitor')).token")
    history = httpx.get(f"{url}/webchat/api/messages", headers={"Authorization": f"Bearer {token}"})
    assert history.json()["messages"] == []  # nothing was stored
    user.close()
