"""The connector interface: one required method, richer sends fall back to text."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from common.logs import MASKER
from common.messages import OutboundMessage


class Undeliverable(Exception):
    """The user can't be reached on this platform until they write again (kept, not lost)."""


def shown_error(exc: BaseException) -> str:
    """What agents are shown of a failed delivery: a connector's own sentence, never a
    library's error text (that quotes request URLs, which carry tokens and secrets)."""
    if isinstance(exc, (DeliveryFailed, Undeliverable)) and str(exc):
        return MASKER(str(exc))  # a connector may quote a library's error in it
    return "the platform could not be reached"


class DeliveryFailed(Exception):
    """The platform refused the message, or stayed unreachable through every retry."""


class Refused(DeliveryFailed):
    """The platform refused for good (the user blocked the bot, the chat is gone): sending
    the same message again can only fail again, so it is never retried."""


class Connector(ABC):
    """A chat service. Only :meth:`send_text_message` must be implemented."""

    name: str = "connector"
    # The user's own pages show the whole conversation (the web chat, in several tabs):
    # what they write is sent back to them too (``Outbox.echo``). Platforms show it already.
    echoes_user: bool = False
    # Every conversation is a ticket for the desk, never a chat with the bot (email:
    # messages arrive hours apart, long, quoting each other; the bot answers once).
    tickets_only: bool = False

    @abstractmethod
    async def send_text_message(self, user_id: str, text: str) -> None:
        """Deliver *text* to *user_id* on this service."""

    def live_event(
        self, user_id: str, message: OutboundMessage
    ) -> tuple[str, dict[str, Any]] | None:
        """For a channel whose delivery *is* a live event to the user's open pages (the
        web chat): its topic and event. The outbox writes it in the transaction that
        stores *message* (a gateway killed right after the commit can't lose the push)
        and publishes it instead of calling :meth:`send`. None: :meth:`send` delivers."""
        return None

    async def send_buttons(
        self, user_id: str, text: str, buttons: tuple[tuple[str, str], ...]
    ) -> None:
        numbered = "\n".join(f"{i}. {title}" for i, (title, _) in enumerate(buttons, 1))
        await self.send_text_message(user_id, f"{text}\n{numbered}" if text else numbered)

    async def send_image(self, user_id: str, url: str, caption: str = "") -> None:
        await self.send_text_message(user_id, f"{caption}\n{url}".strip())

    async def send(self, user_id: str, message: OutboundMessage) -> None:
        """Deliver one reply, using the richest form this connector supports."""
        if message.image:
            await self.send_image(user_id, message.image, message.text)
        elif message.buttons:
            await self.send_buttons(user_id, message.text, message.buttons)
        elif message.text:
            await self.send_text_message(user_id, message.text)


class CollectingConnector(Connector):
    """Keeps what it would send: the in-memory connector for tests and the desk."""

    name = "collecting"

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_text_message(self, user_id: str, text: str) -> None:
        self.sent.append((user_id, text))
