"""Handoff sessions: open from the bot's payload, claim, transfer, resolve, reopen.

Every state change is one conditional ``UPDATE … WHERE state = …``, so it holds
across gateway processes: when two agents claim at once, the database lets
exactly one update match, and the other gets :class:`Conflict` (HTTP 409).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.jobs import ALIVE
from handoff.models import (
    OPEN_STATES,
    Agent,
    CachedValue,
    Conversation,
    Csat,
    Delivery,
    HandoffSession,
    Lease,
    Message,
    utcnow,
)
from handoff.payload import HandoffPayload

_PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2}


class NotFound(LookupError):
    """No such session or agent (HTTP 404)."""


class Conflict(RuntimeError):
    """The session is not in a state that allows this (HTTP 409)."""


def payload_key(payload: HandoffPayload) -> str:
    """Same conversation + same creation time = the same handoff, however often delivered."""
    raw = json.dumps([payload.conversation_id, payload.created_at, payload.reason])
    return hashlib.sha256(raw.encode()).hexdigest()


def ensure_conversation(db: Session, conversation_id: str, channel: str, language: str) -> None:
    """Create the conversation row once, however many deliveries race for it."""
    if db.get(Conversation, conversation_id) is not None:
        return
    try:
        with db.begin_nested():
            db.add(Conversation(id=conversation_id, channel=channel, language=language))
    except IntegrityError:
        pass  # created by a concurrent delivery: it is the same conversation


def active_session(db: Session, conversation_id: str) -> HandoffSession | None:
    """The conversation's unresolved session (chat or ticket), if any."""
    return (
        db.execute(
            select(HandoffSession)
            .where(
                HandoffSession.conversation_id == conversation_id,
                HandoffSession.state.in_((*OPEN_STATES, "assigned")),
            )
            .order_by(HandoffSession.id)
        )
        .scalars()
        .first()
    )


def active_session_id(db: Session, conversation_id: str) -> int | None:
    """Like :func:`active_session`, without loading the row."""
    return db.execute(
        select(HandoffSession.id)
        .where(
            HandoffSession.conversation_id == conversation_id,
            HandoffSession.state.in_((*OPEN_STATES, "assigned")),
        )
        .limit(1)
    ).scalar()


def held_session(db: Session, conversation_id: str) -> int | None:
    """The session holding the conversation for a human, if any: the bot stays silent.

    A live chat holds it from the moment it is queued; a ticket only once an
    agent has claimed it (until then the bot keeps answering).
    """
    session = active_session(db, conversation_id)
    if session is None or (session.kind == "ticket" and session.state != "assigned"):
        return None
    return int(session.id)


def latest_session(db: Session, conversation_id: str) -> HandoffSession | None:
    return (
        db.execute(
            select(HandoffSession)
            .where(HandoffSession.conversation_id == conversation_id)
            .order_by(HandoffSession.id.desc())
        )
        .scalars()
        .first()
    )


