"""The webhook (Telegram POSTs updates here) and the long-polling loop.

The webhook answers 200 as soon as the update's message is stored (pending, with
its ``update_id``, in one transaction), and the turn runs on, detached from it:
Telegram no longer waits for the bot, and its delivery to this chat no longer
stalls behind a slow turn. A gateway killed after the 200 leaves the turn pending,
and another gateway's recovery job answers it (``Router.recover``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from telegram import Update
from telegram.error import TelegramError

from common.clock import utcnow
from connectors._host import ChannelHost
from connectors.telegram._connector import TelegramConnector
from connectors.telegram._settings import TelegramSettings
from connectors.telegram._updates import accept_update, handle_update
from store import leases

log = logging.getLogger(__name__)


def webhook_routes(
    host: ChannelHost, connector: TelegramConnector, settings: TelegramSettings
) -> APIRouter:
    api = APIRouter(tags=["telegram"])
    secret = settings.webhook_secret.get_secret_value()

    @api.post("/telegram/webhook", responses={403: {"description": "bad secret token"}})
    async def webhook(
        request: Request,
        x_telegram_bot_api_secret_token: str = Header(""),
    ) -> dict[str, Any]:
        """Telegram's update delivery; checks ``X-Telegram-Bot-Api-Secret-Token``."""
        if not hmac.compare_digest(x_telegram_bot_api_secret_token, secret):
            log.warning("Telegram webhook call with a bad or missing secret token refused")
            raise HTTPException(403, "bad or missing X-Telegram-Bot-Api-Secret-Token")
        try:
            data = await request.json()
            update = Update.de_json(data, connector.bot)
        except Exception as exc:
            raise HTTPException(400, f"not a Telegram update: {exc}") from exc
        if update is None:
            raise HTTPException(400, "not a Telegram update")
        # The turn runs detached from this request. Not as a Starlette background
        # task: that one holds the connection until it ends, and Telegram sends the
        # next update down the same keep-alive connection.
        turn = await accept_update(update, connector, host.router)
        if turn is not None and turn.duplicate:
            return {"ok": True, "duplicate": True}
        return {"ok": True}

    return api


POLL_LEASE = "telegram_polling"


def _hold(host: ChannelHost, settings: TelegramSettings) -> bool:
    """Take or renew the polling lease: Telegram allows one getUpdates caller per bot."""
    ttl = timedelta(seconds=settings.poll_timeout_seconds + 30)
    with host.database.begin() as db:
        holder = host.jobs.holder
        return leases.acquire(db, POLL_LEASE, ttl, utcnow(), holder=holder, renew=True)


async def poll(host: ChannelHost, connector: TelegramConnector, settings: TelegramSettings) -> None:
    """Long polling: for an operator without a public URL. Never both with a webhook.

    With several gateway processes, the one holding the polling lease polls; the
    others wait and take over within a minute if it dies.
    """
    await connector.ensure_ready()
    offset: int | None = None
    delay = 1.0
    holding = False
    while not host.stopping():
        if not await asyncio.to_thread(_hold, host, settings):
            holding = False
            await asyncio.sleep(5)
            continue
        if not holding:
            await connector.bot.delete_webhook()  # Telegram refuses getUpdates while one is set
            holding = True
        try:
            updates = await connector.bot.get_updates(
                offset=offset, timeout=settings.poll_timeout_seconds
            )
        except TelegramError as exc:
            log.warning("Telegram getUpdates failed: %s; retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60)
            continue
        delay = 1.0
        for update in updates:
            offset = update.update_id + 1
            await handle_update(update, connector, host.router)
