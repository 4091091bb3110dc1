"""The WeChat access token under trouble, against the local WeChat API of
:mod:`tests.fakes.wechat`: a token WeChat calls invalid (40001) while the token
endpoint is slow, and token fetches that fail without showing the app secret."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from wechatpy.exceptions import WeChatClientException

from common.channel import DeliveryFailed
from connectors.wechat import WeChatSettings
from connectors.wechat._client import Client, DatabaseStorage, send_text
from store import migrate
from store.db import make_engine, session_factory
from tests.fakes.wechat import APP_ID, OPENID, TOKEN, WeChatApi
from tests.support.processes import free_port

SECRET = "app-secret-do-not-show"
SENDERS = 20


@pytest.fixture
def api() -> Iterator[WeChatApi]:
    api = WeChatApi()
    yield api
    api.close()


def client_for(tmp_path: Path, api_base: str) -> Client:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    settings = WeChatSettings(
        app_id=APP_ID,
        app_secret=SecretStr(SECRET),
        token=SecretStr(TOKEN),
        api_base=api_base,
        retry_seconds=0.05,
    )
    return Client(settings, DatabaseStorage(session_factory(engine)))


def test_a_stale_token_with_a_slow_token_endpoint_costs_one_fetch(
    api: WeChatApi, tmp_path: Path
) -> None:
    client = client_for(tmp_path, api.url)
    client.storage.set(client.access_token_key, "REVOKED", 7200)  # WeChat voided it
    api.only_own_tokens, api.token_delay = True, 1.0
    settings = client_settings(client)

    async def everyone() -> list[BaseException | None]:
        sends = [send_text(client, settings, f"{OPENID}{i}", f"m{i}") for i in range(SENDERS)]
        return await asyncio.gather(*sends, return_exceptions=True)

    outcomes = asyncio.run(everyone())
    assert outcomes == [None] * SENDERS  # no RecursionError, nothing lost
    assert api.calls["/cgi-bin/token"] == 1
    # Each sender: the refused try with the stale token, then one with the new one.
    assert api.calls["/cgi-bin/message/custom/send"] <= 2 * SENDERS
    assert sorted(m["text"]["content"] for m in api.sent) == sorted(f"m{i}" for i in range(SENDERS))


def client_settings(client: Client) -> WeChatSettings:
    return WeChatSettings(
        app_id=APP_ID,
        app_secret=SecretStr(SECRET),
        token=SecretStr(TOKEN),
        api_base=client.API_BASE_URL.removesuffix("/cgi-bin/"),
        retry_seconds=0.05,
    )


def test_a_failed_token_fetch_never_shows_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: requests quotes the URL
    client = client_for(tmp_path, nowhere)
    with pytest.raises(WeChatClientException) as raised:
        client.fetch_access_token()
    assert SECRET not in str(raised.value) and SECRET not in repr(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(send_text(client, client_settings(client), OPENID, "hello"))
    assert SECRET not in str(failed.value) and SECRET not in repr(client)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "failed" in logged and SECRET not in logged


def test_used_nonces_are_forgotten_once_their_timestamps_are_refused(tmp_path: Path) -> None:
    from datetime import timedelta

    from common.clock import utcnow
    from connectors.wechat._push import NONCES, PushCheck
    from store.models import Delivery

    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    check = PushCheck(WeChatSettings(app_id=APP_ID, token=SecretStr(TOKEN)), sessions)
    with sessions.begin() as db:
        assert check.first_use(db, "sig", "1") and not check.first_use(db, "sig", "1")
        db.add(Delivery(channel=NONCES, key="sig:old", created_at=utcnow() - timedelta(hours=1)))
        db.add(Delivery(channel="wechat", key="12345", created_at=utcnow() - timedelta(hours=1)))
    assert asyncio.run(check.purge()) == 1
    with sessions() as db:
        assert db.get(Delivery, (NONCES, "sig:1")) is not None  # still inside the window
        assert db.get(Delivery, (NONCES, "sig:old")) is None
        assert db.get(Delivery, ("wechat", "12345")) is not None  # MsgIds are kept
