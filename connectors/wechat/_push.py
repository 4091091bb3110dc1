"""Is this push from WeChat, and new? Signature, freshness, one use per nonce, and safe
mode when it is required.

The query signature covers only token + timestamp + nonce, never the body: in plain
mode anyone holding one signed URL (access logs keep them) could post any XML under
it. So a push is refused when its timestamp is stale, and a (signature, nonce) pair is
accepted once, across every gateway process (the pair is a row in the deliveries
table). In safe mode the body itself is signed (``msg_signature``), so
``WECHAT_REQUIRE_AES`` refuses plain bodies outright.

Message push: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
Safe mode: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
"""

from __future__ import annotations

import hmac
import logging
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

from fastapi import HTTPException
from sqlalchemy.orm import Session, sessionmaker
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import WeChatSigner

from common.clock import utcnow
from connectors.wechat._settings import WeChatSettings
from store import deliveries

log = logging.getLogger(__name__)

NONCES = "wechat-nonce"  # the deliveries table's channel for used (signature, nonce) pairs
# WeChat's timestamps are decimal seconds and its nonces short digit strings; both end
# up in the reply envelope's XML, so anything else is refused before it gets there.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _same(signature: str, *parts: str) -> bool:
    """WeChat's SHA1 signature of *parts*, compared in constant time (wechatpy's own
    checks use ``!=``, which leaks how much of a guess was right)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return hmac.compare_digest(str(signer.signature).encode(), signature.encode())


def refuse(status: int, reason: str) -> HTTPException:
    log.warning("WeChat push refused: %s", reason)
    return HTTPException(status, reason)


class PushCheck:
    """Checks one push; :meth:`open` returns the parsed message or raises HTTP 4xx."""

    def __init__(
        self,
        settings: WeChatSettings,
        database: sessionmaker[Session],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.token = settings.token.get_secret_value()
        aes_key = settings.encoding_aes_key.get_secret_value()
        self.crypto = WeChatCrypto(self.token, aes_key, settings.app_id) if aes_key else None

    def signed(self, signature: str, timestamp: str, nonce: str) -> None:
        if not _same(signature, self.token, timestamp, nonce):
            raise refuse(403, "bad signature")

    def fresh(self, timestamp: str, nonce: str) -> None:
        if not _TIMESTAMP.fullmatch(timestamp) or not _NONCE.fullmatch(nonce):
            raise refuse(403, "malformed timestamp or nonce")
        if abs(self.clock() - int(timestamp)) > self.settings.replay_window_seconds:
            raise refuse(403, "stale timestamp")

    def open(self, body: bytes, params: dict[str, str]) -> tuple[Any, bool]:
        """The push's message and whether it came encrypted; raises on anything wrong."""
        signature, timestamp, nonce = params["signature"], params["timestamp"], params["nonce"]
        self.signed(signature, timestamp, nonce)
        self.fresh(timestamp, nonce)
        encrypted = params["encrypt_type"] == "aes"
        if not encrypted and self.settings.aes_required:
            raise refuse(403, "plain body, but safe mode (AES) is required")
        try:
            if encrypted:
                if self.crypto is None:
                    raise refuse(400, "safe mode message but no WECHAT_ENCODING_AES_KEY")
                envelope = ElementTree.fromstring(body).findtext("Encrypt") or ""
                if not _same(params["msg_signature"], self.token, timestamp, nonce, envelope):
                    raise InvalidSignatureException()
                body = self.crypto.decrypt_message(
                    body, params["msg_signature"], timestamp, nonce
                ).encode()
            message = parse_message(body)
        except InvalidSignatureException:
            raise refuse(403, "bad msg_signature") from None
        except HTTPException:
            raise
        except Exception as exc:  # wechatpy and xmltodict raise many kinds for bad input
            raise refuse(400, f"malformed or undecryptable ({type(exc).__name__})") from None
        if message is None or not message.source:
            raise refuse(400, "empty message")
        return message, encrypted

    def first_use(self, db: Session, signature: str, nonce: str) -> bool:
        """False for a (signature, nonce) pair seen before, in any gateway process."""
        return deliveries.first_delivery(db, NONCES, f"{signature}:{nonce}")

    async def purge(self) -> int:
        """A job: forget pairs older than the window (their timestamps are refused now)."""
        window = timedelta(seconds=2 * self.settings.replay_window_seconds)
        with self.database.begin() as db:
            return deliveries.forget(db, NONCES, utcnow() - window)
