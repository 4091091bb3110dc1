"""The gateway in-process with WeChat mounted on the fake API (:mod:`tests.fakes.wechat`),
and a "WeChat side" that signs, encrypts and reads passive replies as the platform does."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import httpx
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
from tests.fakes.rasa import FakeRasa, SlowRasa
from tests.fakes.wechat import AES_KEY, APP_ID, OPENID, TOKEN, WeChatApi, signed, unique_nonce
from tests.support.gateway import ALWAYS, Gateway


class WeChatGateway(Gateway):
    """*extra* goes to :class:`WeChatSettings`; Rasa is a :class:`SlowRasa` unless given."""

    def __init__(
        self,
        url: str,
        api: WeChatApi,
        aes: bool = False,
        rasa: FakeRasa | None = None,
        **extra: Any,
    ) -> None:
        self.url = url
        self.rasa = rasa or SlowRasa()
        self.aes = aes
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.rasa))
        options: dict[str, Any] = {
            "reply_deadline_seconds": 1.5,  # roomy: a loaded CI machine must not turn fast slow
            "retry_seconds": 0.01,
            **extra,
        }
        config = WeChatSettings(
            app_id=APP_ID,
            app_secret=SecretStr("app-secret"),
            token=SecretStr(TOKEN),
            encoding_aes_key=SecretStr(AES_KEY if aes else ""),
            api_base=api.url,
            **options,
        )
        self.app = create_app(
            ALWAYS,
            url,
            RasaClient("http://rasa.test", client=client),
            channels=[lambda app, desk: wechat.mount(app, desk, config)],
        )
        self.client = TestClient(self.app)
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    def params(self, timestamp: int | None = None, signature: str | None = None) -> dict[str, str]:
        """A signed query string, as WeChat sends it (a fresh nonce each time)."""
        stamp, nonce = str(timestamp or int(time.time())), unique_nonce()
        return {"signature": signature or signed(stamp, nonce), "timestamp": stamp, "nonce": nonce}

    def post(
        self, params: dict[str, str], body: str, encrypt: bool | None = None
    ) -> httpx.Response:
        """POST *body* with *params*, encrypted in safe mode (or as *encrypt* says)."""
        params = dict(params)
        if self.aes if encrypt is None else encrypt:
            envelope = self.crypto.encrypt_message(body, params["nonce"], params["timestamp"])
            root = ET.fromstring(envelope)
            params.update(encrypt_type="aes", msg_signature=root.findtext("MsgSignature") or "")
            body = envelope
        return self.client.post("/wechat", params=params, content=body.encode())

    def push(self, body: str, signature: str | None = None) -> httpx.Response:
        """POST as WeChat would, with a fresh signed query string."""
        return self.post(self.params(signature=signature), body)

    def reply_text(self, response: httpx.Response) -> str:
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
        """The texts stored for *openid*'s conversation."""
        engine = make_engine(self.url)
        with session_factory(engine)() as db:
            texts = list(
                db.scalars(
                    select(Message.text).where(Message.conversation_id == f"wechat:{openid}")
                )
            )
        engine.dispose()
        return texts
