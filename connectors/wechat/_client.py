"""The WeChat API side: a shared access token, customer-service sends, media downloads.

wechatpy's client is synchronous (requests); calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from common.channel import DeliveryFailed, Undeliverable
from common.clock import utcnow
from connectors.wechat._settings import WeChatSettings
from store import cache, leases

log = logging.getLogger(__name__)

# 45015: the 48-hour window has closed; 45047: too many messages in it.
OUT_OF_WINDOW = {45015, 45047}
# -1 system busy, 45009 API quota, 45011 too frequent: worth retrying.
TRANSIENT = {-1, 45009, 45011}
UNREACHABLE = "the user can't be reached on WeChat until they write again"
REFRESH_EARLY = timedelta(minutes=5)  # tokens last 2 h; refresh before, never after
HTTP_TIMEOUT = 5.0  # seconds; wechatpy's token fetch has none of its own
# The job refreshes a token this long before the stored expiry (itself 5 min early).
REFRESH_AHEAD = timedelta(minutes=3)
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
            value = cache.cached(db, f"wechat:{key}", utcnow())
        return default if value is None else value

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        lifetime = timedelta(seconds=ttl or 7200) - REFRESH_EARLY
        with self._sessions.begin() as db:
            cache.cache(db, f"wechat:{key}", str(value), utcnow() + lifetime)

    def delete(self, key: str) -> None:
        with self._sessions.begin() as db:
            cache.cache(db, f"wechat:{key}", "", utcnow())

    def fresh(self, key: str, ahead: timedelta) -> bool:
        """Whether *key* is stored and still valid *ahead* from now."""
        with self._sessions() as db:
            return cache.cached(db, f"wechat:{key}", utcnow() + ahead) is not None


class Client(WeChatClient):
    """WeChatClient with a configurable API host, timeouts and one token per account.

    WeChat voids the previous token a few minutes after a new one is issued, so the
    gateway processes must not each fetch their own: the fetch happens under a
    lease, and a process that doesn't get it waits for the holder's token.
    """

    def __init__(self, settings: WeChatSettings, storage: DatabaseStorage) -> None:
        super().__init__(
            settings.app_id,
            settings.app_secret.get_secret_value(),
            session=storage,
            timeout=HTTP_TIMEOUT,
        )
        self.API_BASE_URL = f"{settings.api_base.rstrip('/')}/cgi-bin/"
        self.storage = storage
        self._http.get = functools.partial(self._http.get, timeout=HTTP_TIMEOUT)

    def fetch_access_token(self) -> Any:
        with self.storage._sessions.begin() as db:
            mine = leases.acquire(db, "wechat_token_fetch", timedelta(seconds=15), utcnow())
        if not mine:
            token = self._await_token()
            if token is not None:
                return {"access_token": token}
        # Stored without an expiry this instance knows of: the storage's TTL decides.
        result = self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )
        self.expires_at = None
        return result

    def _await_token(self, wait: float = 10.0) -> str | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            token = self.storage.get(self.access_token_key)
            if token:
                return str(token)
            time.sleep(0.2)
        return None

    async def refresh(self) -> bool:
        """A job: fetch a new token shortly before the stored one expires."""
        if self.storage.fresh(self.access_token_key, REFRESH_AHEAD):
            return False
        await asyncio.to_thread(self.fetch_access_token)
        return True


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
