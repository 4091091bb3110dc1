"""The WeChat API side: a shared access token, customer-service sends, media downloads.

wechatpy's client is synchronous (requests); calls run in a worker thread.

A token WeChat calls invalid (40001, 40014, 42001) is handled here, not by wechatpy's
``auto_retry``: that refetches and calls itself again, and while another process holds
the fetch it gets the same stale token back, so every sender loops (thousands of calls
a minute, then "maximum recursion depth exceeded"). Here the sender expires exactly the
token it used, waits (bounded) for the one fetch under the lease, and retries within
its usual, backed-off attempts.
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
# The access token is invalid or expired: the message is fine, the token is not.
STALE_TOKEN = {40001, 40014, 42001}
TOKEN_WAIT = 10.0  # seconds a sender waits for another process's token fetch
UNREACHABLE = "the user can't be reached on WeChat until they write again"
REFRESH_EARLY = timedelta(minutes=5)  # tokens last 2 h; refresh before, never after
HTTP_TIMEOUT = 5.0  # seconds; wechatpy's token fetch has none of its own
# The job refreshes a token this long before the stored expiry (itself 5 min early).
REFRESH_AHEAD = timedelta(minutes=3)
# requests' errors quote the URL, and WeChat's URLs carry the app secret or the token.
FETCH_LEASE = "wechat_token_fetch"
_CREDENTIALS = re.compile(r"(access_token|secret|appid)=[^&\s'\"]+", re.IGNORECASE)


def scrub(error: object) -> str:
    """An error as text agents and logs may see: credentials in URLs masked."""
    return _CREDENTIALS.sub(r"\1=***", str(error))


class _ScrubUrls(logging.Filter):
    """urllib3 logs each request line at DEBUG, the token or app secret included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = scrub(record.getMessage()), None
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_ScrubUrls())


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

    def expire(self, key: str, value: str) -> bool:
        """Expire *key* if it still holds *value* (a newer value is kept)."""
        with self._sessions.begin() as db:
            return cache.expire_if(db, f"wechat:{key}", str(value), utcnow())

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
            auto_retry=False,  # stale tokens: see the module's docstring
        )
        self.API_BASE_URL = f"{settings.api_base.rstrip('/')}/cgi-bin/"
        self.storage = storage
        self._http.get = functools.partial(self._http.get, timeout=HTTP_TIMEOUT)

    def __repr__(self) -> str:
        return f"Client(appid={self.appid!r})"  # never the secret

    def fetch_access_token(self) -> Any:
        with self.storage._sessions.begin() as db:
            mine = leases.acquire(db, FETCH_LEASE, timedelta(seconds=15), utcnow())
        if not mine:
            token = self._await_token()
            if token is None:  # transient: the sender backs off and tries again
                raise WeChatClientException(None, "the access token is being fetched elsewhere")
            return {"access_token": token}
        try:
            # Stored without an expiry this instance knows of: the storage's TTL decides.
            result = self._fetch_access_token(
                url=f"{self.API_BASE_URL}token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
            )
        except WeChatClientException as exc:
            raise WeChatClientException(exc.errcode, scrub(exc.errmsg)) from None
        except Exception as exc:  # requests' errors quote the URL, secret included
            raise WeChatClientException(None, f"token fetch failed: {scrub(exc)}") from None
        finally:  # a later invalidation may fetch; senders' own backoff paces failures
            with self.storage._sessions.begin() as db:
                leases.release(db, FETCH_LEASE, utcnow())
        self.expires_at = None
        return result

    def _await_token(self, wait: float = TOKEN_WAIT) -> str | None:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            token = self.storage.get(self.access_token_key)
            if token:
                return str(token)
            time.sleep(0.2)  # polling the shared store for the holder's token
        return None

    def invalidate(self, token: str) -> None:
        """WeChat refused *token*: forget it, unless another process already replaced it."""
        self.storage.expire(self.access_token_key, token)

    def send_text_with_token(self, openid: str, text: str) -> None:
        """``message/custom/send`` with the current token, raising with the token used."""
        token = str(self.access_token)
        data = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        try:
            self.post("message/custom/send", params={"access_token": token}, data=data)
        except WeChatClientException as exc:
            exc.token = token
            raise

    async def refresh(self) -> bool:
        """A job: fetch a new token shortly before the stored one expires."""
        if self.storage.fresh(self.access_token_key, REFRESH_AHEAD):
            return False
        await asyncio.to_thread(self.fetch_access_token)
        return True


async def send_text(client: Client, settings: WeChatSettings, openid: str, text: str) -> None:
    """One customer-service text message, retried (with backoff) on transient trouble."""
    delay = settings.retry_seconds
    for attempt in range(1, settings.send_retries + 1):
        try:
            await asyncio.to_thread(client.send_text_with_token, openid, text)
            return
        except WeChatClientException as exc:
            code = exc.errcode
            if code in OUT_OF_WINDOW:
                raise Undeliverable(UNREACHABLE) from None
            if code in STALE_TOKEN:
                await asyncio.to_thread(client.invalidate, getattr(exc, "token", ""))
            elif code is not None and code not in TRANSIENT:
                raise DeliveryFailed(
                    f"WeChat refused the message: {code} {scrub(exc.errmsg)}"
                ) from None
            error: Exception = exc
        except Exception as exc:  # network trouble
            error = exc
        if attempt == settings.send_retries:
            raise DeliveryFailed(f"WeChat unreachable after {attempt} tries: {scrub(error)}")
        log.warning("WeChat send failed (try %d): %s", attempt, scrub(error))
        await asyncio.sleep(delay)
        delay *= 2


async def download(client: Client, media_id: str) -> bytes:
    def fetch() -> bytes:
        token = str(client.access_token)
        try:
            response = client.get("media/get", params={"access_token": token, "media_id": media_id})
        except WeChatClientException as exc:
            if exc.errcode not in STALE_TOKEN:
                raise
            client.invalidate(token)
            response = client.media.download(media_id)  # once more, with a fresh token
        return bytes(response.content)

    try:
        return await asyncio.to_thread(fetch)
    except Exception as exc:
        raise DeliveryFailed(f"WeChat media download failed: {scrub(exc)}") from None
