"""Reading the support mailbox: one gateway at a time (a lease), IDLE where offered.

Each unread email is stored through the router (deduplicated by its ``Message-ID``
in the transaction that stores it), and only then marked read: a gateway killed in
between leaves it unread, and the next reader's copy is recognised as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
import uuid
from datetime import timedelta
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from common.clock import utcnow
from common.messages import Attachment, InboundMessage
from common.settings import ROOT
from connectors._host import ChannelHost
from connectors.email._parse import Email, Part, parse
from connectors.email._settings import EmailSettings
from store import email as threads
from store import leases

log = logging.getLogger(__name__)

LEASE = "email_reading"
MEDIA = ROOT / "var" / "media" / "email"
BATCH = 20
IDLE_SLICE = 5  # seconds: how soon a stopping gateway notices, while IDLE waits
_SAFE_NAME = re.compile(r"[^\w.\-]+")


def _hold(host: ChannelHost, settings: EmailSettings) -> bool:
    ttl = timedelta(seconds=settings.poll_seconds + 60)
    with host.database.begin() as db:
        return leases.acquire(db, LEASE, ttl, utcnow(), holder=host.jobs.holder, renew=True)


class Mailbox:
    """The IMAP side, synchronous (run in a thread): one connection, reopened on error."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self._client: IMAPClient | None = None

    def client(self) -> IMAPClient:
        if self._client is None:
            s = self.settings
            client = IMAPClient(s.imap_host, port=s.imap_port, ssl=s.imap_ssl, timeout=30)
            client.login(s.imap_user, s.imap_password.get_secret_value())
            client.select_folder(s.imap_folder)
            self._client = client
        return self._client

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # already gone
                self._client.logout()
            self._client = None

    def unread(self) -> list[tuple[int, bytes | None]]:
        """Up to BATCH unread messages: (uid, raw bytes, or None when over the size cap)."""
        client = self.client()
        uids = sorted(client.search(["UNSEEN"]))[:BATCH]
        if not uids:
            return []
        sizes = client.fetch(uids, ["RFC822.SIZE"])
        small = [
            u
            for u in uids
            if sizes.get(u, {}).get(b"RFC822.SIZE", 0) <= self.settings.max_message_bytes
        ]
        bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        return [(u, bodies[u][b"BODY[]"] if u in bodies else None) for u in uids]

    def mark_read(self, uid: int) -> None:
        self.client().add_flags([uid], [b"\\Seen"])

    def wait(self, seconds: float) -> None:
        """Until the server says something changed, or *seconds* pass."""
        client = self.client()
        if b"IDLE" not in client.capabilities():
            time.sleep(seconds)
            return
        client.idle()
        try:
            client.idle_check(timeout=seconds)
        finally:
            client.idle_done()


def _save(part: Part) -> Attachment:
    MEDIA.mkdir(parents=True, exist_ok=True)
    name = _SAFE_NAME.sub("_", Path(part.name).name)[:80] or "attachment"
    path = MEDIA / f"{uuid.uuid4().hex}-{name}"
    path.write_bytes(part.data)
    return Attachment(kind="file", path=str(path.relative_to(ROOT)), name=part.name[:200])


def dedup_key(message_id: str, index: int = 0) -> str:
    digest = hashlib.sha256(message_id.encode()).hexdigest()[:40]
    return f"email:{digest}" + (f"#{index}" if index else "")


async def take(host: ChannelHost, settings: EmailSettings, email: Email) -> str:
    """Store one email and have it answered; what was done, for the log."""
    if email.automatic:
        return f"not answered: written by a machine ({email.automatic})"
    if not email.sender:
        return "not answered: no sender address"
    if email.recipients >= settings.max_recipients:
        return f"not answered: sent to {email.recipients} recipients"

    def thread() -> int:
        with host.database.begin() as db:
            found = threads.thread_for(
                db, email.message_id, email.sender, email.subject, email.thread_ids, email.ticket
            )
            return int(found.id)

    number = await asyncio.to_thread(thread)
    user = f"t{number}"
    text = email.text or "(no text)"
    if not email.thread_ids and email.ticket is None and email.subject:
        text = f"{email.subject}\n\n{text}"  # the first email: its subject says what it is about
    files = [await asyncio.to_thread(_save, part) for part in email.attachments]
    first = files[0] if files else None
    await host.router.handle(
        InboundMessage("email", user, text, dedup_key=dedup_key(email.message_id), attachment=first)
    )
    for index, extra in enumerate(files[1:], start=1):  # the agent gets every file
        await host.router.handle(
            InboundMessage(
                "email",
                user,
                f"[file: {extra.name}]",
                dedup_key=dedup_key(email.message_id, index),
                attachment=extra,
            )
        )
    return f"stored in thread {number}"


async def read_mailbox(host: ChannelHost, settings: EmailSettings) -> None:
    """The gateway's email loop: the lease holder reads; the others wait to take over."""
    mailbox = Mailbox(settings)
    delay = 1.0
    while not host.stopping():
        if not await asyncio.to_thread(_hold, host, settings):
            await asyncio.to_thread(mailbox.close)
            await asyncio.sleep(5)
            continue
        try:
            batch = await asyncio.to_thread(mailbox.unread)
            for uid, raw in batch:
                if raw is None:
                    log.warning("email uid %s is over EMAIL_MAX_MESSAGE_BYTES; left unread", uid)
                    continue
                outcome = await take(host, settings, parse(raw))
                log.info("email uid %s: %s", uid, outcome)
                await asyncio.to_thread(mailbox.mark_read, uid)
            if len(batch) < BATCH:
                await asyncio.to_thread(mailbox.wait, min(IDLE_SLICE, settings.poll_seconds))
            delay = 1.0
        except (IMAPClientError, OSError) as exc:
            log.warning(
                "the mailbox could not be read (%s); retrying in %.0f s", type(exc).__name__, delay
            )
            await asyncio.to_thread(mailbox.close)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60)
    await asyncio.to_thread(mailbox.close)
