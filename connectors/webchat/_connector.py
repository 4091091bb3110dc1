"""The web chat's outbound side: replies are pushed to the visitor's open pages."""

from __future__ import annotations

from typing import Any

from connectors._base import Connector
from connectors._message import OutboundMessage
from handoff.events import EventHub, chat_topic

CHANNEL = "webchat"


def webchat_json(message: OutboundMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "text": message.text,
        "buttons": [{"title": t, "payload": p} for t, p in message.buttons],
        "image": message.image,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


class WebChatConnector(Connector):
    """Buttons and images are native here, so every reply goes out whole."""

    name = CHANNEL

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    async def send_text_message(self, user_id: str, text: str) -> None:
        await self.send(user_id, OutboundMessage(text=text))

    async def send(self, user_id: str, message: OutboundMessage) -> None:
        event = {"type": "message", "message": webchat_json(message)}
        self._hub.publish(chat_topic(f"{CHANNEL}:{user_id}"), event)
