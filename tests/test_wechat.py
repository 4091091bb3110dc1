"""The WeChat connector against the local WeChat API of :mod:`tests.fakes.wechat`.

Requests are built and encrypted the way WeChat's servers do it, with wechatpy's own
crypto on the "WeChat side". Rasa is :class:`tests.fakes.rasa.SlowRasa`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from wechatpy.crypto import _get_signature

from common.clock import utcnow
from common.messages import OutboundMessage
from common.settings import ConfigurationError
from connectors import wechat
from connectors.wechat import WeChatSettings, numbered, split_text
from gateway import create_app
from store.db import make_engine, session_factory
from store.models import Conversation
from tests.fakes.wechat import (
    APP_ID,
    JPEG,
    OPENID,
    TOKEN,
    WeChatApi,
    signed,
    unique_nonce,
    xml,
)
from tests.support.gateway import ALWAYS
from tests.support.waiting import wait_until
from tests.support.wechat import WeChatGateway


@pytest.fixture
def api() -> Iterator[WeChatApi]:
    api = WeChatApi()
    yield api
    api.close()


@pytest.fixture(params=["plain", "aes"])
def wx(request: pytest.FixtureRequest, api: WeChatApi, tmp_path: Path) -> Iterator[WeChatGateway]:
    gateway = WeChatGateway(f"sqlite:///{tmp_path / 'desk.db'}", api, aes=request.param == "aes")
    with gateway.client:
        yield gateway


def test_url_verification(wx: WeChatGateway) -> None:
    params = {"timestamp": "1", "nonce": "2", "echostr": "hello-echo"}
    good = wx.client.get("/wechat", params={**params, "signature": signed("1", "2")})
    assert good.status_code == 200 and good.text == "hello-echo"
    bad = wx.client.get("/wechat", params={**params, "signature": "0" * 40})
    assert bad.status_code == 403


def test_bad_signature_ciphertext_or_xml_is_refused_and_nothing_is_processed(
    wx: WeChatGateway,
) -> None:
    assert wx.push(xml("text", Content="hi"), signature="0" * 40).status_code == 403
    timestamp, nonce = str(int(time.time())), unique_nonce()
    params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    if wx.aes:
        garbage = "<xml><Encrypt><![CDATA[bm90IGNpcGhlcnRleHQ=]]></Encrypt></xml>"
        sig = _get_signature(TOKEN, timestamp, nonce, "bm90IGNpcGhlcnRleHQ=")
        bad = wx.client.post(
            "/wechat",
            params={**params, "encrypt_type": "aes", "msg_signature": sig},
            content=garbage,
        )
        assert bad.status_code == 400
        forged = wx.client.post(
            "/wechat",
            params={**params, "encrypt_type": "aes", "msg_signature": "0" * 40},
            content=garbage,
        )
        assert forged.status_code == 403
    nonce = unique_nonce()
    params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    if wx.aes:  # safe mode is required when a key is set: the plain body must be marked so
        params["encrypt_type"] = "aes"
        params["msg_signature"] = _get_signature(TOKEN, timestamp, nonce, "")
    malformed = wx.client.post("/wechat", params=params, content=b"<xml><oops")
    assert malformed.status_code == 400
    assert wx.rasa.calls == []


def test_a_quick_answer_is_a_passive_reply(wx: WeChatGateway, api: WeChatApi) -> None:
    reply = wx.reply_text(wx.push(xml("text", 101, Content="你好")))
    assert reply.startswith("bot: 你好") and "1. Yes" in reply  # buttons become numbers
    assert api.sent == []  # no customer-service message was needed
    assert wx.rasa.calls[0]["sender"] == f"wechat:{OPENID}"
    assert wx.rasa.calls[0]["metadata"]["language"] == "zh"
    # Typing the number presses the button.
    wx.push(xml("text", 102, Content="1"))
    assert wx.rasa.calls[-1]["message"] == "/affirm"


def test_three_retries_of_one_msgid_produce_one_answer(wx: WeChatGateway, api: WeChatApi) -> None:
    first = wx.push(xml("text", 200, Content="你好"))
    assert wx.reply_text(first)
    for _ in range(2):
        assert wx.push(xml("text", 200, Content="你好")).text == "success"
    assert len(wx.rasa.calls) == 1 and api.sent == []


def test_a_retry_while_the_first_try_is_still_being_answered_gets_no_second_answer(
    wx: WeChatGateway, api: WeChatApi
) -> None:
    # The first try is answered "success" at the deadline while its turn goes on, and
    # WeChat's retry reaches the same gateway meanwhile: one turn, one reply.
    slow = xml("text", 310, Content="slow")
    assert wx.push(slow).text == "success"
    assert wx.push(slow).text == "success"
    wait_until(lambda: api.sent, 5, "the customer-service message never arrived")
    assert wx.push(slow).text == "success"  # WeChat's third try, after the turn
    assert len(wx.rasa.calls) == 1 and len(api.sent) == 1
    assert wx.stored().count("slow") == 1


def test_a_slow_bot_answers_success_then_a_customer_service_message(
    wx: WeChatGateway, api: WeChatApi
) -> None:
    started = time.monotonic()
    response = wx.push(xml("text", 300, Content="slow"))
    assert response.text == "success" and time.monotonic() - started < 2.5
    wait_until(lambda: api.sent, 5, "the customer-service message never arrived")
    assert api.texts() == ["bot: slow\n1. Yes\n（回复数字即可）"]
    assert api.sent[0]["touser"] == OPENID
    assert api.tokens == 1


def test_an_agent_reply_after_48_hours_waits_for_the_user(
    wx: WeChatGateway, api: WeChatApi
) -> None:
    agent = wx.agent("li@example.com")
    wx.push(xml("text", 400, Content="human"))
    [session] = wx.queue(agent)
    sid = session["id"]
    wx.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent)
    engine = make_engine(wx.url)
    with session_factory(engine).begin() as db:
        db.get(Conversation, f"wechat:{OPENID}").last_inbound_at = utcnow() - timedelta(hours=49)
    engine.dispose()
    api.sent.clear()
    reply = wx.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "我们查到了"}, headers=agent
    )
    assert reply.json()["delivery"] == "undelivered"
    assert "can't be reached on WeChat" in reply.json()["delivery_error"]
    assert api.sent == []
    # The user writes again: the kept reply goes out first, and is marked delivered.
    passive = wx.reply_text(wx.push(xml("text", 401, Content="还在吗")))
    assert "我们查到了" in passive  # it rides on the passive reply to the user's message
    detail = wx.client.get(f"/api/agent/sessions/{sid}", headers=agent).json()
    [kept] = [m for m in detail["messages"] if m["text"] == "我们查到了"]
    assert kept["delivery"] is None


def test_errcode_45015_and_outages(wx: WeChatGateway, api: WeChatApi) -> None:
    agent = wx.agent("li@example.com")
    wx.push(xml("text", 500, Content="human"))
    [session] = wx.queue(agent)
    sid = session["id"]
    wx.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent)
    api.errcode = 45015
    kept = wx.client.post(f"/api/agent/sessions/{sid}/messages", json={"text": "a"}, headers=agent)
    assert kept.json()["delivery"] == "undelivered"
    api.errcode, api.http_errors = 0, 2
    retried = wx.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "b"}, headers=agent
    )
    assert retried.json()["delivery"] is None and api.texts()[-1] == "b"
    api.http_errors = 10
    failed = wx.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "c"}, headers=agent
    )
    assert failed.json()["delivery"] == "failed"
    assert api.tokens == 1  # one access token for every send


def test_events_images_and_unsupported_types(wx: WeChatGateway, api: WeChatApi) -> None:
    welcome = wx.reply_text(wx.push(xml("event", None, Event="subscribe")))
    assert "欢迎关注" in welcome and "助记词" in welcome
    voice = wx.reply_text(wx.push(xml("voice", 600, MediaId="m1", Format="amr")))
    assert "只能处理文字和图片" in voice
    wx.push(xml("image", 601, PicUrl="http://x/y.jpg", MediaId="media-1"))
    click = xml("event", None, Event="CLICK", EventKey="HUMAN", create_time="1763950099")
    wx.push(click)
    assert wx.rasa.calls[-1]["message"] == "/request_human"
    agent = wx.agent("li@example.com")
    [session] = wx.queue(agent)
    detail = wx.client.get(f"/api/agent/sessions/{session['id']}", headers=agent).json()
    [image] = [m for m in detail["messages"] if m["attachment"]]
    media = wx.client.get(f"/api/agent/media/{image['id']}", headers=agent)
    assert media.status_code == 200 and media.content == JPEG
    assert wx.push(click).text == "success"  # the same event again is a duplicate


def test_the_journey_on_wechat(wx: WeChatGateway, api: WeChatApi) -> None:
    agent = wx.agent("li@example.com")
    queued = wx.reply_text(wx.push(xml("text", 700, Content="human")))
    assert "Connecting you with a human." in queued and "第 1 位" in queued
    [session] = wx.queue(agent)
    sid = session["id"]
    wx.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent)
    assert "已接入" in api.texts()[-1]
    wx.client.post(f"/api/agent/sessions/{sid}/messages", json={"text": "您好"}, headers=agent)
    assert api.texts()[-1] == "您好"
    assert wx.push(xml("text", 701, Content="谢谢")).text == "success"  # the bot stays silent
    wx.client.post(f"/api/agent/sessions/{sid}/resolve", headers=agent)
    assert "1." in api.texts()[-1] and "5." in api.texts()[-1]
    thanks = wx.reply_text(wx.push(xml("text", 702, Content="5")))
    assert "感谢您的评分" in thanks
    assert wx.queue(agent, "resolved")[0]["csat"] == 5


def test_text_is_split_within_wechat_limits() -> None:
    text = "这是一段很长的说明。" * 300
    pieces = split_text(text)
    assert all(len(p.encode()) <= 2048 for p in pieces) and "".join(pieces) == text
    message = OutboundMessage(text="选择", buttons=(("是", "/affirm"), ("否", "/deny")))
    assert numbered(message) == (
        "选择\n1. 是\n2. 否\n（回复数字即可）",
        {"1": "/affirm", "2": "/deny"},
    )


def test_configuration_is_all_or_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    half = WeChatSettings(app_id=APP_ID, token=SecretStr(TOKEN))
    with pytest.raises(ConfigurationError, match="WECHAT_APP_SECRET"):
        create_app(ALWAYS, url, channels=[lambda app, desk: wechat.mount(app, desk, half)])
    none = WeChatSettings()
    off = create_app(ALWAYS, url, channels=[lambda app, desk: wechat.mount(app, desk, none)])
    with TestClient(off) as client:
        assert client.get("/wechat").status_code == 404


def test_errors_never_show_the_app_secret_or_token() -> None:
    from connectors.wechat._client import scrub

    error = "HTTPSConnectionPool: /cgi-bin/token?grant_type=x&appid=wx1&secret=s3cr3t failed"
    assert "s3cr3t" not in scrub(error) and "wx1" not in scrub(error)
    assert "TOKEN1" not in scrub("/cgi-bin/message/custom/send?access_token=TOKEN1 refused")
