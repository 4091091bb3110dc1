"""Outbound to Telegram: split long text, inline keyboards, photos, flood limits, retries.

Text is sent without a parse mode, so nothing a user or agent writes can break the
markup (https://core.telegram.org/bots/api#formatting-options).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from common.channel import Connector, DeliveryFailed, Refused
from connectors.telegram._settings import TelegramSettings

log = logging.getLogger(__name__)

LIMIT = 4096  # characters per message (Bot API sendMessage)
CALLBACK_LIMIT = 64  # bytes of callback_data
# 400s that no retry can fix: the chat the message is for doesn't exist (any more).
GONE = ("chat not found", "user not found", "chat_id is empty", "peer_id_invalid")


def split_text(text: str, limit: int = LIMIT) -> list[str]:
    """Pieces of at most *limit* characters, cut at a paragraph, line or space if possible."""
    pieces = []
    while len(text) > limit:
        window = text[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def make_bot(settings: TelegramSettings) -> ExtBot[Any]:
    return ExtBot(
        settings.token.get_secret_value(),
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
        # Telegram's flood limits (30 msg/s overall, 1 msg/s per chat); it also
        # waits out a 429's retry_after.
        rate_limiter=AIORateLimiter(max_retries=settings.send_retries),
        # python-telegram-bot's default is one connection: every reply to every chat
        # would queue behind the one before (the rate limiter still keeps the pace).
        request=HTTPXRequest(connection_pool_size=32),
    )


class TelegramConnector(Connector):
    name = "telegram"

    def __init__(self, bot: ExtBot[Any], settings: TelegramSettings) -> None:
        self.bot = bot
        self._settings = settings
        self._ready = asyncio.Lock()
        self._initialized = False

    async def ensure_ready(self) -> None:
        """``getMe`` once, on first use (the rate limiter starts with it)."""
        async with self._ready:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True

    async def _call(self, what: str, send: object) -> None:
        """Retry network trouble with backoff; a refusal fails at once (the agent sees it)."""
        await self.ensure_ready()
        delay = self._settings.retry_seconds
        for attempt in range(1, self._settings.send_retries + 1):
            try:
                await send()  # type: ignore[operator]
                return
            except Forbidden as exc:  # blocked by the user, kicked, user deactivated: final
                raise Refused(f"Telegram refused {what}: {exc.message}") from exc
            except BadRequest as exc:  # bad input fails at once; a chat that's gone, for good
                error = Refused if any(g in exc.message.lower() for g in GONE) else DeliveryFailed
                raise error(f"Telegram refused {what}: {exc.message}") from exc
            except RetryAfter as exc:  # the rate limiter gave up waiting
                wait = exc.retry_after
                await asyncio.sleep(
                    wait.total_seconds() if hasattr(wait, "total_seconds") else wait
                )
            except (NetworkError, TelegramError) as exc:
                if attempt == self._settings.send_retries:
                    raise DeliveryFailed(f"Telegram unreachable for {what}: {exc}") from exc
                log.warning("Telegram %s failed (try %d): %s", what, attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
        raise DeliveryFailed(f"Telegram kept rate-limiting {what}")

    async def send_text_message(self, user_id: str, text: str) -> None:
        for piece in split_text(text):
            await self._call(
                "sendMessage", lambda piece=piece: self.bot.send_message(int(user_id), piece)
            )

    async def send_buttons(
        self, user_id: str, text: str, buttons: tuple[tuple[str, str], ...]
    ) -> None:
        if any(len(payload.encode()) > CALLBACK_LIMIT for _, payload in buttons):
            await super().send_buttons(user_id, text, buttons)  # numbered text instead
            return
        *head, last = split_text(text or "…")
        for piece in head:
            await self.send_text_message(user_id, piece)
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(title, callback_data=payload)] for title, payload in buttons]
        )
        await self._call(
            "sendMessage",
            lambda: self.bot.send_message(int(user_id), last, reply_markup=keyboard),
        )

    async def send_image(self, user_id: str, url: str, caption: str = "") -> None:
        await self._call(
            "sendPhoto", lambda: self.bot.send_photo(int(user_id), url, caption=caption[:1024])
        )
