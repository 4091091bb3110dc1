"""The gateway in-process with Telegram mounted on the fake Bot API
(:mod:`tests.fakes.telegram`); python-telegram-bot talks to it through ``base_url``."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from pydantic import SecretStr

from common.settings import DeskSettings
from connectors import telegram
from connectors.telegram import TelegramSettings
from gateway import create_app
from gateway.rasa import RasaClient
from tests.fakes.rasa import FakeRasa, LongRasa
from tests.fakes.telegram import SECRET, TOKEN, BotApi
from tests.support.gateway import ALWAYS, Gateway
from tests.support.waiting import wait_until


def settings(api: BotApi, **extra: Any) -> TelegramSettings:
    return TelegramSettings(
        token=SecretStr(TOKEN),
        webhook_secret=SecretStr(SECRET),
        base_url=f"{api.url}/bot",
        base_file_url=f"{api.url}/file/bot",
        retry_seconds=0.01,
        **extra,
    )


class TelegramGateway(Gateway):
    """*extra* goes to :class:`TelegramSettings`; Rasa is a :class:`LongRasa` unless given."""

    def __init__(
        self,
        url: str,
        api: BotApi,
        rasa: FakeRasa | None = None,
        desk: DeskSettings = ALWAYS,
        **extra: Any,
    ) -> None:
        self.url = url
        self.api = api
        self.rasa = rasa or LongRasa()
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.rasa))
        config = settings(api, **extra)
        self.app = create_app(
            desk,
            url,
            RasaClient("http://rasa.test", client=client),
            channels=[lambda app, host: telegram.mount(app, host, config)],
        )
        self.client = TestClient(self.app)

    def post(self, body: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        """The webhook's answer, once the turn it started (in the background) is done."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = self.client.post("/telegram/webhook", json=body, headers=headers)
        router = self.app.state.parts.router
        wait_until(lambda: router.background.running == 0, 30, "a Telegram turn never finished")
        return response
