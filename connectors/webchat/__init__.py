"""The web chat: a page served by the gateway, an HTTP API and a WebSocket push stream."""

from pathlib import Path

from connectors.webchat._api import api
from connectors.webchat._connector import CHANNEL, WebChatConnector
from connectors.webchat._tokens import VisitorTokens, load_secret

STATIC = Path(__file__).resolve().parent / "static"

__all__ = ["CHANNEL", "STATIC", "VisitorTokens", "WebChatConnector", "api", "load_secret"]
