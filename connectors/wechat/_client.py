"""The WeChat API side: a shared access token, customer-service sends, media downloads.

wechatpy's client is synchronous (requests); calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from connectors._base import DeliveryFailed, Undeliverable
from connectors.wechat._settings import WeChatSettings
from handoff import queue
from handoff.models import utcnow

log = logging.getLogger(__name__)

# 45015: the 48-hour window has closed; 45047: too many messages in it.
OUT_OF_WINDOW = {45015, 45047}
# -1 system busy, 45009 API quota, 45011 too frequent: worth retrying.
TRANSIENT = {-1, 45009, 45011}
UNREACHABLE = "the user can't be reached on WeChat until they write again"
REFRESH_EARLY = timedelta(minutes=5)  # tokens last 2 h; refresh before, never after
# requests' errors quote the URL, and WeChat's URLs carry the app secret or the token.
_CREDENTIALS = re.compile(r"(access_token|secret|appid)=[^&\s'\"]+", re.IGNORECASE)


def scrub(error: object) -> str:
    """An error as text agents and logs may see: credentials in URLs masked."""
    return _CREDENTIALS.sub(r"\1=***", str(error))


class DatabaseStorage(SessionStorage):
    """wechatpy's token storage in the desk database, shared by every gateway process."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def get(self, key: str, default: Any = None) -> Any:
        with self._sessions() as db:
            value = queue.cached(db, f"wechat:{key}", utcnow())
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        lifetime = timedelta(seconds=ttl or 7200) - REFRESH_EARLY
        with self._sessions.begin() as db:
            queue.cache(db, f"wechat:{key}", str(value), utcnow() + lifetime)

    def delete(self, key: str) -> None:
        with self._sessions.begin() as db:
            queue.cache(db, f"wechat:{key}", "", utcnow())


class Client(WeChatClient):
    """WeChatClient with a configurable API host (tests point it at a local server)."""

    def __init__(self, settings: WeChatSettings, storage: SessionStorage) -> None:
        super().__init__(settings.app_id, settings.app_secret.get_secret_value(), session=storage)
        self.API_BASE_URL = f"{settings.api_base.rstrip('/')}/cgi-bin/"

    def fetch_access_token(self) -> Any:
        # Stored without an expiry this instance knows of: the storage's TTL decides.
        result = self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        self.expires_at = None
        return result


async def send_text(client: Client, settings: WeChatSettings, openid: str, text: str) -> None:
    """One customer-service text message, retried on transient trouble."""
    delay = settings.retry_seconds
    for attempt in range(1, settings.send_retries + 1):
        try:
            await asyncio.to_thread(client.message.send_text, openid, text)
            return
        except WeChatClientException as exc:
            code = exc.errcode
            if code in OUT_OF_WINDOW:
                raise Undeliverable(UNREACHABLE) from exc
            if code is not None and code not in TRANSIENT:
                raise DeliveryFailed(f"WeChat refused the message: {code} {exc.errmsg}") from exc
            error: Exception = exc
        except Exception as exc:  # network trouble
            error = exc
        if attempt == settings.send_retries:
            raise DeliveryFailed(f"WeChat unreachable after {attempt} tries: {scrub(error)}")
        log.warning("WeChat send failed (try %d): %s", attempt, scrub(error))
        await asyncio.sleep(delay)
        delay *= 2


async def download(client: Client, media_id: str) -> bytes:
    response = await asyncio.to_thread(client.media.download, media_id)
    return bytes(response.content)
