"""The Telegram connector against the local Bot API of :mod:`tests.fakes.telegram`.

python-telegram-bot talks to it through ``base_url``; the updates are real-format
``Update`` JSON. Rasa is :class:`tests.fakes.rasa.LongRasa`.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from common.settings import ConfigurationError
from connectors import telegram
from connectors.telegram import TelegramSettings, command_text, split_text
from gateway import create_app
from store.db import make_engine, session_factory
from store.models import Message
from tests.fakes.telegram import CHAT, PNG, SECRET, TOKEN, BotApi, message, update, user
from tests.support.gateway import ALWAYS
from tests.support.randomness import recovery_phrase, seeded
from tests.support.telegram import TelegramGateway
from tests.support.waiting import wait_until


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


def test_the_webhook_refuses_a_bad_or_missing_secret(tg: TelegramGateway, api: BotApi) -> None:
    assert tg.post(update(1, message=message("hola")), secret=None).status_code == 403
    assert tg.post(update(1, message=message("hola")), secret="wrong").status_code == 403
    bad = tg.client.post(
        "/telegram/webhook",
        content=b"{not json",
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert tg.rasa.calls == [] and api.sent() == []  # (getMe ran at start-up)


def test_text_goes_to_the_bot_and_the_reply_comes_back_with_a_keyboard(
    tg: TelegramGateway, api: BotApi
) -> None:
    assert tg.post(update(10, message=message("hola"))).json() == {"ok": True}
    [call] = tg.rasa.calls
    assert call["sender"] == f"telegram:{CHAT}"
    assert call["metadata"] == {"channel": "telegram", "language": "es"}
    [(_, params)] = [c for c in api.calls if c[0] == "sendMessage"]
    assert params["text"] == "bot: hola" and int(params["chat_id"]) == CHAT
    keyboard = json.loads(params["reply_markup"])["inline_keyboard"]
    assert keyboard == [[{"text": "Yes", "callback_data": "/affirm"}]]


def test_a_replayed_update_is_processed_once(tg: TelegramGateway, api: BotApi) -> None:
    first = tg.post(update(11, message=message("hola")))
    again = tg.post(update(11, message=message("hola")))
    assert first.json() == {"ok": True} and again.json()["duplicate"] is True
    assert len(tg.rasa.calls) == 1 and len(api.sent()) == 1


def test_long_replies_are_split_at_4096(tg: TelegramGateway, api: BotApi) -> None:
    tg.post(update(12, message=message("long")))
    pieces = api.sent()
    assert len(pieces) == 2 and all(len(p) <= 4096 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == (
        ("A fairly long paragraph about network fees. " * 60) * 3
    ).replace(" ", "")
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


def test_a_photo_is_saved_for_the_agent(tg: TelegramGateway, api: BotApi) -> None:
    photo = [
        {"file_id": "small", "file_unique_id": "s1", "width": 90, "height": 90},
        {"file_id": "big", "file_unique_id": "b1", "width": 800, "height": 800},
    ]
    tg.post(update(13, message=message(photo=photo, caption="human")))
    assert ("getFile", {"file_id": "big"}) in api.calls
    agent = tg.agent("alice@example.com")
    [session] = tg.queue(agent)
    detail = tg.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    [shot] = [m for m in detail["messages"] if m["attachment"]]
    assert shot["text"] == "human" and shot["attachment"]["kind"] == "image"
    image = tg.client.get(f"/api/agent/media/{shot['id']}", headers=agent)
    assert image.status_code == 200 and image.content == PNG
    assert tg.client.get(f"/api/agent/media/{shot['id']}").status_code == 401


@pytest.mark.parametrize("caption", ["human", None])
@pytest.mark.parametrize("secret", ["phrase", "key"])
def test_a_document_named_with_a_secret_is_stored_logged_and_shown_redacted(
    tg: TelegramGateway,
    api: BotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    secret: str,
    caption: str | None,
) -> None:
    """Issue 17: a document's file name was stored (and shown to agents) unscrubbed."""
    caplog.set_level(logging.DEBUG)
    rng = seeded(f"telegram-file-name-{secret}-{caption}")
    if secret == "phrase":
        words = recovery_phrase(rng).split()
        name = " ".join(words) + ".txt"
        pieces = [" ".join(words[k : k + 4]) for k in range(len(words) - 3)]
    else:
        key = rng.randbytes(32).hex()
        name, pieces = f"{key}.txt", [key]
    document = {"file_id": "doc", "file_unique_id": "d1", "file_name": name}
    extra: dict[str, Any] = {"document": document}
    if caption:
        extra["caption"] = caption
    tg.post(update(14, message=message(**extra)))
    assert ("getFile", {"file_id": "doc"}) in api.calls
    agent = tg.agent("alice@example.com")
    [session] = tg.queue(agent)
    detail = tg.client.get(f"/api/agent/sessions/{session['id']}", headers=agent)
    [kept] = [m for m in detail.json()["messages"] if m["attachment"]]
    assert "[redacted: " in kept["attachment"]["name"]
    download = tg.client.get(f"/api/agent/media/{kept['id']}", headers=agent)
    engine = make_engine(tg.url)
    with session_factory(engine)() as db:
        stored = [(m.text, json.dumps(m.attachment)) for m in db.execute(select(Message)).scalars()]
    engine.dispose()
    seen = {
        "agent": detail.text,
        "download": download.headers.get("content-disposition", ""),
        "database": json.dumps(stored, ensure_ascii=False),
        "log": caplog.text,
        "user": " ".join(api.sent()),
    }
    for where, text in seen.items():
        assert not [p for p in pieces if p in text], where


