"""The same Telegram update and WeChat MsgId, sent to both gateways at once, are
processed once: stored once, answered once, one shared WeChat access token."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.fakes import telegram as tg
from tests.fakes import wechat as wx
from tests.support.clients import client
from tests.support.cluster import Running
from tests.support.scale import database, outbound_ids, report, unfinished, user_texts
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


def test_the_same_update_and_msgid_sent_to_both_gateways_at_once_is_processed_once(
    running: Running, platforms: tuple[tg.BotApi, wx.WeChatApi]
) -> None:
    group, gateways, _rasas = running
    url = database(group)
    telegram, wechat = platforms
    count = 25

    def wx_push(gateway: str, msg_id: int, openid: str) -> httpx.Response:
        body = wx.xml("text", msg_id, openid, Content="你好")
        # A fresh nonce per push (a signed URL is accepted once): the MsgId is what repeats.
        nonce = f"n{msg_id}p{gateway.rsplit(':', 1)[-1]}"
        return httpx.post(f"{gateway}/wechat", params=wx.query(nonce), content=body, timeout=60)

    async def run() -> tuple[list[httpx.Response], list[httpx.Response]]:
        headers = {"X-Telegram-Bot-Api-Secret-Token": tg.SECRET}
        async with client(60) as http:
            tg_posts = [
                http.post(
                    f"{g.url}/telegram/webhook",
                    json=tg.update(
                        9000 + i, message=tg.message("hello", chat=5000 + i, language="en")
                    ),
                    headers=headers,
                )
                for i in range(count)
                for g in gateways
            ]
            tg_responses = await asyncio.gather(*tg_posts)
        wx_posts = [
            asyncio.to_thread(wx_push, g.url, 77000 + i, f"oScale{i}")
            for i in range(count)
            for g in gateways
        ]
        return list(tg_responses), list(await asyncio.gather(*wx_posts))

    tg_responses, wx_responses = asyncio.run(run())
    assert all(r.status_code == 200 for r in tg_responses + wx_responses)
    duplicates = sum(bool(r.json().get("duplicate")) for r in tg_responses)
    assert duplicates == count  # one of each pair was recognised, in either gateway
    passive = [r for r in wx_responses if r.text not in ("success", "")]
    openids = [f"oScale{i}" for i in range(count)]

    def unanswered() -> list[str]:
        """WeChat users with neither a passive reply nor a customer-service message:
        a turn slower than the passive-reply deadline answers "success", and sends its
        reply once it is done."""
        return [
            openid
            for openid in openids
            if not any(f"<ToUserName><![CDATA[{openid}]]>" in r.text for r in passive)
            and not any(m.get("touser") == openid for m in wechat.sent)
        ]

    conversations = [f"telegram:{5000 + i}" for i in range(count)]
    conversations += [f"wechat:{openid}" for openid in openids]
    wait_until(
        lambda: not unfinished(url, conversations) and not unanswered(),
        60,
        lambda: f"unfinished: {unfinished(url, conversations)}; unanswered: {unanswered()}",
    )

    for i in range(count):
        chat = 5000 + i
        conversation = f"telegram:{chat}"
        assert user_texts(url, conversation) == ["hello"]
        replies = outbound_ids(url, conversation)
        assert len(replies) >= 1
        sends = [p for m, p in telegram.calls if m == "sendMessage" and int(p["chat_id"]) == chat]
        assert len(sends) == len(replies)  # each stored reply sent once

    for i in range(count):
        openid = f"oScale{i}"
        conversation = f"wechat:{openid}"
        assert user_texts(url, conversation) == ["你好"]
        replies = outbound_ids(url, conversation)
        mine = [r for r in passive if f"<ToUserName><![CDATA[{openid}]]>" in r.text]
        service = [m for m in wechat.sent if m.get("touser") == openid]
        assert len(mine) <= 1 and len(mine) + len(service) >= 1
    # One access token for both gateways: the fetch is leased, the value shared.
    assert wechat.tokens == 1
    report(
        "redelivery",
        {
            "telegram_updates": count,
            "wechat_msgids": count,
            "deliveries_each": 2,
            "duplicates_recognised_telegram": duplicates,
            "wechat_passive_replies": len(passive),
            "wechat_tokens_fetched": wechat.tokens,
        },
    )
