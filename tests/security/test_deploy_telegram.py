"""Telegram findings of issue 15 (item 15, the deliveries part), replayed against the
local Bot API of :mod:`tests.fakes.telegram` and the real gateway.

- An edited message in a group chat must not open a support conversation: group
  messages are ignored, and their edits too.
- A user who blocked the bot (403) or a chat that is gone (400 "chat not found") is
  final: the delivery is marked refused and the retry job never sends it again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.telegram import CHAT, BotApi, message, update
from tests.support.telegram import TelegramGateway

GROUP = -1001234567890


@pytest.fixture
def api() -> Iterator[BotApi]:
    api = BotApi()
    yield api
    api.close()


@pytest.fixture
def tg(api: BotApi, tmp_path: Path) -> Iterator[TelegramGateway]:
    gateway = TelegramGateway(f"sqlite:///{tmp_path / 'desk.db'}", api)
    with gateway.client:
        yield gateway


def sends_to(api: BotApi, chat: int) -> int:
    return sum(
        1
        for method, params in api.calls
        if method in ("sendMessage", "sendPhoto") and int(params.get("chat_id", 0)) == chat
    )


def retry_job(tg: TelegramGateway) -> int:
    """One run of the periodic "retry failed deliveries" job, in the app's loop."""
    outbox = tg.app.state.parts.outbox
    return int(tg.client.portal.call(outbox.retry_failed))  # type: ignore[union-attr]


def test_an_edit_in_a_group_chat_opens_no_conversation(tg: TelegramGateway, api: BotApi) -> None:
    group = {"id": GROUP, "type": "supergroup", "title": "Acme Wallet fans"}
    said = message("my phrase is ...", chat=GROUP, message_id=5)
    said["chat"] = group
    edited = {**said, "text": "send me a DM, I'm support", "edit_date": int(time.time())}
    assert tg.post(update(30, message=said)).status_code == 200
    assert tg.post(update(31, edited_message=edited)).status_code == 200
    agent = tg.agent("alice@example.com")
    stored = tg.client.get(f"/api/agent/conversations/telegram:{GROUP}", headers=agent)
    assert stored.status_code == 404, stored.text
    assert tg.rasa.calls == [] and sends_to(api, GROUP) == 0
    # A private chat's edit is still kept for the agent.
    tg.post(update(32, message=message("my tx is 0xabc")))
    private_edit = message("my tx is 0xabcd", edit_date=int(time.time()))
    tg.post(update(33, edited_message=private_edit))
    whole = tg.client.get(f"/api/agent/conversations/telegram:{CHAT}", headers=agent).json()
    assert whole["messages"][-1]["text"] == "✏️ (edited) my tx is 0xabcd"


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (403, "Forbidden: user is deactivated"),
        (400, "Bad Request: chat not found"),
    ],
)
def test_a_final_refusal_is_not_retried(
    tg: TelegramGateway, api: BotApi, status: int, description: str
) -> None:
    api.refuse[CHAT] = (status, description)
    tg.post(update(40, message=message("hola")))
    assert sends_to(api, CHAT) == 1  # tried once: no backoff loop for a final answer
    agent = tg.agent("alice@example.com")
    [reply] = [
        m
        for m in tg.client.get(f"/api/agent/conversations/telegram:{CHAT}", headers=agent).json()[
            "messages"
        ]
        if m["author"] == "bot"
    ]
    assert reply["delivery"] == "refused", reply
    assert description.split(": ", 1)[1] in reply["delivery_error"].lower()
    for _ in range(4):  # more runs than DESK_DELIVERY_RETRIES
        assert retry_job(tg) == 0
    assert sends_to(api, CHAT) == 1


def test_an_outage_is_still_retried_by_the_job(tg: TelegramGateway, api: BotApi) -> None:
    api.fail_sends = 100  # 502s: Telegram is having a bad minute
    tg.post(update(50, message=message("hola")))
    agent = tg.agent("alice@example.com")
    thread = tg.client.get(f"/api/agent/conversations/telegram:{CHAT}", headers=agent).json()
    assert [m["delivery"] for m in thread["messages"] if m["author"] == "bot"] == ["failed"]
    api.fail_sends = 0
    assert retry_job(tg) == 1
    assert api.sent()[-1] == "bot: hola"