def test_commands(tg: TelegramGateway, api: BotApi) -> None:
    tg.post(update(20, message=message("/start")))
    assert tg.rasa.calls[-1]["message"] == "/greet"
    assert tg.rasa.calls[-1]["metadata"]["language"] == "es"
    tg.post(update(21, message=message("/help", message_id=2)))
    assert "/human" in api.sent()[-1] and "frase de recuperación" in api.sent()[-1]
    tg.post(update(22, message=message("/lang", message_id=3)))
    keyboard = json.loads(api.calls[-1][1]["reply_markup"])["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["中文", "English", "Español"]
    tg.post(update(23, message=message("/human", message_id=4)))
    assert tg.rasa.calls[-1]["message"] == "/request_human"
    assert len(tg.rasa.calls) == 2  # /help and /lang were answered without the bot
    assert command_text("/lang zh") == '/change_language{"language": "zh"}'
    assert command_text("/start@sup_bot") == "/greet"


def test_a_button_press_sends_its_payload_and_shows_its_title(
    tg: TelegramGateway, api: BotApi
) -> None:
    tg.post(update(30, message=message("hola")))
    sent = api.calls[-1][1]
    callback = {
        "id": "cb1",
        "from": user(),
        "chat_instance": "ci",
        "data": "/affirm",
        "message": {
            "message_id": 1001,
            "date": int(time.time()),
            "chat": {"id": CHAT, "type": "private"},
            "text": sent["text"],
            "reply_markup": json.loads(sent["reply_markup"]),
        },
    }
    tg.post(update(31, callback_query=callback))
    assert ("answerCallbackQuery", {"callback_query_id": "cb1"}) in api.calls
    assert tg.rasa.calls[-1]["message"] == "/affirm"
    agent = tg.agent("alice@example.com")
    tg.post(update(32, message=message("human", message_id=5)))
    [session] = tg.queue(agent)
    detail = tg.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    assert [m["text"] for m in detail["messages"] if m["author"] == "user"][:2] == ["hola", "Yes"]


def test_an_edit_is_kept_for_the_agent_but_not_replayed_to_the_bot(
    tg: TelegramGateway, api: BotApi
) -> None:
    tg.post(update(40, message=message("my tx is 0xabc")))
    edited = message("my tx is 0xabcd", edit_date=int(time.time()))
    tg.post(update(41, edited_message=edited))
    assert len(tg.rasa.calls) == 1 and len(api.sent()) == 1
    agent = tg.agent("alice@example.com")
    whole = tg.client.get(f"/api/agent/conversations/telegram:{CHAT}", headers=agent).json()
    assert whole["messages"][-1]["text"] == "✏️ (edited) my tx is 0xabcd"


def test_the_journey_on_telegram(tg: TelegramGateway, api: BotApi) -> None:
    agent = tg.agent("alice@example.com")
    tg.post(update(50, message=message("human")))
    assert "puesto 1" in api.sent()[-1]  # the queue position, in Spanish
    [session] = tg.queue(agent)
    sid = session["id"]
    assert session["channel"] == "telegram" and session["language"] == "es"
    tg.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent)
    assert "Alice" in api.sent()[-1]
    tg.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "Hola, soy Alice"}, headers=agent
    )
    assert api.sent()[-1] == "Hola, soy Alice"
    tg.post(update(51, message=message("gracias", message_id=2)))
    assert len(tg.rasa.calls) == 1  # held by the agent: the bot is silent
    tg.client.post(f"/api/agent/sessions/{sid}/resolve", headers=agent)
    rating = json.loads(api.calls[-1][1]["reply_markup"])["inline_keyboard"]
    assert [row[0]["callback_data"] for row in rating] == ["1", "2", "3", "4", "5"]
    callback = {"id": "cb9", "from": user(), "chat_instance": "ci", "data": "5"}
    tg.post(update(52, callback_query=callback))
    assert "Gracias por tu valoración" in api.sent()[-1]
    [done] = tg.queue(agent, "resolved")
    assert done["csat"] == 5


