"""What a channel gets from the gateway when it is mounted, and what it may ask of it.

A channel turns platform payloads into :class:`common.messages.InboundMessage` and
hands them to the gateway's router; it never decides who answers. Replies come
back through the :class:`common.channel.Connector` it registers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from common.channel import Connector
from common.messages import InboundMessage, OutboundMessage
from events import EventHub
from store.jobs import Scheduler
from store.models import Message


@dataclass
class Turn:
    """One routed message: the stored user message and what was sent back."""

    message: Message
    replies: list[OutboundMessage] = field(default_factory=list)
    duplicate: bool = False  # a redelivery of a message already stored; nothing was done
    # Set when a limit refused part of the turn (a new handoff from an address that
    # opened too many): the user was told, and may try again in this many seconds.
    retry_after: int | None = None
    # The language the user was answered in (the channel's error texts use it too).
    language: str | None = None
    # A turn accepted to be answered in the background (MessageRouter.accept): the
    # answer, running. None once answered, or when there is nothing to answer.
    rest: Awaitable[Turn] | None = None


class MessageRouter(Protocol):
    """The gateway's router, as channels see it."""

    async def handle(self, message: InboundMessage) -> Turn:
        """Store *message* and have the bot or the agent answer it."""

    async def accept(self, message: InboundMessage) -> Turn:
        """Store *message* and return; the bot or the agent answers it in the background
        (the returned turn's ``rest``). A process that dies first leaves it pending,
        and another process's recovery job answers it."""

    async def keep(self, message: InboundMessage) -> Turn:
        """Store *message* for the agent only (an edit, say): nobody answers it."""

    async def answer(self, message: InboundMessage, reply: OutboundMessage) -> Turn:
        """Store *message* and send *reply*, which the channel chose itself (a /help)."""

    def scrub(self, text: str) -> str:
        """*text* with any secret the guard finds redacted: for what a channel keeps
        itself (an email thread's subject, repeated in every reply)."""


@dataclass
class ChannelHost:
    """What the gateway hands a channel's ``mount``."""

    router: MessageRouter
    database: sessionmaker[Session]
    hub: EventHub
    jobs: Scheduler
    connectors: dict[str, Connector]  # a channel adds its sender here, by its name
    stopping: Callable[[], bool]  # true once the gateway shuts down: loops end


# A channel's background loop (long polling, say), run for the gateway's lifetime.
Runner = Callable[[], Awaitable[None]]
