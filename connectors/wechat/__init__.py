"""WeChat Official Account (公众号) connector (wechatpy): verification, plain and safe
(AES) mode, passive replies within WeChat's 5 seconds, customer-service messages after,
the 48-hour window, and a shared access token. Mounted only when ``WECHAT_*`` is set.
"""

from __future__ import annotations

from fastapi import FastAPI

from common.settings import ConfigurationError
from connectors._host import ChannelHost, Runner
from connectors.wechat._client import Client, DatabaseStorage
from connectors.wechat._connector import WeChatConnector, numbered, split_text
from connectors.wechat._push import PushCheck
from connectors.wechat._routes import Arrival, wechat_routes
from connectors.wechat._settings import WeChatSettings


def mount(app: FastAPI, host: ChannelHost, settings: WeChatSettings | None = None) -> Runner | None:
    """The server URL WeChat calls, once ``WECHAT_*`` is set (else nothing)."""
    settings = settings or WeChatSettings()
    if not settings.configured:
        return None
    missing = settings.missing()
    if missing:
        raise ConfigurationError(f"WeChat is configured but lacks {', '.join(missing)}")
    client = Client(settings, DatabaseStorage(host.database))
    connector = WeChatConnector(settings, client, host.database)
    host.connectors[connector.name] = connector
    check = PushCheck(settings, host.database)
    app.add_middleware(Arrival)
    app.include_router(wechat_routes(host, connector, check))
    host.jobs.every("wechat_token", 60, client.refresh)
    host.jobs.every("wechat_nonces", 60, check.purge)
    return None


__all__ = [
    "WeChatConnector",
    "WeChatSettings",
    "mount",
    "numbered",
    "split_text",
]
