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
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Fetched:
    """An unread email: all of it, or only its header when it is over the size cap
    (it still becomes a ticket, with a note for the agent, and is marked read: left
    unread it would be fetched again at every poll, and a batch of them would block
    every email behind)."""

    uid: int
    raw: bytes
    size: int
    whole: bool


def oversized(email: Email, size: int, limit: int) -> Email:
    """*email* (read from its header alone) with a note for the agent instead of text."""
    note = f"[an email of {size:,} bytes was not read: the limit is {limit:,}]"
    return replace(email, text=note, attachments=[])


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

    def unread(self) -> list[Fetched]:
        """Up to BATCH unread messages, whole, or only their header when over the cap."""
        client = self.client()
        uids = sorted(client.search(["UNSEEN"]))[:BATCH]
        if not uids:
            return []
        sizes = {
            u: int(v.get(b"RFC822.SIZE", 0)) for u, v in client.fetch(uids, ["RFC822.SIZE"]).items()
        }
        limit = self.settings.max_message_bytes
        small = [u for u in uids if sizes.get(u, 0) <= limit]
        large = [u for u in uids if sizes.get(u, 0) > limit]
        bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        headers = client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
        found = []
        for uid in uids:
            if uid in bodies:
                found.append(Fetched(uid, bodies[uid][b"BODY[]"], sizes.get(uid, 0), whole=True))
            elif uid in headers:
                raw = headers[uid][b"BODY[HEADER]"]
                found.append(Fetched(uid, raw, sizes.get(uid, 0), whole=False))
        return found

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
    own = settings.address.lower()
    if own and (email.sender == own or own in email.loops):
        # Our own email come back (a forwarding rule, a user address that redirects to
        # the support mailbox): answering it would answer ourselves, forever.
        return "not answered: it came from this mailbox (a mail loop)"

    # The subject is kept with the thread and repeated in every reply: never a secret.
    # (The message's text below still holds it, for the guard to read and warn about.)
    subject = host.router.scrub(email.subject)

    def thread() -> int:
        with host.database.begin() as db:
            found = threads.thread_for(
                db,
                email.message_id,
                email.sender,
                subject,
                email.thread_ids,
                email.ticket,
                most_new=settings.max_threads_per_hour,
                since=utcnow() - timedelta(hours=1),
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


def _let_go(host: ChannelHost) -> None:
    with contextlib.suppress(Exception), host.database.begin() as db:  # the database is gone
        leases.release(db, LEASE, utcnow(), holder=host.jobs.holder)


async def read_mailbox(host: ChannelHost, settings: EmailSettings) -> None:
    """The gateway's email loop: the lease holder reads; the others wait to take over,
    at once when it stops (it lets the lease go), within a minute when it dies."""
    mailbox = Mailbox(settings)
    try:
        await _read(host, settings, mailbox)
    finally:
        # Also when the task is cancelled (the gateway stopping): here, not in a thread,
        # so it runs before the database engine is disposed of. (The IMAP connection may
        # be in use by a thread still waiting in IDLE: it ends with the process.)
        _let_go(host)


async def _read(host: ChannelHost, settings: EmailSettings, mailbox: Mailbox) -> None:
    delay = 1.0
    while not host.stopping():
        if not await asyncio.to_thread(_hold, host, settings):
            await asyncio.to_thread(mailbox.close)
            await asyncio.sleep(5)
            continue
        try:
            batch = await asyncio.to_thread(mailbox.unread)
            for fetched in batch:
                email = parse(fetched.raw)
                if not fetched.whole:
                    log.warning("email uid %s is over EMAIL_MAX_MESSAGE_BYTES", fetched.uid)
                    email = oversized(email, fetched.size, settings.max_message_bytes)
                outcome = await take(host, settings, email)
                log.info("email uid %s: %s", fetched.uid, outcome)
                await asyncio.to_thread(mailbox.mark_read, fetched.uid)
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
