"""Channels and the router between them, Rasa and the desk."""

from connectors._base import CollectingConnector, Connector, DeliveryFailed, Undeliverable
from connectors._message import MAX_TEXT, InboundMessage, OutboundMessage
from connectors._rasa import RasaClient, RasaUnavailable
from connectors._router import Router, Turn

__all__ = [
    "MAX_TEXT",
    "CollectingConnector",
    "Connector",
    "DeliveryFailed",
    "InboundMessage",
    "OutboundMessage",
    "RasaClient",
    "RasaUnavailable",
    "Router",
    "Turn",
    "Undeliverable",
]
