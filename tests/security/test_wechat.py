"""Attacks on the WeChat server URL, over HTTP against the real gateway, with signatures
computed here the way WeChat computes them (and safe-mode bodies encrypted with
wechatpy's own crypto). Rasa is :class:`tests.fakes.rasa.SlowRasa`, which echoes."""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from wechatpy.crypto import WeChatCrypto

from connectors import wechat
from connectors.wechat import WeChatSettings
from gateway import create_app
from gateway.rasa import RasaClient
from store.db import make_engine, session_factory
from store.models import Message
from tests.fakes.rasa import SlowRasa
from tests.fakes.wechat import AES_KEY, APP_ID, OPENID, TOKEN, WeChatApi, signed, unique_nonce
from tests.support.gateway import ALWAYS
from tests.support.waiting import wait_until

VICTIM = "oVictim42"


class EchoRasa(SlowRasa):
    """SlowRasa, plus "ctrl": a reply with characters XML does not allow."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["message"] == "ctrl":
            sender = json.loads(request.content)["sender"]
            reply = [{"recipient_id": sender, "text": "a\x00b\x08c\x1fd\ufffe]]>e"}]
            return httpx.Response(200, json=reply)
        return await super().__call__(request)


class Server:
    """The gateway with WeChat mounted, and a "WeChat side" that signs and encrypts."""

    def __init__(self, url: str, api: WeChatApi, aes: bool = False, **extra: Any) -> None:
        self.url = url
        self.rasa = EchoRasa()
        self.aes = aes
        settings: dict[str, Any] = {
            "app_id": APP_ID,
            "app_secret": SecretStr("app-secret"),
            "token": SecretStr(TOKEN),
            "encoding_aes_key": SecretStr(AES_KEY if aes else ""),
            "api_base": api.url,
            "reply_deadline_seconds": 4.0,
            "retry_seconds": 0.01,
            **extra,
        }
        config = WeChatSettings(**settings)
        transport = httpx.AsyncClient(transport=httpx.MockTransport(self.rasa))
        self.app = create_app(
            ALWAYS,
            url,
            RasaClient("http://rasa.test", client=transport),
            channels=[lambda app, desk: wechat.mount(app, desk, config)],
        )
        self.client = TestClient(self.app)
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def params(self, timestamp: int | None = None) -> dict[str, str]:
        """A signed query string, as WeChat sends it (a fresh nonce each time)."""
        stamp, nonce = str(timestamp or int(time.time())), unique_nonce()
        return {"signature": signed(stamp, nonce), "timestamp": stamp, "nonce": nonce}

    def post(
        self, params: dict[str, str], body: str, encrypt: bool | None = None
    ) -> httpx.Response:
        params = dict(params)
        if self.aes if encrypt is None else encrypt:
            envelope = self.crypto.encrypt_message(body, params["nonce"], params["timestamp"])
            root = ET.fromstring(envelope)
            params.update(encrypt_type="aes", msg_signature=root.findtext("MsgSignature") or "")
            body = envelope
        return self.client.post("/wechat", params=params, content=body.encode())

    def reply(self, response: httpx.Response) -> str:
        """The passive reply's Content, read by a real XML parser ("" for ``success``)."""
        assert response.status_code == 200, response.text
        if response.text == "success":
            return ""
        raw = response.text
        if self.aes:
            root = ET.fromstring(raw)
            raw = self.crypto.decrypt_message(
                raw,
                root.findtext("MsgSignature"),
                root.findtext("TimeStamp"),
                root.findtext("Nonce"),
            )
        return ET.fromstring(raw).findtext("Content") or ""

    def stored(self, openid: str = OPENID) -> list[str]:
        engine = make_engine(self.url)
        with session_factory(engine)() as db:
            rows = db.scalars(
                select(Message.text).where(Message.conversation_id == f"wechat:{openid}")
            )
            texts = list(rows)
        engine.dispose()
        return texts


def body(kind: str, msg_id: int | None = 1, openid: str = OPENID, **fields: str) -> str:
    """A push body, its values escaped as XML text (what WeChat sends, CDATA aside)."""
    parts = [
        "<xml><ToUserName>gh_official</ToUserName>",
        f"<FromUserName>{escape(openid)}</FromUserName>",
        f"<CreateTime>{fields.pop('create_time', '1763950000')}</CreateTime>",
        f"<MsgType>{kind}</MsgType>",
        *(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items()),
        f"<MsgId>{msg_id}</MsgId>" if msg_id is not None else "",
        "</xml>",
    ]
    return "".join(parts)


@pytest.fixture
def api() -> Iterator[WeChatApi]:
    api = WeChatApi()
    yield api
    api.close()


@pytest.fixture
def plain(api: WeChatApi, tmp_path: Path) -> Iterator[Server]:
    server = Server(f"sqlite:///{tmp_path / 'desk.db'}", api)
    with server.client:
        yield server


@pytest.fixture(params=["plain", "aes"])
def either(request: pytest.FixtureRequest, api: WeChatApi, tmp_path: Path) -> Iterator[Server]:
    server = Server(f"sqlite:///{tmp_path / 'desk.db'}", api, aes=request.param == "aes")
    with server.client:
        yield server


# --- item 1: replay, staleness, plain bodies, stolen slots ------------------------------


