"""The files users sent, for the console: by short-lived signed links.

An ``<img>`` can't send an ``Authorization`` header, and a session token in its URL
ends up in access logs. So the console asks for a link (``GET /media/{id}/link``,
with its bearer token) and gets ``/media/{id}?expires=…&sig=…``: an HMAC over the
message id and the expiry, valid for a few minutes and for that one file only.

A file is served as what its content is (PNG, JPEG, GIF, WebP, PDF), anything else
as a download, never as the type its sender claimed, with ``nosniff`` and a
sandboxing CSP.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from common.http import bearer
from handoff.api.auth import auth_of, current_agent, desk_of
from handoff.media import OCTET, sniff_file, stored_path
from store.models import Agent, Message

api = APIRouter()

LINK_SECONDS = 300


class MediaLinks:
    """Signs and checks media links with a key shared by every gateway."""

    def __init__(
        self, key: bytes, lifetime: int = LINK_SECONDS, clock: Callable[[], float] = time.time
    ) -> None:
        self._key = hmac.new(key, b"media-links", hashlib.sha256).digest()  # its own key
        self.lifetime = lifetime
        self.clock = clock

    def _sign(self, message_id: int, expires: int) -> str:
        text = f"{message_id}.{expires}".encode()
        return hmac.new(self._key, text, hashlib.sha256).hexdigest()

    def url(self, message_id: int) -> tuple[str, int]:
        expires = int(self.clock()) + self.lifetime
        sig = self._sign(message_id, expires)
        return f"/api/agent/media/{message_id}?expires={expires}&sig={sig}", expires

    def valid(self, message_id: int, expires: int, sig: str) -> bool:
        if expires < self.clock() or expires > self.clock() + self.lifetime:
            return False
        return hmac.compare_digest(sig, self._sign(message_id, expires))


class MediaLink(BaseModel):
    url: str
    expires: int


def links_of(request: Request) -> MediaLinks:
    links: MediaLinks = request.app.state.media_links
    return links


@api.get("/media/{message_id}/link", response_model=MediaLink)
def media_link(message_id: int, request: Request, _: Agent = Depends(current_agent)) -> MediaLink:
    """A link to the file, for ``<img src>``: valid a few minutes, for this file only."""
    url, expires = links_of(request).url(message_id)
    return MediaLink(url=url, expires=expires)


@api.get("/media/{message_id}", response_class=FileResponse)
def media(
    message_id: int,
    request: Request,
    expires: int = 0,
    sig: str = "",
    authorization: str = Header(""),
) -> FileResponse:
    """A file the user sent: with a signed link, or ``Authorization: Bearer``."""
    if not (sig and links_of(request).valid(message_id, expires, sig)):
        if sig:
            raise HTTPException(403, "the link has expired or is not for this file")
        auth_of(request)(bearer(authorization))
    with desk_of(request).database() as db:
        message = db.get(Message, message_id)
        attachment = message.attachment if message is not None else None
    if not attachment:
        raise HTTPException(404, f"message {message_id} has no attachment")
    path = stored_path(attachment)
    if path is None:
        raise HTTPException(404, "the file is gone")
    mime = sniff_file(path)
    headers = {
        "X-Content-Type-Options": "nosniff",
        # Opened directly, a file can run nothing and frame nothing.
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=300",
    }
    name = str(attachment.get("name") or path.name)
    disposition = "inline" if mime else "attachment"
    return FileResponse(
        path,
        media_type=mime or OCTET,
        filename=name,
        content_disposition_type=disposition,
        headers=headers,
    )
