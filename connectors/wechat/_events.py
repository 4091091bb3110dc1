"""What each kind of push gets: a bot turn, the welcome, the "text and pictures only"
notice, or silence (``success``, nothing stored).

Silence is the default for events: most are notifications WeChat sends on its own
(location reports every few seconds, template-message receipts), and answering them
would spam the user and fill the desk. A user's own message of a kind we can't read
gets the notice, since they are waiting for an answer.

Events: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
"""

from __future__ import annotations

import enum
from typing import Any


class Handling(enum.Enum):
    TURN = "turn"  # stored and answered by the bot (or the agent holding the chat)
    WELCOME = "welcome"
    UNSUPPORTED = "unsupported"
    SILENT = "silent"


MESSAGES: dict[str, Handling] = {"text": Handling.TURN, "image": Handling.TURN}

EVENTS: dict[str, Handling] = {
    "subscribe": Handling.WELCOME,
    "subscribe_scan": Handling.WELCOME,  # a new follower who scanned a QR code (qrscene_)
    "click": Handling.TURN,  # a menu button: the bot is told what it means
    # Named here so nobody "fixes" them into replies:
    "scan": Handling.SILENT,  # a follower scanned a QR code again
    "location": Handling.SILENT,  # automatic location reports
    "view": Handling.SILENT,  # a menu link was opened
    "unsubscribe": Handling.SILENT,  # the user can no longer be written to
    "templatesendjobfinish": Handling.SILENT,  # our own template message's receipt
    "masssendjobfinish": Handling.SILENT,
}


def handling(message: Any) -> Handling:
    """How to answer a parsed wechatpy message or event."""
    # wechatpy parses an event type it doesn't know as an "unknown" message: the raw
    # MsgType still says it is an event.
    raw = getattr(message, "_data", None) or {}
    if message.type == "event" or str(raw.get("MsgType", "")).lower() == "event":
        return EVENTS.get(str(getattr(message, "event", "")), Handling.SILENT)
    return MESSAGES.get(str(message.type), Handling.UNSUPPORTED)
