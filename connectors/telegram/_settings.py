"""Telegram settings (env prefix ``TELEGRAM_``): off until a token is configured."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseSettings, SecretStr, validator


class TelegramSettings(BaseSettings):
    token: SecretStr = SecretStr("")
    # webhook: Telegram POSTs to /telegram/webhook (needs a public HTTPS URL);
    # polling: the gateway asks Telegram (for an operator without one).
    mode: Literal["webhook", "polling"] = "webhook"
    webhook_secret: SecretStr = SecretStr("")
    # If set, the gateway registers this URL with Telegram at start (setWebhook).
    webhook_url: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    send_retries: int = 4
    retry_seconds: float = 1.0
    poll_timeout_seconds: int = 25

    class Config:
        env_prefix = "TELEGRAM_"
        env_file = ".env"
        extra = "ignore"

    @validator("webhook_secret")
    def _secret_format(cls, value: SecretStr) -> SecretStr:
        # Telegram's rule for secret_token: 1-256 of A-Z, a-z, 0-9, _ and -.
        raw = value.get_secret_value()
        if raw and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", raw):
            raise ValueError("use 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @property
    def configured(self) -> bool:
        return bool(self.token.get_secret_value())

    def missing(self) -> list[str]:
        """What a configured bot still lacks, by environment variable name."""
        if self.mode == "webhook" and not self.webhook_secret.get_secret_value():
            return ["TELEGRAM_WEBHOOK_SECRET (webhook mode checks it on every update)"]
        return []
