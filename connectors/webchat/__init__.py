"""The web chat: a page served by the gateway, an HTTP API and a WebSocket push stream."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from common.limits import Limiter
from common.settings import ConfigurationError, DeskSettings
from connectors._host import ChannelHost
from connectors.webchat._api import webchat_routes
from connectors.webchat._connector import CHANNEL, WebChatConnector
from connectors.webchat._tokens import MIN_SECRET_BYTES, VisitorTokens, load_secret
from connectors.webchat._uploads import UPLOAD_PATH

STATIC = Path(__file__).resolve().parent / "static"


def mount(
    app: FastAPI,
    host: ChannelHost,
    tokens: VisitorTokens,
    limiter: Limiter,
    settings: DeskSettings,
) -> None:
    """The page at ``/chat``, its API under ``/webchat``, replies pushed to it."""
    connector = WebChatConnector(host.hub)
    host.connectors[connector.name] = connector
    app.include_router(webchat_routes(host, tokens, limiter, settings))
    app.mount("/chat", StaticFiles(directory=STATIC, html=True), name="chat")


def visitor_tokens(settings: DeskSettings) -> VisitorTokens:
    """The tokens *settings* describe: the current secret, the previous one, lifetimes."""
    previous = [settings.secret_previous.encode()] if settings.secret_previous else []
    if previous and len(previous[0]) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"DESK_SECRET_PREVIOUS is {len(previous[0])} bytes: like DESK_SECRET, it needs "
            f"at least {MIN_SECRET_BYTES}"
        )
    return VisitorTokens(
        load_secret(settings.secret),
        previous,
        lifetime=settings.visitor_token_hours * 3600,
        renew_grace=settings.visitor_renew_days * 86400,
    )


__all__ = [
    "CHANNEL",
    "STATIC",
    "UPLOAD_PATH",
    "VisitorTokens",
    "WebChatConnector",
    "load_secret",
    "mount",
    "visitor_tokens",
]