def open_session(
    db: Session,
    payload: HandoffPayload,
    channel: str = "rest",
    now: datetime | None = None,
    kind: str = "chat",
) -> tuple[HandoffSession, bool]:
    """Queue a session for *payload*; ``(session, False)`` if it was already queued.

    A conversation has at most one unresolved session: a second handoff while one
    is open adds a note to it instead of a second queue entry.
    """
    key = payload_key(payload)
    existing = db.execute(
        select(HandoffSession).where(HandoffSession.payload_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    ensure_conversation(db, payload.conversation_id, channel, payload.language)
    current = active_session(db, payload.conversation_id)
    if current is not None:
        add_message(
            db,
            payload.conversation_id,
            "system",
            f"The bot handed off again ({payload.reason}): {payload.summary}",
            kind="note",
        )
        return current, False
    session = HandoffSession(
        conversation_id=payload.conversation_id,
        payload=payload.dict(),
        payload_key=key,
        reason=payload.reason,
        priority=payload.priority,
        language=payload.language,
        sla_hours=payload.sla_hours,
        due_at=now + timedelta(hours=payload.sla_hours) if payload.sla_hours else None,
        state="queued",
        kind=kind,
        queued_at=now,
    )
    try:
        with db.begin_nested():  # a savepoint: losing the race must not undo the caller's work
            db.add(session)
            db.flush()
    except IntegrityError:
        # Another process queued the same payload between our check and insert.
        existing = db.execute(
            select(HandoffSession).where(HandoffSession.payload_key == key)
        ).scalar_one()
        return existing, False
    return session, True


def _urgency() -> object:
    return case(_PRIORITY_ORDER, value=HandoffSession.priority, else_=3)


def queued(db: Session) -> list[HandoffSession]:
    """Claimable sessions: most urgent first, then longest waiting."""
    rows = db.execute(
        select(HandoffSession)
        .where(HandoffSession.state.in_(OPEN_STATES))
        .order_by(_urgency(), HandoffSession.queued_at, HandoffSession.id)
    )
    return list(rows.scalars())


def listing(db: Session, view: str, agent_id: int, limit: int = 200) -> list[HandoffSession]:
    """The console's lists: ``queue``, ``mine``, ``open`` or ``resolved``."""
    if view == "queue":
        return queued(db)[:limit]
    statement = select(HandoffSession)
    if view == "mine":
        statement = statement.where(
            HandoffSession.state == "assigned", HandoffSession.agent_id == agent_id
        ).order_by(_urgency(), HandoffSession.queued_at)
    elif view == "open":
        statement = statement.where(HandoffSession.state != "resolved").order_by(
            _urgency(), HandoffSession.queued_at
        )
    elif view == "resolved":
        statement = statement.where(HandoffSession.state == "resolved").order_by(
            HandoffSession.resolved_at.desc()
        )
    else:
        raise ValueError(f"unknown view {view!r}: use queue, mine, open or resolved")
    return list(db.execute(statement.limit(limit)).scalars())


def position(db: Session, session: HandoffSession) -> int:
    """1 for the next live chat an agent will take (tickets wait apart)."""
    ahead = [s.id for s in queued(db) if s.kind == "chat"]
    return ahead.index(session.id) + 1 if session.id in ahead else 1


def agents_online(db: Session, seen_since: datetime) -> int:
    return int(
        db.execute(
            select(func.count(Agent.id)).where(
                Agent.active.is_(True), Agent.presence == "online", Agent.last_seen_at >= seen_since
            )
        ).scalar_one()
    )


def waiting_chats(db: Session) -> list[HandoffSession]:
    rows = db.execute(
        select(HandoffSession).where(
            HandoffSession.state.in_(OPEN_STATES), HandoffSession.kind == "chat"
        )
    )
    return list(rows.scalars())


def make_ticket(db: Session, session_id: int) -> bool:
    """Turn a waiting live chat into a ticket (nobody is there to take it)."""
    result = db.execute(
        update(HandoffSession)
        .where(
            HandoffSession.id == session_id,
            HandoffSession.kind == "chat",
            HandoffSession.state.in_(OPEN_STATES),
        )
        .values(kind="ticket")
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def flag_breaches(db: Session, now: datetime) -> list[int]:
    """Mark sessions past their SLA once; returns the ids newly marked."""
    candidates = list(
        db.execute(
            select(HandoffSession.id).where(
                HandoffSession.state != "resolved",
                HandoffSession.due_at.is_not(None),
                HandoffSession.due_at < now,
                HandoffSession.breached_at.is_(None),
            )
        ).scalars()
    )
    marked = []
    for session_id in candidates:
        result = db.execute(
            update(HandoffSession)
            .where(HandoffSession.id == session_id, HandoffSession.breached_at.is_(None))
            .values(breached_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # another process may have marked it first
            marked.append(session_id)
    return marked


def rating_pending(session: HandoffSession, since: datetime) -> bool:
    """Whether *session* was resolved and its rating question, asked after *since*, is open."""
    return (
        session.state == "resolved"
        and session.csat_status == "asked"
        and session.csat_asked_at is not None
        and _aware(session.csat_asked_at) >= since
    )


def pending_csat(db: Session, conversation_id: str, since: datetime) -> HandoffSession | None:
    """The resolved session whose rating question is still open, if any."""
    session = latest_session(db, conversation_id)
    return session if session is not None and rating_pending(session, since) else None


def ask_csat(db: Session, session_id: int, now: datetime) -> None:
    db.execute(
        update(HandoffSession)
        .where(HandoffSession.id == session_id)
        .values(csat_status="asked", csat_asked_at=now)
        .execution_options(synchronize_session=False)
    )


def record_csat(db: Session, session_id: int, score: int | None) -> bool:
    """Store the rating (or ``None``: the user moved on); False if already settled."""
    result = db.execute(
        update(HandoffSession)
        .where(HandoffSession.id == session_id, HandoffSession.csat_status == "asked")
        .values(csat_status="answered" if score is not None else "skipped")
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    if score is not None:
        if not 1 <= score <= 5:
            raise ValueError("a rating is 1 to 5")
        db.add(Csat(session_id=session_id, score=score))
        db.flush()
    return True


def csat_score(db: Session, session_id: int) -> int | None:
    row = db.execute(select(Csat.score).where(Csat.session_id == session_id)).scalar()
    return int(row) if row is not None else None


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _get(db: Session, session_id: int) -> HandoffSession:
    session = db.get(HandoffSession, session_id)
    if session is None:
        raise NotFound(f"no handoff session {session_id}")
    return session


def _transition(
    db: Session, session_id: int, allowed: dict[str, object], **values: object
) -> HandoffSession:
    """One atomic UPDATE guarded by *allowed* (column -> required value or tuple)."""
    statement = update(HandoffSession).where(HandoffSession.id == session_id)
    for column, required in allowed.items():
        attribute = getattr(HandoffSession, column)
        statement = statement.where(
            attribute.in_(required) if isinstance(required, tuple) else attribute == required
        )
    result = db.execute(statement.values(**values).execution_options(synchronize_session=False))
    session = _get(db, session_id)
    if result.rowcount != 1:
        raise Conflict(f"session {session_id} is {session.state}")
    db.refresh(session)
    return session


def claim(
    db: Session, session_id: int, agent_id: int, now: datetime | None = None
) -> HandoffSession:
    return _transition(
        db,
        session_id,
        {"state": OPEN_STATES},
        state="assigned",
        agent_id=agent_id,
        assigned_at=now or utcnow(),
    )


def transfer(db: Session, session_id: int, from_agent: int, to_agent: int) -> HandoffSession:
    target = db.get(Agent, to_agent)
    if target is None or not target.active:
        raise NotFound(f"no active agent {to_agent}")
    return _transition(
        db, session_id, {"state": "assigned", "agent_id": from_agent}, agent_id=to_agent
    )


def resolve(
    db: Session, session_id: int, agent_id: int, now: datetime | None = None
) -> HandoffSession:
    return _transition(
        db,
        session_id,
        {"state": "assigned", "agent_id": agent_id},
        state="resolved",
        resolved_at=now or utcnow(),
    )


def reopen(db: Session, session_id: int, now: datetime | None = None) -> HandoffSession:
    session = _get(db, session_id)
    latest = latest_session(db, session.conversation_id)
    if latest is not None and latest.id != session.id:
        # A conversation has at most one open session, and it is its latest one.
        raise Conflict(f"conversation has a newer session ({latest.ticket}); reopen that one")
    return _transition(
        db,
        session_id,
        {"state": "resolved"},
        state="reopened",
        agent_id=None,
        reopened_at=now or utcnow(),
    )


def add_message(
    db: Session,
    conversation_id: str,
    author: str,
    text: str,
    kind: str = "message",
    agent_id: int | None = None,
    buttons: list[dict[str, str]] | None = None,
    attachment: dict[str, str] | None = None,
    pending: bool = False,
    handler: str | None = None,
) -> Message:
    if db.get(Conversation, conversation_id) is None:
        raise NotFound(f"no conversation {conversation_id}")
    message = Message(
        conversation_id=conversation_id,
        author=author,
        text=text,
        kind=kind,
        agent_id=agent_id,
        buttons=buttons or None,
        attachment=attachment,
        pending=pending,
        handler=handler if pending else None,
    )
    db.add(message)
    db.flush()
    return message


def messages(
    db: Session, conversation_id: str, after: int = 0, include_notes: bool = False
) -> list[Message]:
    statement = select(Message).where(
        Message.conversation_id == conversation_id, Message.id > after
    )
    if not include_notes:
        statement = statement.where(Message.kind == "message")
    return list(db.execute(statement.order_by(Message.id)).scalars())


def first_delivery(db: Session, channel: str, key: str) -> bool:
    """True the first time a platform delivers *key*; False for its retries, in any process."""
    try:
        with db.begin_nested():
            db.add(Delivery(channel=channel, key=key[:200]))
            db.flush()
    except IntegrityError:
        return False
    return True


def delivered_message(db: Session, channel: str, key: str) -> Message | None:
    """The message the first delivery of *key* stored, if it stored one."""
    row = db.get(Delivery, (channel, key[:200]))
    return db.get(Message, row.message_id) if row is not None and row.message_id else None


def answers_to(db: Session, message: Message) -> list[Message]:
    """What was sent back after user *message*, up to the user's next message."""
    later = db.execute(
        select(Message)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.id > message.id,
            Message.kind == "message",
        )
        .order_by(Message.id)
        .limit(50)
    ).scalars()
    answers = []
    for row in later:
        if row.author == "user":
            break
        answers.append(row)
    return answers


def link_delivery(db: Session, channel: str, key: str, message_id: int) -> None:
    row = db.get(Delivery, (channel, key[:200]))
    if row is not None:
        row.message_id = message_id
        db.flush()


def finish_turn(db: Session, message_id: int) -> bool:
    """Clear *message_id*'s pending flag; True only for the call that cleared it."""
    result = db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(pending=False)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def take_over_turn(db: Session, message: Message, holder: str) -> bool:
    """Make *holder* the handler of *message*'s unfinished turn; True for one process.

    The turn stays pending until it is done, so a process that dies while recovering
    it leaves it to be taken over again, and "nothing pending" means every turn has
    its answer.
    """
    if message.handler == holder:  # the update would change nothing: no claim to win
        return False
    previous = (
        Message.handler.is_(None) if message.handler is None else Message.handler == message.handler
    )
    result = db.execute(
        update(Message)
        .where(Message.id == message.id, Message.pending, previous)
        .values(handler=holder)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def abandon_turn(db: Session, message_id: int) -> None:
    db.execute(
        update(Message)
        .where(Message.id == message_id, Message.pending)
        .values(handler=None)
        .execution_options(synchronize_session=False)
    )


def stale_turns(db: Session, now: datetime, limit: int = 100) -> list[Message]:
    """Pending turns whose process is gone: its liveness lease has lapsed (or never was)."""
    alive = (
        select(Lease.name)
        .where(Lease.name == literal(ALIVE) + Message.handler, Lease.expires_at > now)
        .exists()
    )
    rows = db.execute(
        select(Message)
        .where(Message.pending, Message.created_at < now - timedelta(seconds=2), ~alive)
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())


def claim_resend(db: Session, message_id: int, status: str) -> bool:
    """Take a kept or failed reply for sending again; one process wins each."""
    result = db.execute(
        update(Message)
        .where(Message.id == message_id, Message.delivery == status)
        .values(delivery="sending", attempts=Message.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)


def failed_deliveries(db: Session, since: datetime, attempts: int, limit: int = 100) -> list[int]:
    rows = db.execute(
        select(Message.id)
        .where(
            Message.delivery == "failed",
            Message.created_at >= since,
            Message.attempts < attempts,
        )
        .order_by(Message.id)
        .limit(limit)
    )
    return list(rows.scalars())


def due_soon(db: Session, before: datetime, now: datetime) -> list[HandoffSession]:
    """Open tickets due before *before* whose agents haven't been reminded; marks them."""
    candidates = db.execute(
        select(HandoffSession.id).where(
            HandoffSession.kind == "ticket",
            HandoffSession.state != "resolved",
            HandoffSession.due_at.is_not(None),
            HandoffSession.due_at < before,
            HandoffSession.reminded_at.is_(None),
        )
    ).scalars()
    marked = []
    for session_id in list(candidates):
        result = db.execute(
            update(HandoffSession)
            .where(HandoffSession.id == session_id, HandoffSession.reminded_at.is_(None))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            session = db.get(HandoffSession, session_id)
            if session is not None:
                marked.append(session)
    return marked


def mark_delivery(db: Session, message_id: int, status: str | None, error: str = "") -> None:
    """``None`` = delivered, ``"undelivered"`` = kept for later, ``"failed"`` = refused."""
    message = db.get(Message, message_id)
    if message is not None:
        message.delivery = status
        message.delivery_error = error[:1000] or None


def has_undelivered(db: Session, conversation_id: str) -> bool:
    row = db.execute(
        select(Message.id)
        .where(Message.conversation_id == conversation_id, Message.delivery == "undelivered")
        .limit(1)
    ).first()
    return row is not None


def undelivered(db: Session, conversation_id: str) -> list[Message]:
    rows = db.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.delivery == "undelivered")
        .order_by(Message.id)
    )
    return list(rows.scalars())


def cached(db: Session, key: str, now: datetime) -> str | None:
    row = db.get(CachedValue, key)
    if row is None or _aware(row.expires_at) <= now:
        return None
    return str(row.value)


def cache(db: Session, key: str, value: str, expires_at: datetime) -> None:
    row = db.get(CachedValue, key)
    if row is None:
        try:  # another process may insert the same key at the same moment
            with db.begin_nested():
                db.add(CachedValue(key=key, value=value, expires_at=expires_at))
                db.flush()
            return
        except IntegrityError:
            row = db.get(CachedValue, key, populate_existing=True)
            if row is None:
                raise
    row.value, row.expires_at = value, expires_at
    db.flush()


def last_outbound_text(db: Session, conversation_id: str) -> str | None:
    return db.execute(
        select(Message.text)
        .where(Message.conversation_id == conversation_id, Message.author.in_(("bot", "agent")))
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar()
