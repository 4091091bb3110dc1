"""Debian's Chromium under Playwright, for browser tests, and what a person sees.

The launch flags are those of ``tests/test_browser.py``: off the (closed) network,
and working as root.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


@contextmanager
def chromium() -> Iterator[Any]:
    """A launched browser; fails under REQUIRE_BROWSER when Chromium is missing."""
    if CHROMIUM is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (REQUIRE_BROWSER) but is not installed")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def in_viewport(page: Any, selector: str) -> bool:
    """Whether the first match is visible and wholly inside the window, unscrolled."""
    box = page.locator(selector).first.bounding_box()
    if box is None:
        return False
    size = page.viewport_size or VIEWPORT
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )
