"""Handoff sessions: open from the bot's payload, claim, transfer, resolve, reopen.

Every state change is one conditional ``UPDATE … WHERE state = …``, so it holds
across gateway processes: when two agents claim at once, the database lets
exactly one update match, and the other gets :class:`Conflict` (HTTP 409).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.models import OPEN_STATES, Conversation, HandoffSession, Message, utcnow
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


def held_session(db: Session, conversation_id: str) -> int | None:
    """The open session (queued, assigned or reopened) a human holds, if any."""
    return (
        db.execute(
            select(HandoffSession.id)
            .where(
                HandoffSession.conversation_id == conversation_id,
                HandoffSession.state.in_((*OPEN_STATES, "assigned")),
            )
            .order_by(HandoffSession.id)
        )
        .scalars()
        .first()
    )


def open_session(
    db: Session, payload: HandoffPayload, channel: str = "rest", now: datetime | None = None
) -> tuple[HandoffSession, bool]:
    """Queue a session for *payload*; ``(session, False)`` if it was already queued."""
    key = payload_key(payload)
    existing = db.execute(
        select(HandoffSession).where(HandoffSession.payload_key == key)
    ).scalar_one_or_none()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    ensure_conversation(db, payload.conversation_id, channel, payload.language)
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


def queued(db: Session) -> list[HandoffSession]:
    """Claimable sessions: most urgent first, then longest waiting."""
    order = case(_PRIORITY_ORDER, value=HandoffSession.priority, else_=3)
    rows = db.execute(
        select(HandoffSession)
        .where(HandoffSession.state.in_(OPEN_STATES))
        .order_by(order, HandoffSession.queued_at)
    )
    return list(rows.scalars())


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
) -> Message:
    if db.get(Conversation, conversation_id) is None:
        raise NotFound(f"no conversation {conversation_id}")
    message = Message(
        conversation_id=conversation_id, author=author, text=text, kind=kind, agent_id=agent_id
    )
    db.add(message)
    db.flush()
    return message
