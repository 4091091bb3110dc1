"""Attacks on the WeChat server URL, over HTTP against the real gateway, with signatures
computed here the way WeChat computes them (and safe-mode bodies encrypted with
wechatpy's own crypto). Rasa is :class:`tests.fakes.rasa.SlowRasa`, which echoes."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import httpx
import pytest

from tests.fakes.rasa import SlowRasa
from tests.fakes.wechat import OPENID, WeChatApi
from tests.support.waiting import wait_until
from tests.support.wechat import WeChatGateway

VICTIM = "oVictim42"


class EchoRasa(SlowRasa):
    """SlowRasa, plus "ctrl": a reply with characters XML does not allow."""

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["message"] == "ctrl":
            sender = json.loads(request.content)["sender"]
            reply = [{"recipient_id": sender, "text": "a\x00b\x08c\x1fd\ufffe]]>e"}]
            return httpx.Response(200, json=reply)
        return await super().__call__(request)


def attacked(url: str, api: WeChatApi, aes: bool = False, **extra: Any) -> WeChatGateway:
    """The gateway as these attacks meet it: 4 s to answer passively, and a Rasa that
    can answer with characters XML does not allow."""
    return WeChatGateway(url, api, aes, EchoRasa(), **{"reply_deadline_seconds": 4.0, **extra})


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
def plain(api: WeChatApi, tmp_path: Path) -> Iterator[WeChatGateway]:
    server = attacked(f"sqlite:///{tmp_path / 'desk.db'}", api)
    with server.client:
        yield server


@pytest.fixture(params=["plain", "aes"])
def either(
    request: pytest.FixtureRequest, api: WeChatApi, tmp_path: Path
) -> Iterator[WeChatGateway]:
    server = attacked(f"sqlite:///{tmp_path / 'desk.db'}", api, aes=request.param == "aes")
    with server.client:
        yield server


# --- item 1: replay, staleness, plain bodies, stolen slots ------------------------------


def test_a_seen_url_replayed_with_a_forged_body_is_ignored(plain: WeChatGateway) -> None:
    url = plain.params()
    assert "bot: 你好" in plain.reply_text(plain.post(url, body("text", 10, Content="你好")))
    forged = body("text", 11, openid=VICTIM, Content="human")
    replayed = plain.post(url, forged)
    assert replayed.status_code == 200 and replayed.text == "success"
    assert [c["message"] for c in plain.rasa.calls] == ["你好"]
    assert plain.stored(VICTIM) == []


def test_a_stale_timestamp_is_refused(plain: WeChatGateway) -> None:
    old = plain.params(int(time.time()) - 301)
    assert plain.post(old, body("text", 20, Content="hi")).status_code == 403
    future = plain.params(int(time.time()) + 301)
    assert plain.post(future, body("text", 21, Content="hi")).status_code == 403
    assert plain.rasa.calls == []


def test_nonces_are_remembered_by_every_gateway(api: WeChatApi, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    first, second = attacked(url, api), attacked(url, api)
    with first.client, second.client:
        seen = first.params()
        assert first.reply_text(first.post(seen, body("text", 30, Content="hi")))
        replayed = second.post(seen, body("text", 31, openid=VICTIM, Content="human"))
        assert replayed.text == "success"
        assert second.rasa.calls == [] and second.stored(VICTIM) == []


def test_plain_bodies_are_refused_when_safe_mode_is_on(api: WeChatApi, tmp_path: Path) -> None:
    server = attacked(f"sqlite:///{tmp_path / 'desk.db'}", api, aes=True)
    with server.client:
        plain_push = server.post(server.params(), body("text", 40, Content="hi"), encrypt=False)
        assert plain_push.status_code == 403
        assert server.reply_text(server.post(server.params(), body("text", 41, Content="hi")))
        assert [c["message"] for c in server.rasa.calls] == ["hi"]


@pytest.fixture(params=["plain", "aes"])
def hurried(
    request: pytest.FixtureRequest, api: WeChatApi, tmp_path: Path
) -> Iterator[WeChatGateway]:
    """A gateway whose deadline (1.5 s) is shorter than SlowRasa's "slow" (2.5 s)."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    server = attacked(url, api, aes=request.param == "aes", reply_deadline_seconds=1.5)
    with server.client:
        yield server


def test_another_push_for_the_same_user_never_receives_that_users_replies(
    hurried: WeChatGateway, api: WeChatApi
) -> None:
    # The user's slow question is answered "success"; its reply will follow later.
    slow = body("text", 50, Content="slow")
    assert hurried.post(hurried.params(), slow).text == "success"
    # Meanwhile another push as that user (a forgery, before the fix) stays open...
    other = hurried.reply_text(hurried.post(hurried.params(), body("text", 51, Content="mine")))
    # ... and gets its own answer only; the user's reply goes to the user.
    assert other.startswith("bot: mine") and "slow" not in other
    wait_until(lambda: "bot: slow" in "".join(api.texts()), 10, "the late reply never went out")
    # The same MsgId again (a retry, or a replay under a fresh URL) is a duplicate.
    assert hurried.post(hurried.params(), slow).text == "success"
    assert hurried.stored().count("slow") == 1


def test_simultaneous_pushes_of_one_user_each_get_their_own_reply(either: WeChatGateway) -> None:
    slow = body("text", 52, Content="slow")  # 2.5 s: inside this gateway's 4 s
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(either.post, either.params(), slow)
        wait_until(lambda: either.rasa.calls, 5, "the first message never reached Rasa")
        second = either.reply_text(either.post(either.params(), body("text", 53, Content="mine")))
        firsts = either.reply_text(first.result(timeout=20))
    assert firsts.startswith("bot: slow") and "mine" not in firsts
    assert second.startswith("bot: mine") and "slow" not in second


# --- item 11: reply text that would break the passive XML ------------------------------


@pytest.mark.parametrize(
    "typed", ["]]><x>&amp;", "至 ]]></Content><MsgType>news</MsgType> <![CDATA["]
)
def test_reply_text_cannot_break_the_passive_xml(either: WeChatGateway, typed: str) -> None:
    assert either.reply_text(
        either.post(either.params(), body("text", 60, Content=typed))
    ).startswith(f"bot: {typed}\n")


def test_control_characters_are_dropped_from_the_passive_xml(either: WeChatGateway) -> None:
    reply = either.reply_text(either.post(either.params(), body("text", 61, Content="ctrl")))
    assert reply == "abcd]]>e"


# --- item 13: each event deliberately -------------------------------------------------------


def test_a_follower_from_a_qr_code_gets_the_welcome(either: WeChatGateway) -> None:
    push = body("event", None, Event="subscribe", EventKey="qrscene_123", Ticket="t")
    assert "欢迎关注" in either.reply_text(either.post(either.params(), push))


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
    either: WeChatGateway, fields: dict[str, str]
) -> None:
    response = either.post(either.params(), body("event", None, **fields))
    assert response.status_code == 200 and response.text == "success"
    assert either.stored() == [] and either.rasa.calls == []
