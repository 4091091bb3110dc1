"""The one message shape every channel speaks (cf. Rasa's ``UserMessage``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from common.clock import utcnow

MAX_TEXT = 4000  # longer user messages are refused with a clear error, not truncated


@dataclass(frozen=True)
class Attachment:
    """A file the user sent (a dispute screenshot), already saved under ``var/media``."""

    kind: str  # "image" | "file"
    path: str  # relative to the project root
    name: str = ""
    mime: str = ""


@dataclass(frozen=True)
class InboundMessage:
    """What a connector makes of a platform payload."""

    channel: str  # "webchat", "telegram", "wechat"
    user_id: str  # the platform's id for the user
    text: str
    language: str | None = None  # the channel's hint (locale), if any
    title: str | None = None  # what a pressed button showed; `text` is then its payload
    platform_id: str | None = None  # for deduplication (update_id, MsgId)
    # A redelivery of this message (a Telegram update_id, a web chat client's message
    # id) is recognised by this key, in the same transaction that stores the message:
    # a process that dies before storing it leaves nothing that blocks the retry.
    dedup_key: str | None = None
    attachment: Attachment | None = None
    metadata: dict[str, Any] = field(default_factory=dict)  # forwarded to Rasa
    # The sender's network address where the channel knows it (the web chat), for
    # per-address limits; never forwarded to Rasa or stored.
    client_ip: str | None = None
    received_at: datetime = field(default_factory=utcnow)

    @property
    def conversation_id(self) -> str:
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True)
class OutboundMessage:
    """One reply: text, optionally buttons, an image or a custom payload."""

    text: str = ""
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)
    image: str | None = None
    custom: dict[str, Any] | None = None
    # A file the user sent (their own message, echoed to their other pages).
    attachment: Attachment | None = None
    # Set once stored: the desk's message id, who wrote it, and when.
    id: int | None = None
    author: str = "bot"  # bot | agent | system
    created_at: datetime | None = None

    @classmethod
    def from_rasa(cls, reply: dict[str, Any]) -> OutboundMessage:
        buttons = tuple(
            (str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or []
        )
        return cls(
            text=str(reply.get("text") or ""),
            buttons=buttons,
            image=reply.get("image"),
            custom=reply.get("custom"),
        )


def chat_json(message: OutboundMessage) -> dict[str, Any]:
    """A stored message as the user's own pages show it (the web chat's JSON)."""
    return {
        "id": message.id,
        "author": message.author,
        "text": message.text,
        "buttons": [{"title": t, "payload": p} for t, p in message.buttons],
        "image": message.image,
        # What the page needs to fetch and show it; never the path on the server.
        "file": (
            {"kind": message.attachment.kind, "name": message.attachment.name}
            if message.attachment
            else None
        ),
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
