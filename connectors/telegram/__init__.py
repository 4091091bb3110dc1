"""Telegram connector (python-telegram-bot 22): webhook or long polling, by configuration.

The bot is off until ``TELEGRAM_TOKEN`` is set; the gateway then mounts it.
"""

from __future__ import annotations

from fastapi import FastAPI

from common.settings import ConfigurationError
from connectors._host import ChannelHost, Runner
from connectors.telegram._connector import TelegramConnector, make_bot, split_text
from connectors.telegram._routes import poll, webhook_routes
from connectors.telegram._settings import TelegramSettings
from connectors.telegram._updates import command_text, handle_update


def mount(
    app: FastAPI, host: ChannelHost, settings: TelegramSettings | None = None
) -> Runner | None:
    """Webhook routes or a polling loop, once ``TELEGRAM_TOKEN`` is set (else nothing)."""
    settings = settings or TelegramSettings()
    if not settings.configured:
        return None
    missing = settings.missing()
    if missing:
        raise ConfigurationError(f"Telegram is configured but lacks {', '.join(missing)}")
    connector = TelegramConnector(make_bot(settings), settings)
    host.connectors[connector.name] = connector
    if settings.mode == "polling":
        return lambda: poll(host, connector, settings)
    app.include_router(webhook_routes(host, connector, settings))

    async def register() -> None:
        await connector.ensure_ready()
        if settings.webhook_url:
            await connector.bot.set_webhook(
                settings.webhook_url,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=["message", "edited_message", "callback_query"],
            )

    return register


__all__ = [
    "TelegramConnector",
    "TelegramSettings",
    "command_text",
    "handle_update",
    "mount",
    "split_text",
]
