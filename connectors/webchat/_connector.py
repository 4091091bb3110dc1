"""The web chat's outbound side: replies are pushed to the visitor's open pages."""

from __future__ import annotations

from typing import Any

from common.channel import Connector
from common.messages import OutboundMessage, chat_json
from events import EventHub, chat_topic

CHANNEL = "webchat"


class WebChatConnector(Connector):
    """Buttons and images are native here, so every reply goes out whole."""

    name = CHANNEL
    echoes_user = True  # a second tab shows what the user typed in the first

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    async def send_text_message(self, user_id: str, text: str) -> None:
        await self.send(user_id, OutboundMessage(text=text))

    def live_event(self, user_id: str, message: OutboundMessage) -> tuple[str, dict[str, Any]]:
        event = {"type": "message", "message": chat_json(message)}
        return chat_topic(f"{CHANNEL}:{user_id}"), event

    async def send(self, user_id: str, message: OutboundMessage) -> None:
        """Outside the outbox's transaction (an echo, a resend): fire and forget."""
        self._hub.publish(*self.live_event(user_id, message))