def test_a_seen_url_replayed_with_a_forged_body_is_ignored(plain: Server) -> None:
    url = plain.params()
    assert "bot: 你好" in plain.reply(plain.post(url, body("text", 10, Content="你好")))
    forged = body("text", 11, openid=VICTIM, Content="human")
    replayed = plain.post(url, forged)
    assert replayed.status_code == 200 and replayed.text == "success"
    assert [c["message"] for c in plain.rasa.calls] == ["你好"]
    assert plain.stored(VICTIM) == []


def test_a_stale_timestamp_is_refused(plain: Server) -> None:
    old = plain.params(int(time.time()) - 301)
    assert plain.post(old, body("text", 20, Content="hi")).status_code == 403
    future = plain.params(int(time.time()) + 301)
    assert plain.post(future, body("text", 21, Content="hi")).status_code == 403
    assert plain.rasa.calls == []


def test_nonces_are_remembered_by_every_gateway(api: WeChatApi, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    first, second = Server(url, api), Server(url, api)
    with first.client, second.client:
        seen = first.params()
        assert first.reply(first.post(seen, body("text", 30, Content="hi")))
        replayed = second.post(seen, body("text", 31, openid=VICTIM, Content="human"))
        assert replayed.text == "success"
        assert second.rasa.calls == [] and second.stored(VICTIM) == []


def test_plain_bodies_are_refused_when_safe_mode_is_on(api: WeChatApi, tmp_path: Path) -> None:
    server = Server(f"sqlite:///{tmp_path / 'desk.db'}", api, aes=True)
    with server.client:
        plain_push = server.post(server.params(), body("text", 40, Content="hi"), encrypt=False)
        assert plain_push.status_code == 403
        assert server.reply(server.post(server.params(), body("text", 41, Content="hi")))
        assert [c["message"] for c in server.rasa.calls] == ["hi"]


@pytest.fixture(params=["plain", "aes"])
def hurried(request: pytest.FixtureRequest, api: WeChatApi, tmp_path: Path) -> Iterator[Server]:
    """A gateway whose deadline (1.5 s) is shorter than SlowRasa's "slow" (2.5 s)."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    server = Server(url, api, aes=request.param == "aes", reply_deadline_seconds=1.5)
    with server.client:
        yield server


def test_another_push_for_the_same_user_never_receives_that_users_replies(
    hurried: Server, api: WeChatApi
) -> None:
    # The user's slow question is answered "success"; its reply will follow later.
    slow = body("text", 50, Content="slow")
    assert hurried.post(hurried.params(), slow).text == "success"
    # Meanwhile another push as that user (a forgery, before the fix) stays open...
    other = hurried.reply(hurried.post(hurried.params(), body("text", 51, Content="mine")))
    # ... and gets its own answer only; the user's reply goes to the user.
    assert other.startswith("bot: mine") and "slow" not in other
    wait_until(lambda: "bot: slow" in "".join(api.texts()), 10, "the late reply never went out")
    # The same MsgId again (a retry, or a replay under a fresh URL) is a duplicate.
    assert hurried.post(hurried.params(), slow).text == "success"
    assert hurried.stored().count("slow") == 1


def test_simultaneous_pushes_of_one_user_each_get_their_own_reply(either: Server) -> None:
    slow = body("text", 52, Content="slow")  # 2.5 s: inside this gateway's 4 s
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(either.post, either.params(), slow)
        wait_until(lambda: either.rasa.calls, 5, "the first message never reached Rasa")
        second = either.reply(either.post(either.params(), body("text", 53, Content="mine")))
        firsts = either.reply(first.result(timeout=20))
    assert firsts.startswith("bot: slow") and "mine" not in firsts
    assert second.startswith("bot: mine") and "slow" not in second


# --- item 11: reply text that would break the passive XML ------------------------------


@pytest.mark.parametrize(
    "typed", ["]]><x>&amp;", "至 ]]></Content><MsgType>news</MsgType> <![CDATA["]
)
def test_reply_text_cannot_break_the_passive_xml(either: Server, typed: str) -> None:
    assert either.reply(either.post(either.params(), body("text", 60, Content=typed))).startswith(
        f"bot: {typed}\n"
    )


def test_control_characters_are_dropped_from_the_passive_xml(either: Server) -> None:
    reply = either.reply(either.post(either.params(), body("text", 61, Content="ctrl")))
    assert reply == "abcd]]>e"


# --- item 13: each event deliberately -------------------------------------------------------


def test_a_follower_from_a_qr_code_gets_the_welcome(either: Server) -> None:
    push = body("event", None, Event="subscribe", EventKey="qrscene_123", Ticket="t")
    assert "欢迎关注" in either.reply(either.post(either.params(), push))


@pytest.mark.parametrize(
    "fields",
    [
        {"Event": "SCAN", "EventKey": "123", "Ticket": "t"},
        {"Event": "LOCATION", "Latitude": "23.1", "Longitude": "113.3", "Precision": "65"},
        {"Event": "VIEW", "EventKey": "https://example.com/faq"},
        {"Event": "unsubscribe"},
        {"Event": "TEMPLATESENDJOBFINISH", "Status": "success"},
        {"Event": "view_miniprogram", "EventKey": "pages/index"},  # unknown to wechatpy
    ],
    ids=lambda fields: fields["Event"],
)
def test_noise_events_are_answered_with_silence_and_stored_nowhere(
    either: Server, fields: dict[str, str]
) -> None:
    response = either.post(either.params(), body("event", None, **fields))
    assert response.status_code == 200 and response.text == "success"
    assert either.stored() == [] and either.rasa.calls == []
