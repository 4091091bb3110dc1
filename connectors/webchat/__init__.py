"""The web chat: a page served by the gateway, an HTTP API and a WebSocket push stream."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from connectors._host import ChannelHost
from connectors.webchat._api import webchat_routes
from connectors.webchat._connector import CHANNEL, WebChatConnector
from connectors.webchat._tokens import VisitorTokens, load_secret

STATIC = Path(__file__).resolve().parent / "static"


def mount(app: FastAPI, host: ChannelHost, tokens: VisitorTokens) -> None:
    """The page at ``/chat``, its API under ``/webchat``, replies pushed to it."""
    connector = WebChatConnector(host.hub)
    host.connectors[connector.name] = connector
    app.include_router(webchat_routes(host, tokens))
    app.mount("/chat", StaticFiles(directory=STATIC, html=True), name="chat")


__all__ = ["CHANNEL", "STATIC", "VisitorTokens", "WebChatConnector", "load_secret", "mount"]
