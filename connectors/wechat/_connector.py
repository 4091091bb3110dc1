"""Outbound to WeChat: a passive reply when the bot is quick, customer-service messages
otherwise, within the 48-hour window and its quota.

While a user's request is open (WeChat waits up to 5 s for the HTTP answer), replies for
that user are collected in a *slot* and returned as the passive reply. Replies after the
deadline, and agent replies at any time, go out as customer-service messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from common.channel import Connector, Undeliverable, shown_error
from common.clock import utcnow
from common.messages import OutboundMessage
from connectors.wechat._client import UNREACHABLE, Client, send_text
from connectors.wechat._settings import WeChatSettings
from store import cache, messages
from store.models import Conversation

log = logging.getLogger(__name__)

LIMIT = 2048  # bytes of UTF-8 per text message, the safe bound for passive and CS replies
BUTTONS_TTL = timedelta(days=2)


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most *limit* UTF-8 bytes, cut at a line break or sentence end if possible."""
    pieces: list[str] = []
    while len(text.encode()) > limit:
        cut = len(text.encode()[:limit].decode(errors="ignore"))
        window = text[:cut]
        best = max(window.rfind(mark) for mark in ("\n", "。", ". ", "！", "？", " "))
        cut = best + 1 if best > cut // 2 else cut
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def numbered(message: OutboundMessage) -> tuple[str, dict[str, str]]:
    """WeChat has no quick replies: number them, and remember what each number means."""
    if not message.buttons:
        return message.text, {}
    lines = [f"{i}. {title}" for i, (title, _) in enumerate(message.buttons, 1)]
    hint = "（回复数字即可）"
    text = "\n".join(filter(None, [message.text, *lines, hint]))
    return text, {str(i): payload for i, (_, payload) in enumerate(message.buttons, 1)}


class WeChatConnector(Connector):
    name = "wechat"

    def __init__(
        self, settings: WeChatSettings, client: Client, sessions: sessionmaker[Session]
    ) -> None:
        self.settings = settings
        self.client = client
        self._sessions = sessions
        # Per user with an open request: (message id, text) collected for the passive reply.
        self._slots: dict[str, list[tuple[int | None, str]]] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    # --- passive replies -----------------------------------------------------------

    def open_slot(self, openid: str) -> None:
        self._slots[openid] = []

    def close_slot(self, openid: str) -> list[tuple[int | None, str]]:
        return self._slots.pop(openid, [])

    async def send_late(self, openid: str, items: list[tuple[int | None, str]]) -> None:
        """Replies that missed the passive window, as customer-service messages.

        The desk saw them as sent when they went into the slot, so a failure here is
        recorded on the messages themselves (kept for later, or failed).
        """
        for message_id, text in items:
            try:
                await self.send(openid, OutboundMessage(text=text))
            except Undeliverable as exc:
                self._mark(message_id, "undelivered", str(exc))
            except Exception as exc:
                log.warning("a late WeChat reply failed: %s", exc)
                self._mark(message_id, "failed", shown_error(exc))

    def _mark(self, message_id: int | None, status: str, error: str) -> None:
        if message_id is not None:
            with self._sessions.begin() as db:
                messages.mark_delivery(db, message_id, status, error)

    # --- sending -----------------------------------------------------------------------

    async def send_text_message(self, user_id: str, text: str) -> None:
        await self.send(user_id, OutboundMessage(text=text))

    async def send(self, user_id: str, message: OutboundMessage) -> None:
        text, choices = numbered(message)
        if message.image:
            text = f"{text}\n{message.image}".strip()
        if choices:
            self._remember(user_id, choices)
        slot = self._slots.get(user_id)
        if slot is not None:
            slot.append((message.id, text))
            return
        async with self._locks[user_id]:  # one user's messages go out in order
            for piece in split_text(text):
                self._check_window(user_id)
                await send_text(self.client, self.settings, user_id, piece)
                self._count(user_id)

    def _check_window(self, openid: str) -> None:
        with self._sessions() as db:
            conversation = db.get(Conversation, f"wechat:{openid}")
            last = conversation.last_inbound_at if conversation else None
            sent = conversation.sent_since_inbound if conversation else 0
        if last is None:
            raise Undeliverable(UNREACHABLE)
        if utcnow() - last > timedelta(hours=self.settings.window_hours):
            raise Undeliverable(UNREACHABLE)
        if sent >= self.settings.window_quota:
            raise Undeliverable(f"{UNREACHABLE} (message quota used)")

    def _count(self, openid: str) -> None:
        with self._sessions.begin() as db:
            conversation = db.get(Conversation, f"wechat:{openid}")
            if conversation is not None:
                conversation.sent_since_inbound += 1

    # --- numbered choices ------------------------------------------------------------------

    def _remember(self, openid: str, choices: dict[str, str]) -> None:
        with self._sessions.begin() as db:
            cache.cache(db, f"wechat:choices:{openid}", json.dumps(choices), utcnow() + BUTTONS_TTL)

    def choice(self, openid: str, text: str) -> tuple[str, str] | None:
        """A typed "2" that picks a numbered option: (payload, title-ish text)."""
        key = text.strip()
        if not key.isdigit():
            return None
        with self._sessions() as db:
            raw = cache.cached(db, f"wechat:choices:{openid}", utcnow())
        choices: dict[str, str] = json.loads(raw) if raw else {}
        return (choices[key], key) if key in choices else None
