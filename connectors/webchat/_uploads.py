"""Screenshots and PDFs from the web chat page: uploaded, checked, stored for the agent.

``POST /webchat/api/uploads`` takes the file as the raw request body (no multipart:
one file, streamed, counted as it arrives), its name in ``X-File-Name``
(percent-encoded UTF-8; a header, so it stays out of access logs: a name can hold a
secret). What is refused is refused before anything is stored: too large (413),
not a PNG, JPEG, WebP or PDF by its bytes (415), empty (422), each said in the
page's language. An accepted file is cleaned (:mod:`._files`), saved under
``var/media/webchat/`` with a name of ours, and routed like a Telegram photo: the
router runs its name through the guard and stores it on the user's message, where
the console shows it. The page gets it back from ``GET /webchat/api/files/{id}``,
for the visitor who sent it only.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel
from sqlalchemy import select

from common import texts
from common.http import language_of
from common.messages import Attachment, InboundMessage, chat_json
from common.settings import ROOT, DeskSettings
from connectors._host import ChannelHost
from connectors.webchat._connector import CHANNEL
from connectors.webchat._files import Cleaned, Refused, clean
from store import messages
from store.models import Message

UPLOAD_PATH = "/webchat/api/uploads"
MEDIA = ROOT / "var" / "media" / CHANNEL
ACCEPTED = ("image/png", "image/jpeg", "image/webp", "application/pdf")
_CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{8,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Limits(BaseModel):
    max_bytes: int
    types: list[str]


def upload_routes(
    api: APIRouter, host: ChannelHost, visitor: Callable[..., str], settings: DeskSettings
) -> None:
    """Add the upload routes to the web chat's *api*; *visitor* is its token check."""
    max_bytes = settings.media_max_bytes

    @api.get("/api/uploads/limits", response_model=Limits)
    def limits() -> Limits:
        """What the page may upload: it checks the size before sending a byte."""
        return Limits(max_bytes=max_bytes, types=list(ACCEPTED))

    @api.post(
        "/api/uploads",
        responses={
            413: {"description": "larger than the limit: nothing stored"},
            415: {"description": "not a PNG, JPEG, WebP or PDF by its content: nothing stored"},
            422: {"description": "an empty file: nothing stored"},
        },
    )
    async def upload(
        request: Request,
        language: str | None = None,
        client_id: str | None = None,
        x_file_name: str = Header(""),
        user_id: str = Depends(visitor),
    ) -> Any:
        """Send a file (the raw body) as the user's next message; answered like one."""
        hint = language_of(request.headers.get("accept-language", ""), language)
        try:
            data = await _body(request, max_bytes)
            cleaned = await asyncio.to_thread(clean, data)
            if len(cleaned.data) > max_bytes:  # re-encoding can grow a file
                raise Refused(413, "upload_too_large")
        except Refused as refused:
            megabytes = f"{max_bytes / 2**20:g}"
            detail = texts.text(hint, refused.key, limit=megabytes)
            return JSONResponse({"detail": detail}, status_code=refused.status)
        path = await asyncio.to_thread(_save, cleaned)
        name = _file_name(x_file_name, cleaned)
        attachment = Attachment(cleaned.kind, str(path.relative_to(ROOT)), name, cleaned.mime)
        dedup = client_id if client_id and _CLIENT_ID.fullmatch(client_id) else None
        inbound = InboundMessage(
            channel=CHANNEL,
            user_id=user_id,
            text="[photo]" if cleaned.kind == "image" else f"[file: {name}]",
            language=language,
            dedup_key=f"{user_id}:{dedup}" if dedup else None,
            attachment=attachment,
            metadata={"file_only": True},
            client_ip=request.client.host if request.client else None,
        )
        try:
            turn = await host.router.handle(inbound)
        except BaseException:
            if not _referenced(host, inbound.conversation_id, attachment.path):  # no orphans
                path.unlink(missing_ok=True)
            raise
        if turn.duplicate:  # stored the first time: this copy is not needed
            path.unlink(missing_ok=True)
        result = {
            "message": chat_json(messages.as_outbound(turn.message)),
            "replies": [chat_json(r) for r in turn.replies],
            "duplicate": turn.duplicate,
        }
        return result

    @api.get("/api/files/{message_id}", response_class=FileResponse)
    def sent_file(message_id: int, user_id: str = Depends(visitor)) -> FileResponse:
        """A file this visitor sent (for their own page: fetched with the token)."""
        with host.database() as db:
            message = db.get(Message, message_id)
            mine = message is not None and message.conversation_id == f"{CHANNEL}:{user_id}"
            attachment = message.attachment if mine and message is not None else None
        path = _stored(attachment)
        if attachment is None or path is None:
            raise HTTPException(404, "no such file")
        mime = str(attachment.get("mime") or "")
        return FileResponse(
            path,
            media_type=mime if mime in ACCEPTED else "application/octet-stream",
            filename=str(attachment.get("name") or path.name),
            content_disposition_type="inline",
            headers={
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=300",
            },
        )


async def _body(request: Request, max_bytes: int) -> bytes:
    """The body, refused as soon as it passes *max_bytes* (the edge checks it too)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(413, "upload_too_large")
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > max_bytes:
            raise Refused(413, "upload_too_large")
    return bytes(received)


def _save(cleaned: Cleaned) -> Path:
    MEDIA.mkdir(parents=True, exist_ok=True)
    path = MEDIA / f"{uuid.uuid4().hex}{cleaned.suffix}"
    path.write_bytes(cleaned.data)
    return path


def _file_name(header: str, cleaned: Cleaned) -> str:
    """The user's name for the file (the router's guard reads it), with the extension
    of what it really is; only its last part, no control characters, not too long."""
    name = _CONTROL.sub("", unquote(header)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem = Path(name).stem[:100].strip() or ("screenshot" if cleaned.kind == "image" else "file")
    return f"{stem}{cleaned.suffix}"


def _referenced(host: ChannelHost, conversation_id: str, relative: str) -> bool:
    """Whether the conversation's latest files include this one (the turn failed after
    storing it: the agent still sees it, and the retention job deletes it in time)."""
    try:
        with host.database() as db:
            latest = db.execute(
                select(Message.attachment)
                .where(Message.conversation_id == conversation_id, Message.attachment.is_not(None))
                .order_by(Message.id.desc())
                .limit(5)
            ).scalars()
            return any((stored or {}).get("path") == relative for stored in latest)
    except Exception:  # the database is what failed: the file can't be told unused
        return True


def _stored(attachment: dict[str, Any] | None) -> Path | None:
    """The stored file, only if it lies under the web chat's media folder."""
    if not attachment or not attachment.get("path"):
        return None
    path = (ROOT / str(attachment["path"])).resolve()
    if MEDIA.resolve() not in path.parents or not path.is_file():
        return None
    return path
