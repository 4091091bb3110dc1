"""The server URL WeChat calls: verification (GET) and message push (POST), plain or AES.

WeChat gives up on a push 5 s after sending it, and a missing or late answer shows the
user "该公众号暂时无法提供服务". So the deadline is counted from the request's arrival
(:class:`Arrival` stamps it before anything else runs, the body read included), and a
turn still running then is answered ``success`` and finished by a customer-service
message.

Message push: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
Passive replies: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from common import texts
from common.messages import Attachment, InboundMessage, OutboundMessage
from common.settings import ROOT
from connectors._host import ChannelHost, Turn
from connectors.wechat._client import download, scrub
from connectors.wechat._connector import LIMIT, WeChatConnector, split_text
from connectors.wechat._events import Handling, handling
from connectors.wechat._push import PushCheck
from connectors.wechat._reply import sealed, text_reply

log = logging.getLogger(__name__)

MEDIA = ROOT / "var" / "media" / "wechat"
LANGUAGE = "zh"  # WeChat tells us nothing of the user's language; its users write Chinese
SUCCESS = PlainTextResponse("success")
ARRIVED = "wechat_arrived"  # the request state's arrival time (time.monotonic)
_background: set[asyncio.Task[Any]] = set()  # keeps late replies alive past the response
# Test-only, unset in production: a gateway started with this many seconds here pauses
# each push before its MsgId is recorded, so tests/scale/test_wechat_kill.py can kill -9
# it at the moment that used to lose the message.
TEST_PAUSE = "WECHAT_TEST_PAUSE_SECONDS"


class Arrival:
    """ASGI middleware: stamps each HTTP request's arrival before the app reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})[ARRIVED] = time.monotonic()
        await self.app(scope, receive, send)


def wechat_routes(host: ChannelHost, connector: WeChatConnector, check: PushCheck) -> APIRouter:
    api = APIRouter(tags=["wechat"])

    @api.get("/wechat", response_class=PlainTextResponse)
    def verify_url(
        signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = ""
    ) -> str:
        """WeChat's server-URL check: answer ``echostr`` if the signature is ours."""
        check.signed(signature, timestamp, nonce)
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
        arrived = float(getattr(request.state, ARRIVED, time.monotonic()))
        params = {
            "signature": signature,
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": encrypt_type,
            "msg_signature": msg_signature,
        }
        message, encrypted = check.open(await request.body(), params)
        with host.database.begin() as db:
            if not check.first_use(db, signature, nonce):
                log.warning("a replayed WeChat push (signature and nonce used before) ignored")
                return SUCCESS
        deadline = arrived + connector.settings.reply_deadline_seconds
        passive = await handle(host, connector, message, deadline)
        if not passive:
            return SUCCESS
        reply = text_reply(str(message.source), str(message.target), passive)
        if encrypted and check.crypto is not None:
            reply = sealed(check.crypto, reply, nonce, timestamp)
        return Response(reply, media_type="application/xml")

    return api


def _dedup_key(message: Any) -> str:
    if message.type == "event":
        return f"{message.source}:{message.time}:{getattr(message, 'event', '')}"
    return str(message.id)


async def handle(
    host: ChannelHost, connector: WeChatConnector, message: Any, deadline: float
) -> str:
    """Route one message; returns the passive reply text ("" = answer ``success``).

    *deadline* (``time.monotonic``) is when the answer must leave, whatever is done.
    """
    how = handling(message)
    if how is Handling.SILENT:
        return ""  # nothing stored, nothing answered: WeChat expects no reply
    key = _dedup_key(message)
    if connector.running(key):
        return ""  # WeChat's retry of a push this process is still answering
    # The key is recorded in the transaction that stores the message (the router's
    # dedup_key), not before: a gateway killed in between leaves WeChat's retry free
    # to be processed by any gateway, and a stored one's retry is a duplicate.
    await _test_pause()
    openid = str(message.source)
    # Queued too deep to finish in time (a burst): answer now rather than at the
    # deadline, so the connections that can still make it get the loop's time.
    remaining = deadline - time.monotonic()
    if connector.hopeless(remaining):
        remaining = 0.0
    work = connector.start(key, openid, _turn(host, connector, message, how, key))
    try:
        done, _ = await asyncio.wait({work}, timeout=max(0.0, remaining))
    except asyncio.CancelledError:  # WeChat hung up: the turn goes on, its replies later
        _finish_late(connector, key, openid, work)
        raise
    if done:
        try:
            work.result()
        except Exception:
            connector.close_slot(key)
            raise
        return _passive(connector, key, openid)
    # Too slow for WeChat's 5 seconds: answer "success" now, send the reply when ready.
    _finish_late(connector, key, openid, work)
    return ""


async def _test_pause() -> None:
    seconds = float(os.environ.get(TEST_PAUSE) or 0)
    if seconds > 0:
        log.warning("%s: pausing a push %.0f s before storing it", TEST_PAUSE, seconds)
        await asyncio.sleep(seconds)


def _finish_late(
    connector: WeChatConnector, key: str, openid: str, work: asyncio.Task[Any]
) -> None:
    _background.add(work)
    work.add_done_callback(lambda task: _late(connector, key, openid, task))


async def _turn(
    host: ChannelHost, connector: WeChatConnector, message: Any, how: Handling, key: str
) -> Turn | None:
    """Store and answer *message*; a duplicate of a stored *key* stores and sends nothing."""
    openid = str(message.source)
    inbound: InboundMessage | None = None
    if message.type == "text":
        text = str(message.content or "")
        picked = connector.choice(openid, text)
        payload, title = picked if picked else (text, None)
        inbound = InboundMessage(
            "wechat",
            openid,
            payload,
            LANGUAGE,
            title=title,
            platform_id=str(message.id),
            dedup_key=key,
        )
    elif message.type == "image":
        inbound = InboundMessage(
            "wechat",
            openid,
            "[图片]",
            LANGUAGE,
            platform_id=str(message.id),
            dedup_key=key,
            attachment=await _image(connector, message),
        )
    elif how is Handling.TURN:  # a menu click: the bot is told what the key means
        meaning = connector.settings.menu.get(str(message.key))
        if meaning:
            inbound = InboundMessage(
                "wechat", openid, meaning, LANGUAGE, title=f"[菜单] {message.key}", dedup_key=key
            )
    if inbound is not None:
        return await host.router.handle(inbound)
    # The welcome, unsupported message types and unknown menu keys: answered here.
    reply = texts.text(LANGUAGE, "welcome" if how is Handling.WELCOME else "unsupported")
    kind = f"event:{message.event}" if message.type == "event" else message.type
    label = InboundMessage("wechat", openid, f"[{kind}]", LANGUAGE, dedup_key=key)
    return await host.router.answer(label, OutboundMessage(text=reply))


def _passive(connector: WeChatConnector, key: str, openid: str) -> str:
    """The collected replies as one passive reply; what doesn't fit goes as CS messages."""
    items = connector.close_slot(key)
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


def _late(connector: WeChatConnector, key: str, openid: str, task: asyncio.Task[Any]) -> None:
    _background.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("a slow WeChat turn failed: %s", scrub(repr(task.exception())))
    items = connector.close_slot(key)
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
        log.warning("could not fetch a WeChat image: %s", scrub(exc))
        return None
    MEDIA.mkdir(parents=True, exist_ok=True)
    path = MEDIA / f"{message.id or int(time.time() * 1000)}.jpg"
    path.write_bytes(data)
    return Attachment("image", str(Path(path).relative_to(ROOT)), path.name, "image/jpeg")
