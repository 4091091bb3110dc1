"""The server URL WeChat calls: verification (GET) and message push (POST), plain or AES.

Message push: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
Passive replies: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import create_reply
from wechatpy.utils import check_signature

from common import texts
from common.messages import Attachment, InboundMessage, OutboundMessage
from common.settings import ROOT
from connectors._host import ChannelHost
from connectors.wechat._client import download
from connectors.wechat._connector import LIMIT, WeChatConnector, split_text
from store import deliveries

log = logging.getLogger(__name__)

MEDIA = ROOT / "var" / "media" / "wechat"
LANGUAGE = "zh"  # WeChat tells us nothing of the user's language; its users write Chinese
SUCCESS = PlainTextResponse("success")
_background: set[asyncio.Task[Any]] = set()  # keeps late replies alive past the response


def wechat_routes(host: ChannelHost, connector: WeChatConnector) -> APIRouter:
    api = APIRouter(tags=["wechat"])
    settings = connector.settings
    token = settings.token.get_secret_value()
    aes_key = settings.encoding_aes_key.get_secret_value()
    crypto = WeChatCrypto(token, aes_key, settings.app_id) if aes_key else None

    def verify(signature: str, timestamp: str, nonce: str) -> None:
        try:
            check_signature(token, signature, timestamp, nonce)
        except InvalidSignatureException:
            log.warning("WeChat request with a bad signature refused")
            raise HTTPException(403, "bad signature") from None

    @api.get("/wechat", response_class=PlainTextResponse)
    def verify_url(
        signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""
    ) -> str:
        """WeChat's server-URL check: answer ``echostr`` if the signature is ours."""
        verify(signature, timestamp, nonce)
        return echostr

    @api.post("/wechat")
    async def receive(
        request: Request,
        signature: str = "",
        timestamp: str = "",
        nonce: str = "",
        encrypt_type: str = "raw",
        msg_signature: str = "",
    ) -> Response:
        verify(signature, timestamp, nonce)
        body = await request.body()
        encrypted = encrypt_type == "aes"
        try:
            if encrypted:
                if crypto is None:
                    raise HTTPException(400, "safe mode message but no WECHAT_ENCODING_AES_KEY")
                body = crypto.decrypt_message(body, msg_signature, timestamp, nonce).encode()
            message = parse_message(body)
        except InvalidSignatureException:
            log.warning("WeChat message with a bad msg_signature refused")
            raise HTTPException(403, "bad msg_signature") from None
        except HTTPException:
            raise
        except (InvalidAppIdException, Exception) as exc:
            log.warning("unreadable WeChat message refused: %s", type(exc).__name__)
            raise HTTPException(400, "malformed or undecryptable message") from None
        if message is None or not message.source:
            raise HTTPException(400, "empty message")
        passive = await handle(host, connector, message)
        if not passive:
            return SUCCESS
        reply = create_reply(passive, message).render()
        if encrypted and crypto is not None:
            reply = crypto.encrypt_message(reply, nonce, timestamp)
        return Response(reply, media_type="application/xml")

    return api


def _dedup_key(message: Any) -> str:
    if message.type == "event":
        return f"{message.source}:{message.time}:{getattr(message, 'event', '')}"
    return str(message.id)


async def handle(host: ChannelHost, connector: WeChatConnector, message: Any) -> str:
    """Route one message; returns the passive reply text ("" = answer ``success``)."""
    with host.database.begin() as db:
        if not deliveries.first_delivery(db, "wechat", _dedup_key(message)):
            return ""  # WeChat's retry of something we already have
    openid = str(message.source)
    inbound: InboundMessage | None = None
    if message.type == "text":
        text = str(message.content or "")
        picked = connector.choice(openid, text)
        payload, title = picked if picked else (text, None)
        inbound = InboundMessage(
            "wechat", openid, payload, LANGUAGE, title=title, platform_id=str(message.id)
        )
    elif message.type == "image":
        inbound = InboundMessage(
            "wechat",
            openid,
            "[图片]",
            LANGUAGE,
            platform_id=str(message.id),
            attachment=await _image(connector, message),
        )
    elif message.type == "event" and message.event == "click":
        meaning = connector.settings.menu.get(str(message.key))
        if meaning:
            inbound = InboundMessage(
                "wechat", openid, meaning, LANGUAGE, title=f"[菜单] {message.key}"
            )
    connector.open_slot(openid)
    work: asyncio.Future[Any]
    if inbound is not None:
        work = asyncio.ensure_future(host.router.handle(inbound))
    else:  # subscribe, unsupported types and unknown menu keys: answered here
        subscribed = message.type == "event" and message.event == "subscribe"
        reply = texts.text(LANGUAGE, "welcome" if subscribed else "unsupported")
        kind = f"event:{message.event}" if message.type == "event" else message.type
        label = InboundMessage("wechat", openid, f"[{kind}]", LANGUAGE)
        work = asyncio.ensure_future(host.router.answer(label, OutboundMessage(text=reply)))
    deadline = connector.settings.reply_deadline_seconds
    done, _ = await asyncio.wait({work}, timeout=deadline)
    if done:
        work.result()
        return _passive(connector, openid)
    # Too slow for WeChat's 5 seconds: answer "success" now, send the reply when ready.
    _background.add(work)
    work.add_done_callback(lambda task: _late(connector, openid, task))
    return ""


def _passive(connector: WeChatConnector, openid: str) -> str:
    """The collected replies as one passive reply; what doesn't fit goes as CS messages."""
    items = connector.close_slot(openid)
    passive: list[str] = []
    for index, (_, text) in enumerate(items):
        candidate = "\n\n".join([*passive, text])
        if len(candidate.encode()) > LIMIT and passive:
            _spawn(connector.send_late(openid, items[index:]))
            break
        if len(candidate.encode()) > LIMIT:  # one long reply: its first piece, then the rest
            first, *rest = split_text(text, LIMIT)
            passive.append(first)
            tail = [(items[index][0], "\n".join(rest))] if rest else []
            _spawn(connector.send_late(openid, tail + items[index + 1 :]))
            break
        passive.append(text)
    return "\n\n".join(passive)


def _late(connector: WeChatConnector, openid: str, task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("a slow WeChat turn failed: %r", task.exception())
    items = connector.close_slot(openid)
    if items:
        _spawn(connector.send_late(openid, items))


def _spawn(work: Any) -> None:
    task = asyncio.ensure_future(work)
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _image(connector: WeChatConnector, message: Any) -> Attachment | None:
    try:
        data = await download(connector.client, str(message.media_id))
    except Exception as exc:
        log.warning("could not fetch a WeChat image: %s", exc)
        return None
    MEDIA.mkdir(parents=True, exist_ok=True)
    path = MEDIA / f"{message.id or int(time.time() * 1000)}.jpg"
    path.write_bytes(data)
    return Attachment("image", str(Path(path).relative_to(ROOT)), path.name, "image/jpeg")
