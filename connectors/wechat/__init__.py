"""WeChat Official Account (公众号) connector. Mounted only when ``WECHAT_*`` is configured."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any


def mount(app: Any, desk: Any) -> Callable[[], Awaitable[None]] | None:
    """Not configured yet: nothing to mount."""
    return None


__all__ = ["mount"]
