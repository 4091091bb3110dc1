"""What every request passes before any route sees it: who the client is, and how much
it may send.

- **The client's address.** Behind the load balancer the peer is the proxy; its
  ``X-Forwarded-For`` names the client only when the peer is one of
  ``DESK_TRUSTED_PROXIES`` (uvicorn's ``ProxyHeadersMiddleware``). Anyone else's
  header is ignored, so a client can't pick the address its limits are counted on.
- **The body.** At most :data:`MAX_BODY` bytes, checked while the body streams in:
  a ``Content-Length`` over it is refused before a byte is read, and a chunked body
  is cut off as soon as it passes the limit. Either way the route never parses it
  and nothing is stored: 413. File uploads (the web chat's screenshots) have their
  own, larger limit on their own path (:data:`UPLOADS`), refused in the words of a
  file that is too large, in the page's language (its ``language`` query parameter).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from common import texts
from common.http import language_of
from connectors.webchat import UPLOAD_PATH

MAX_BODY = 64 * 1024  # the longest web chat message (20,000 characters) fits, with room
UPLOADS = UPLOAD_PATH  # the one path that takes files, up to the media limit


class BodyTooLarge(Exception):
    """The body passed the limit while streaming in."""


class BodyLimit:
    """Refuse request bodies over *limit* bytes with 413, before the app parses them."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY, upload_limit: int = 0) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.upload_limit if scope.get("path") == UPLOADS else self.limit
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, headers, send)
            return
        seen = 0
        cut = False
        started = False

        async def limited() -> Message:
            nonlocal seen, cut
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    cut = True
                    raise BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if cut:  # the app's own answer to the cut-off body (a 400, say) is dropped
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited, sending)
        except BodyTooLarge:
            pass
        except Exception:
            if not cut:
                raise
        if cut and not started:
            await self._refuse(scope, headers, send)

    async def _refuse(self, scope: Scope, headers: Headers, send: Send) -> None:
        if scope.get("path") == UPLOADS:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            hint = (query.get("language") or [None])[0]
            language = language_of(headers.get("accept-language", ""), hint)
            megabytes = f"{self.upload_limit / 2**20:g}"
            detail = texts.text(language, "upload_too_large", limit=megabytes)
        else:
            language = language_of(headers.get("accept-language", ""))
            detail = texts.text(language, "too_large", limit=self.limit // 1024)
        response = JSONResponse({"detail": detail}, status_code=413)
        response.headers["Connection"] = "close"  # the rest of the body is not read

        async def nothing() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)


def protect(app: Any, trusted_proxies: str, max_body: int = MAX_BODY, max_upload: int = 0) -> None:
    """Wrap *app*: the client's address first (outermost), then the body limit
    (*max_upload* on the upload path)."""
    app.add_middleware(BodyLimit, limit=max_body, upload_limit=max_upload)
    trusted = [p.strip() for p in trusted_proxies.split(",") if p.strip()]
    # An empty list trusts nobody: every X-Forwarded-For is ignored.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
