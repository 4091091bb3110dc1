"""Handoff sessions: open from the bot's payload, claim, transfer, resolve, reopen.

Every state change is one conditional ``UPDATE … WHERE state = …``, so it holds
across gateway processes: when two agents claim at once, the database lets
exactly one update match, and the other gets :class:`Conflict` (HTTP 409).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.clock import utcnow
from common.payload import HandoffPayload
from store.conversations import ensure_conversation
from store.errors import Conflict, NotFound
from store.messages import add_message
from store.models import OPEN_STATES, Agent, HandoffSession

_PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2}


def payload_key(payload: HandoffPayload) -> str:
    """Same conversation + same creation time = the same handoff, however often delivered."""
    raw = json.dumps([payload.conversation_id, payload.created_at, payload.reason])
    return hashlib.sha256(raw.encode()).hexdigest()


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
    if current is not None and payload.priority == "urgent" and current.priority != "urgent":
        # A user in an ordinary case who then sends their recovery phrase: now urgent.
        current.priority = "urgent"
        if payload.sla_hours:
            soon = now + timedelta(hours=payload.sla_hours)
            current.due_at = min(current.due_at or soon, soon)
        db.flush()
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
        # A live chat is answered while the user waits: "due in 47h" means nothing
        # there. Its deadline counts once it becomes a ticket (deadlines.make_ticket),
        # except an urgent chat's, which is short and shown from the start.
        due_at=now + timedelta(hours=payload.sla_hours)
        if payload.sla_hours and (kind == "ticket" or payload.priority == "urgent")
        else None,
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


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def queue_order(session: HandoffSession) -> tuple[object, ...]:
    """Urgent first; then live chats, whose users are waiting on the page, longest
    waiting first; then tickets, soonest due first."""
    if session.kind == "chat":
        when = session.reopened_at or session.queued_at or _NEVER
    else:
        when = session.due_at or _NEVER
    return (session.priority != "urgent", session.kind != "chat", when, session.id)


def queued(db: Session, where: Sequence[Any] = ()) -> list[HandoffSession]:
    """Claimable sessions in the order agents should take them (:func:`queue_order`)."""
    rows = db.execute(select(HandoffSession).where(HandoffSession.state.in_(OPEN_STATES), *where))
    return sorted(rows.scalars(), key=queue_order)


def listing(
    db: Session, view: str, agent_id: int, limit: int = 200, where: Sequence[Any] = ()
) -> list[HandoffSession]:
    """The console's lists: ``queue``, ``mine``, ``open`` or ``resolved``; *where*
    narrows them (the console's filters, :func:`store.routing.session_filters`)."""
    if view == "queue":
        return queued(db, where)[:limit]
    statement = select(HandoffSession).where(*where)
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
    try:
        return _transition(
            db,
            session_id,
            {"state": OPEN_STATES},
            state="assigned",
            agent_id=agent_id,
            assigned_at=now or utcnow(),
        )
    except Conflict:
        # The loser of a race is told who won, so they needn't open it to find out.
        session = _get(db, session_id)
        holder = db.get(Agent, session.agent_id) if session.agent_id else None
        if session.state != "assigned" or holder is None:
            raise
        if holder.id == agent_id:
            raise Conflict(f"session {session_id} is already yours") from None
        raise Conflict(f"session {session_id} was already taken by {holder.display_name}") from None


def transfer(db: Session, session_id: int, from_agent: int, to_agent: int) -> HandoffSession:
    target = db.get(Agent, to_agent)
    if target is None or not target.active:
        raise NotFound(f"no active agent {to_agent}")
    return _transition(
        db, session_id, {"state": "assigned", "agent_id": from_agent}, agent_id=to_agent
    )


def assigned_to(db: Session, agent_id: int) -> list[HandoffSession]:
    return list(
        db.execute(
            select(HandoffSession)
            .where(HandoffSession.state == "assigned", HandoffSession.agent_id == agent_id)
            .order_by(HandoffSession.id)
        ).scalars()
    )


def release(db: Session, session_id: int, from_agent: int) -> HandoffSession:
    """Back to the queue, where any agent can claim it (a disabled agent's chats)."""
    return _transition(
        db, session_id, {"state": "assigned", "agent_id": from_agent}, state="queued", agent_id=None
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