def test_an_outage_is_retried_then_marked_failed_for_the_agent(
    tg: TelegramGateway, api: BotApi
) -> None:
    api.fail_sends = 2
    tg.post(update(60, message=message("hola")))
    assert api.sent()[-1] == "bot: hola"  # delivered on the third try
    api.fail_sends = 100
    agent = tg.agent("alice@example.com")
    tg.post(update(61, message=message("human", message_id=2)))
    [session] = tg.queue(agent)
    detail = tg.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    failed = [m for m in detail["messages"] if m["delivery"] == "failed"]
    assert failed and "Telegram unreachable" in failed[0]["delivery_error"]


def test_configuration_is_all_or_nothing(api: BotApi, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    off = TelegramSettings(token=SecretStr(""))
    none = create_app(ALWAYS, url, channels=[lambda app, desk: telegram.mount(app, desk, off)])
    with TestClient(none) as client:
        assert client.post("/telegram/webhook", json={}).status_code == 404
    half = TelegramSettings(token=SecretStr(TOKEN), webhook_secret=SecretStr(""))
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        create_app(ALWAYS, url, channels=[lambda app, desk: telegram.mount(app, desk, half)])
    with pytest.raises(ValueError, match="A-Z"):
        TelegramSettings(token=SecretStr(TOKEN), webhook_secret=SecretStr("has spaces"))


def test_of_two_polling_gateways_only_the_lease_holder_polls(
    api: BotApi, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.telegram import _routes

    attempts: list[tuple[str, bool]] = []  # (gateway, whether it got the polling lease)
    hold = _routes._hold

    def recording(host: Any, settings: TelegramSettings) -> bool:
        held = hold(host, settings)
        attempts.append((host.jobs.holder, held))
        return held

    monkeypatch.setattr(_routes, "_hold", recording)
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    api.offer(update(80, message=message("hola")))
    one = TelegramGateway(url, api, mode="polling", poll_timeout_seconds=0)
    two = TelegramGateway(url, api, mode="polling", poll_timeout_seconds=0)
    with one.client, two.client:
        wait_until(
            lambda: one.rasa.calls or two.rasa.calls, 10, "the polled update never reached the bot"
        )
        # Done with it: the holder polls again only once the update is handled, and
        # the other gateway has asked for the lease (and been refused).
        handled = api.handed_out[80][-1]
        wait_until(
            lambda: api.polls > handled, 10, "the lease holder never polled again after the update"
        )
        wait_until(
            lambda: any(not held for _, held in attempts),
            10,
            lambda: (
                "the second gateway never asked for the polling lease; granted per "
                f"gateway: {Counter(holder for holder, held in attempts if held)}"
            ),
        )
    assert len(one.rasa.calls) + len(two.rasa.calls) == 1
    granted = Counter(holder for holder, held in attempts if held)
    assert len(granted) == 1, granted
    # Telegram allows one getUpdates caller: only the lease holder ever started polling.
    assert [m for m, _ in api.calls].count("deleteWebhook") == 1


def test_long_polling_processes_each_update_once(api: BotApi, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    api.offer(update(70, message=message("hola")), update(71, message=message("adiós")))
    gateway = TelegramGateway(url, api, mode="polling", poll_timeout_seconds=0)
    with gateway.client:
        wait_until(
            lambda: len(gateway.rasa.calls) >= 2, 10, "the two polled updates never reached the bot"
        )
        api.offer(update(71, message=message("adiós")))  # redelivered after a restart

        def redelivery_handled() -> bool:
            # Handed out a second time, and polled after: the poller handles a batch
            # before it asks for the next one.
            polls = api.handed_out.get(71, [])
            return len(polls) == 2 and api.polls > polls[-1]

        wait_until(redelivery_handled, 10, "the redelivered update was never polled and handled")
    assert [c["message"] for c in gateway.rasa.calls] == ["hola", "adiós"]
    assert "deleteWebhook" in [m for m, _ in api.calls]
