"""Email threads: which conversation an arriving email continues, and what a reply
must answer (its ``In-Reply-To`` and ``References``).

An email joins a thread only when its sender is the thread's sender: a forged
``In-Reply-To`` naming another user's message starts a thread of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.email_tables import EmailMessageId, EmailThread
from store.models import HandoffSession


def _own(db: Session, thread_id: int | None, sender: str) -> EmailThread | None:
    if thread_id is None:
        return None
    thread = db.get(EmailThread, thread_id)
    return thread if thread is not None and thread.address == sender else None


def thread_of(db: Session, message_id: str) -> int | None:
    row = db.get(EmailMessageId, message_id)
    return int(row.thread_id) if row is not None else None


def find_thread(
    db: Session, sender: str, answers: list[str], ticket: int | None
) -> EmailThread | None:
    """The sender's thread this email continues: by the messages it answers, nearest
    first, else by the ticket number in its subject; None for a new thread."""
    for message_id in answers:
        thread = _own(db, thread_of(db, message_id), sender)
        if thread is not None:
            return thread
    if ticket is not None:
        session = db.get(HandoffSession, ticket)  # T-000042 is session 42
        if session is not None and session.conversation_id.startswith("email:t"):
            number = session.conversation_id.removeprefix("email:t")
            if number.isdigit():
                return _own(db, int(number), sender)
    return None


def newest_when_busy(db: Session, sender: str, most: int, since: datetime) -> EmailThread | None:
    """The sender's newest thread when they started *most* threads or more since
    *since*, else None."""
    rows = db.execute(
        select(EmailThread)
        .where(EmailThread.address == sender, EmailThread.created_at >= since)
        .order_by(EmailThread.created_at.desc(), EmailThread.id.desc())
        .limit(most)
    ).scalars()
    found = list(rows)
    return found[0] if len(found) >= most else None


def thread_for(
    db: Session,
    message_id: str,
    sender: str,
    subject: str,
    answers: list[str],
    ticket: int | None,
    *,
    most_new: int | None = None,
    since: datetime | None = None,
) -> EmailThread:
    """The thread of an arriving email, recorded with it: fetched twice (a poller that
    died before marking it read), it lands in the same thread. A sender who started
    *most_new* threads since *since* continues the newest of them instead of a new one."""
    known = _own(db, thread_of(db, message_id), sender)
    if known is not None:
        return known
    thread = find_thread(db, sender, answers, ticket)
    if thread is None and most_new is not None and since is not None:
        thread = newest_when_busy(db, sender, most_new, since)
    if thread is None:
        thread = EmailThread(address=sender, subject=subject)
        db.add(thread)
        db.flush()
    record(db, thread, message_id)
    return thread


def record(db: Session, thread: EmailThread, message_id: str) -> None:
    """*message_id* (received or sent) belongs to *thread*, and is now its newest."""
    try:
        with db.begin_nested():
            db.add(EmailMessageId(message_id=message_id, thread_id=thread.id))
    except IntegrityError:
        pass  # seen before (the same email fetched again): already recorded
    thread.last_message_id = message_id


def references(db: Session, thread: EmailThread, limit: int = 20) -> list[str]:
    """The thread's Message-IDs, oldest first: a reply's ``References`` header."""
    rows = db.execute(
        select(EmailMessageId.message_id)
        .where(EmailMessageId.thread_id == thread.id)
        .order_by(EmailMessageId.created_at, EmailMessageId.message_id)
    ).scalars()
    found = list(rows)
    return found[-limit:]
