"""Outbound to WeChat: a passive reply when the bot is quick, customer-service messages
otherwise, within the 48-hour window and its quota.

While a push is open (WeChat waits up to 5 s for the HTTP answer), the replies of *its*
turn are collected in a *slot* and returned as its passive reply. A slot belongs to one
push (its MsgId, or an event's key), and the turn finds it through a context variable
set when the turn's task is created: another push from the same user, a forged one
included, has its own slot and never receives this one's replies. Replies after the
deadline, and agent replies at any time, go out as customer-service messages.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections import defaultdict
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

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
Item = tuple[int | None, str]  # a reply collected for a passive answer: (message id, text)
# The slot of the push whose turn is running in this task (tasks copy the context).
_SLOT: contextvars.ContextVar[str | None] = contextvars.ContextVar("wechat_slot", default=None)


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
        # Per open push (its slot key): the user it came from, and the replies collected.
        self._slots: dict[str, tuple[str, list[Item]]] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._turns = asyncio.Semaphore(max(1, settings.concurrent_turns))
        self._waiting = 0  # turns queued for a place
        self.turn_seconds = 0.5  # a moving average of how long a turn takes

    # --- passive replies -----------------------------------------------------------

    def start(self, key: str, openid: str, turn: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run *turn* for the push *key* (unique: one delivery), collecting its replies.

        An existing slot is never replaced: a second push with the same key gets none.
        """
        if key not in self._slots:
            self._slots[key] = (openid, [])
            slot = _SLOT.set(key)
            try:
                return asyncio.ensure_future(self._gated(turn))
            finally:
                _SLOT.reset(slot)
        return asyncio.ensure_future(self._gated(turn))

    async def _gated(self, turn: Coroutine[Any, Any, Any]) -> Any:
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        started = time.monotonic()
        try:
            return await turn
        finally:
            self._turns.release()
            # Capped: one turn stuck on a Rasa time-out must not make every later one
            # look hopeless.
            took = min(time.monotonic() - started, self.settings.reply_deadline_seconds)
            self.turn_seconds += 0.2 * (took - self.turn_seconds)

    def hopeless(self, remaining: float) -> bool:
        """Whether a turn queued now can't finish within *remaining* seconds: only
        when others are already waiting, judged by how long turns have been taking."""
        rounds = self._waiting // max(1, self.settings.concurrent_turns)
        return rounds > 0 and (rounds + 1) * self.turn_seconds > remaining

    def running(self, key: str) -> bool:
        """Whether the push *key*'s turn is in flight in this process (its slot is open)."""
        return key in self._slots

    def close_slot(self, key: str) -> list[Item]:
        return self._slots.pop(key, ("", []))[1]

    async def send_late(self, openid: str, items: list[Item]) -> None:
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
        key = _SLOT.get()
        slot = self._slots.get(key) if key is not None else None
        if slot is not None and slot[0] == user_id:
            slot[1].append((message.id, text))
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
