"""The events a gateway accepts from another over Redis, as typed shapes.

A signed event from a process holding the desk secret is still checked here
before it reaches a WebSocket, so that a bug or an older release on one gateway
can't push something the pages and consoles were never meant to render. Each
topic accepts only the event types this code base publishes on it (``hub.publish``
callers: the web chat connector, the outbox, the desk, presence, the SLA job);
any other type, or a missing or mistyped field the clients render, is refused.
Fields the clients don't read are let through unchecked (never rendered), so that
adding one to a view doesn't silently stop its events crossing between gateways.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Extra, StrictBool, StrictInt, StrictStr, ValidationError

from events.hub import DESK, Event

MAX_TEXT = 20_000  # far above any message a channel accepts; bounds what a page renders


class _Strict(BaseModel):
    class Config:
        extra = Extra.ignore  # validated, then the original dict is delivered


class Button(_Strict):
    title: StrictStr
    payload: StrictStr


class FileView(_Strict):
    kind: Literal["image", "file"]
    name: StrictStr


class ChatMessage(_Strict):
    """:func:`common.messages.chat_json`: what the user's own page shows."""

    id: StrictInt | None
    # The user's own words too: their other tabs show what they typed (their own topic).
    author: Literal["user", "bot", "agent", "system"]
    text: StrictStr
    buttons: list[Button]
    image: StrictStr | None
    file: FileView | None = None
    created_at: StrictStr | None


class ChatEvent(_Strict):
    type: Literal["message"]
    message: ChatMessage


class AgentView(_Strict):
    id: StrictInt
    email: StrictStr
    display_name: StrictStr
    presence: Literal["online", "away", "offline"]


class AttachmentView(_Strict):
    kind: StrictStr
    path: StrictStr | None = None
    name: StrictStr | None = None
    mime: StrictStr | None = None


class DeskMessage(_Strict):
    """:func:`handoff.views.desk_message`."""

    id: StrictInt
    author: Literal["user", "bot", "agent", "system"]
    kind: Literal["message", "note"]
    text: StrictStr
    buttons: list[Button]
    attachment: AttachmentView | None
    delivery: StrictStr | None
    delivery_error: StrictStr | None
    agent: AgentView | None
    created_at: StrictStr | None


class MessageEvent(_Strict):
    type: Literal["message", "delivery"]
    session_id: StrictInt
    conversation_id: StrictStr
    message: DeskMessage


class QueueEvent(_Strict):
    type: Literal["queue"]


class PresenceEvent(_Strict):
    type: Literal["presence"]
    agent: AgentView


class SessionView(_Strict):
    """:func:`handoff.views.summary`."""

    id: StrictInt
    ticket: StrictStr
    kind: Literal["chat", "ticket"]
    state: Literal["queued", "assigned", "resolved", "reopened"]
    priority: StrictStr
    reason: StrictStr
    language: StrictStr
    channel: StrictStr
    conversation_id: StrictStr
    summary: StrictStr
    queued_at: StrictStr | None
    assigned_at: StrictStr | None
    resolved_at: StrictStr | None
    due_at: StrictStr | None
    overdue: StrictBool
    waiting_seconds: StrictInt
    agent: AgentView | None
    csat: StrictInt | None
    tags: list[StrictStr]


class ReminderEvent(_Strict):
    type: Literal["reminder"]
    session: SessionView


DESK_EVENTS: dict[str, type[_Strict]] = {
    "queue": QueueEvent,
    "message": MessageEvent,
    "delivery": MessageEvent,
    "presence": PresenceEvent,
    "reminder": ReminderEvent,
}
CHAT_EVENTS: dict[str, type[_Strict]] = {"message": ChatEvent}


def _shapes(topic: str) -> dict[str, type[_Strict]] | None:
    if topic == DESK:
        return DESK_EVENTS
    kind, _, rest = topic.partition(":")
    channel, _, user = rest.partition(":")
    # chat_topic("<channel>:<user id>"): pushes go to the web chat's own pages only
    if kind == "chat" and channel == "webchat" and user and len(topic) <= 200:
        return CHAT_EVENTS
    return None


def problem(topic: str, event: Event) -> str | None:
    """Why *event* may not be delivered on *topic*, or None if it has a known shape."""
    shapes = _shapes(topic)
    if shapes is None:
        return "unknown topic"
    shape = shapes.get(str(event.get("type")))
    if shape is None:
        return "unknown event type"
    try:
        shape.parse_obj(event)
    except ValidationError as exc:
        return f"bad {event.get('type')} event ({len(exc.errors())} field errors)"
    if len(_texts(event)) > MAX_TEXT:
        return "text too long"
    return None


def _texts(event: dict[str, Any]) -> str:
    message = event.get("message")
    return str(message.get("text", "")) if isinstance(message, dict) else ""
