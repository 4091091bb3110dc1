"""Files users send (screenshots, documents): what they really are, how large they may
be, and how long they are kept.

The sender's MIME type is never believed: a file is an image or a PDF only if its
first bytes say so, anything else is served as a download. Files over the size cap
are deleted on arrival, and every file is deleted after the retention period
(screenshots of recovery phrases among them).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import String, cast, null, select
from sqlalchemy.orm import Session, sessionmaker

from common.settings import ROOT
from store.models import Message

log = logging.getLogger(__name__)

MEDIA_ROOT = (ROOT / "var" / "media").resolve()
OCTET = "application/octet-stream"
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff(head: bytes) -> str | None:
    """The allowed type *head* (a file's first bytes) starts like, else None."""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def stored_path(attachment: dict[str, Any] | None) -> Path | None:
    """The file under ``var/media`` an attachment names; None outside it or when gone."""
    if not attachment or not attachment.get("path"):
        return None
    path = (ROOT / str(attachment["path"])).resolve()
    if MEDIA_ROOT not in path.parents or not path.is_file():
        return None
    return path


def sniff_file(path: Path) -> str | None:
    with path.open("rb") as handle:
        return sniff(handle.read(16))


def checked(attachment: dict[str, str] | None, max_bytes: int) -> tuple[dict[str, str] | None, str]:
    """An arriving attachment with its type from its content, or None and a note for
    the agent when it is too large (the file is deleted then)."""
    path = stored_path(attachment)
    if attachment is None or path is None:
        return attachment, ""
    size = path.stat().st_size
    if size > max_bytes:
        path.unlink(missing_ok=True)
        return None, f"[a file of {size:,} bytes was refused: the limit is {max_bytes:,}]"
    mime = sniff_file(path)
    kind = "image" if mime and mime.startswith("image/") else "file"
    return {**attachment, "kind": kind, "mime": mime or OCTET}, ""


def purge(database: sessionmaker[Session], before: datetime, limit: int = 500) -> int:
    """Delete the files of messages older than *before* and drop their attachment."""
    with database.begin() as db:
        rows = db.execute(
            select(Message)
            .where(
                Message.created_at < before,
                Message.attachment.is_not(None),
                cast(Message.attachment, String) != "null",  # no file: stored as JSON null
            )
            .order_by(Message.id)
            .limit(limit)
        ).scalars()
        count = 0
        for message in rows:
            path = stored_path(message.attachment)
            if path is not None:
                path.unlink(missing_ok=True)
            message.attachment = null()  # SQL NULL: not selected again
            count += 1
    if count:
        log.info("retention: deleted %d attachment(s) older than %s", count, before)
    return count
