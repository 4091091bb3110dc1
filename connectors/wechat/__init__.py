"""WeChat Official Account (公众号) connector (wechatpy): verification, plain and safe
(AES) mode, passive replies within WeChat's 5 seconds, customer-service messages after,
the 48-hour window, and a shared access token. Mounted only when ``WECHAT_*`` is set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from connectors.wechat._client import Client, DatabaseStorage
from connectors.wechat._connector import WeChatConnector, numbered, split_text
from connectors.wechat._routes import wechat_routes
from connectors.wechat._settings import WeChatSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from handoff.desk import Desk


class ConfigurationError(RuntimeError):
    """WeChat was half configured; the message names what is missing."""


def mount(
    app: FastAPI, desk: Desk, settings: WeChatSettings | None = None
) -> Callable[[], Awaitable[None]] | None:
    settings = settings or WeChatSettings()
    if not settings.configured:
        return None
    missing = settings.missing()
    if missing:
        raise ConfigurationError(f"WeChat is configured but lacks {', '.join(missing)}")
    client = Client(settings, DatabaseStorage(desk.sessions))
    connector = WeChatConnector(settings, client, desk.sessions)
    desk.connectors[connector.name] = connector
    app.include_router(wechat_routes(connector))
    scheduler = getattr(app.state, "jobs", None)  # the gateway's; bare test apps have none
    if scheduler is not None:
        scheduler.every("wechat_token", 60, client.refresh)
    return None


__all__ = [
    "ConfigurationError",
    "WeChatConnector",
    "WeChatSettings",
    "mount",
    "numbered",
    "split_text",
]
