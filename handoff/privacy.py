"""Data rights: everything stored about one end user, exported or erased, and the
retention purge of conversations nobody wrote in for N days.

"Everything" is the desk's rows (conversations on every channel, messages, tickets
and their payloads, ratings), the files users sent (``var/media``) and Rasa's tracker
of each conversation (``store.trackers``). Each export, erasure and purge is a row in
the audit log, written in the transaction that deletes the rows.
"""

from __future__ import annotations

import base64
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from common.clock import utcnow
from events import DESK, EventHub
from handoff.media import stored_path
from store import audit, privacy
from store.trackers import Trackers

log = logging.getLogger(__name__)


class Privacy:
    def __init__(
        self,
        database: sessionmaker[Session],
        trackers: Trackers,
        hub: EventHub | None = None,
        max_file_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.database = database
        self.trackers = trackers
        self.hub = hub
        self.max_file_bytes = max_file_bytes  # larger files are named, not embedded

    def export(self, user: str, actor_id: int | None = None) -> dict[str, Any]:
        """Everything about *user*, JSON-ready; files embedded as base64."""
        with self.database.begin() as db:
            found = privacy.conversations_of(db, user)
            conversations = [privacy.exported(db, c) for c in found]
            ids = [c["id"] for c in conversations]
            files = [_file(a, self.max_file_bytes) for a in privacy.attachments(db, ids)]
            audit.record(db, actor_id, "privacy.export", {"user": user, "conversations": ids})
        return {
            "user": user,
            "exported_at": utcnow().isoformat(),
            "conversations": conversations,
            "attachments": files,
            "rasa_trackers": self.trackers.events(_senders(user, ids)),
        }

    def erase(self, user: str, actor_id: int | None = None) -> dict[str, Any]:
        """Delete everything about *user*; what went, as the audit row records it."""
        with self.database.begin() as db:
            ids = [c.id for c in privacy.conversations_of(db, user)]
            counts = self._delete(db, ids, _senders(user, ids))
            detail = {"user": user, "conversation_ids": ids, **counts}
            audit.record(db, actor_id, "privacy.erase", detail)
        self._tell()
        return detail

    def purge(self, before: datetime, batch: int = 200) -> int:
        """Retention: delete conversations with nothing newer than *before* and no open
        session, *batch* at a time; how many went."""
        total = 0
        while True:
            with self.database.begin() as db:
                ids = privacy.stale_conversations(db, before, batch)
                if not ids:
                    break
                counts = self._delete(db, ids)
                detail = {"before": before.isoformat(), **counts}
                audit.record(db, None, "retention.purge", detail)
            total += len(ids)
        if total:
            log.info("retention: deleted %d conversation(s) idle since %s", total, before)
            self._tell()
        return total

    def _delete(
        self, db: Session, ids: list[str], senders: list[str] | None = None
    ) -> dict[str, int]:
        # Rasa's tracker and the files first, in the transaction's time: if the commit
        # fails, running it again deletes the rows (deleting is idempotent).
        files = 0
        for attachment in privacy.attachments(db, ids):
            path = stored_path(attachment)
            if path is not None:
                path.unlink(missing_ok=True)
                files += 1
        events = self.trackers.erase(ids if senders is None else senders)
        return {**privacy.erase(db, ids), "files": files, "tracker_events": events}

    def _tell(self) -> None:
        if self.hub is not None:
            self.hub.publish(DESK, {"type": "queue"})  # consoles drop erased sessions


def _senders(user: str, ids: list[str]) -> list[str]:
    """Rasa's sender ids to look at: the conversations found, and *user* itself when it
    is a conversation id (a tracker can outlive the desk's rows, e.g. after a restore)."""
    return sorted(set(ids) | ({user} if ":" in user else set()))


def _file(attachment: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    path = stored_path(attachment)
    out = {k: attachment.get(k) for k in ("kind", "name", "mime", "path")}
    if path is None:
        return {**out, "stored": False}
    size = path.stat().st_size
    out = {**out, "stored": True, "bytes": size}
    if size <= max_bytes:
        out["content_base64"] = base64.b64encode(path.read_bytes()).decode()
    return out
