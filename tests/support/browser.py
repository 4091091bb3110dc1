"""What a person sees in a browser test (the browser itself: tests/support/chromium.py)."""

from __future__ import annotations

from typing import Any

VIEWPORT = {"width": 1280, "height": 900}


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
