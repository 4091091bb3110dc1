"""The supervisors' figures for a period, read from the desk's own tables.

Each query takes a :class:`Scope` (a half-open UTC period, an optional channel and
language) and returns plain rows; :mod:`handoff.analytics` turns them into charts.
Counting is done by the database where the rows are many (messages, conversations;
active conversations and busiest hours from the roll-up of :mod:`store.activity` when
the period fits its quarter-hours, which gives the same figures from far fewer rows);
sessions and ratings, a few per hundred messages, come back one row each, so that
medians and percentiles are computed the same way on SQLite and PostgreSQL.

Time buckets (a day, an hour of the day) are whole seconds since the epoch shifted by
the viewer's UTC offset, divided as integers: the same arithmetic in both databases.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    cast,
    func,
    literal_column,
    or_,
    select,
    text,
    union,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from common.clock import as_utc
from store import activity
from store.models import Agent, Conversation, Csat, HandoffSession, Message
from store.outcomes import MISSES, TurnOutcome

REPEATED_MISSES = 2  # this many misses in the period and the bot did not resolve it


@dataclass(frozen=True)
class Scope:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    channel: str | None = None
    language: str | None = None
    offset: int = 0  # the viewer's UTC offset in seconds: where their days begin
    bucket: int = 86400  # seconds per bucket of the time series: a day or an hour


class SessionRow(NamedTuple):
    """A session opened in the period; times in whole seconds (no datetimes: there are
    tens of thousands of rows a month, and converting their timestamps cost more than
    the query). A tuple: made from each row as it comes, at a fraction of a dataclass's
    cost."""

    id: int
    reason: str
    kind: str
    agent_id: int | None
    queued: int  # seconds since 1970
    reply_seconds: int | None  # from queued to the first agent reply
    resolve_seconds: int | None  # from queued to resolved


def prepare(db: Session) -> None:
    """Ready *db*'s transaction for the period queries.

    PostgreSQL's JIT compiles these plans (their cost estimates pass its threshold) and
    the compiling takes longer than running them: off, for this transaction only.
    """
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL jit = off"))


def _rows(db: Session, stmt: Select) -> list[Any]:
    """*stmt*'s rows through the session's connection, as plain rows: the ORM's result
    handling took 80 ms of CPU for a month's 14,000 sessions, Core's 12 ms."""
    return list(db.connection().execute(stmt).all())


def _epoch(db: Session, column: Any) -> ColumnElement[Any]:
    """Whole seconds since 1970 of a stored timestamp (SQLite keeps UTC text)."""
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.floor(func.extract("epoch", column)), BigInteger)
    return cast(func.strftime("%s", column), Integer)


def _number(value: int) -> ColumnElement[Any]:
    # Inlined rather than bound: PostgreSQL matches GROUP BY expressions as written,
    # and two bound copies of one offset are two different expressions to it.
    return literal_column(str(int(value)))


def bucket(db: Session, column: Any, scope: Scope) -> ColumnElement[Any]:
    """The time-series bucket of *column*: (seconds + offset) // bucket size."""
    return (_epoch(db, column) + _number(scope.offset)) / _number(scope.bucket)


def _in_period(column: Any, scope: Scope) -> ColumnElement[bool]:
    return and_(column >= scope.start, column < scope.end)


def _by_conversation(stmt: Select, conversation_id: Any, scope: Scope) -> Select:
    """*stmt* limited to the scope's channel and conversation language, if any."""
    if scope.channel is None and scope.language is None:
        return stmt
    stmt = stmt.join(Conversation, Conversation.id == conversation_id)
    if scope.channel is not None:
        stmt = stmt.where(Conversation.channel == scope.channel)
    if scope.language is not None:
        stmt = stmt.where(Conversation.language == scope.language)
    return stmt


def _sessions_scoped(stmt: Select, scope: Scope) -> Select:
    """*stmt* over sessions, limited to the channel and the session's language."""
    if scope.language is not None:
        stmt = stmt.where(HandoffSession.language == scope.language)
    if scope.channel is not None:
        stmt = stmt.join(Conversation, Conversation.id == HandoffSession.conversation_id).where(
            Conversation.channel == scope.channel
        )
    return stmt


def _first_buckets(db: Session, scope: Scope, raw: bool) -> Select:
    """(cid, bucket of its first user message in the period), from the roll-up if it fits."""
    slots = None if raw else activity.slots(scope.start, scope.end)
    rolled = activity.UserActivity
    if slots is None:
        cid: Any = Message.conversation_id
        at = bucket(db, func.min(Message.created_at), scope)
        period = and_(Message.author == "user", _in_period(Message.created_at, scope))
    elif scope.offset % activity.SLOT:
        cid, at = rolled.conversation_id, bucket(db, func.min(rolled.first_at), scope)
        period = and_(rolled.slot >= slots[0], rolled.slot < slots[1])
    else:
        # Buckets are whole slots: the first slot's bucket is the first message's, in
        # integers, no timestamp read or converted (30% of the query's time at 1M).
        first = func.min(rolled.slot) * _number(activity.SLOT)
        cid, at = rolled.conversation_id, (first + _number(scope.offset)) / _number(scope.bucket)
        period = and_(rolled.slot >= slots[0], rolled.slot < slots[1])
    stmt = select(cid.label("cid"), at.label("bucket")).where(period)
    return _by_conversation(stmt, cid, scope).group_by(cid)


def _left_to_humans(scope: Scope) -> Select:
    """Conversations the bot did not resolve: a handoff session open at any time in the
    period (even one queued before it), or :data:`REPEATED_MISSES` misses in it."""
    handed = select(HandoffSession.conversation_id.label("cid")).where(
        HandoffSession.queued_at < scope.end,
        or_(HandoffSession.resolved_at.is_(None), HandoffSession.resolved_at >= scope.start),
    )
    missed = (
        select(TurnOutcome.conversation_id.label("cid"))
        .where(TurnOutcome.outcome.in_(MISSES), _in_period(TurnOutcome.created_at, scope))
        .group_by(TurnOutcome.conversation_id)
        .having(func.count() >= REPEATED_MISSES)
    )
    return union(handed, missed)


def active(db: Session, scope: Scope, raw: bool = False, unresolved: bool = False) -> Counter[int]:
    """Bucket -> conversations, each counted once: in the bucket of its first user
    message in the period. *unresolved*: only those the bot did not resolve. *raw*:
    count the messages, not the roll-up (the tests compare the two)."""
    first = _first_buckets(db, scope, raw)
    if unresolved:
        first = first.where(first.selected_columns.cid.in_(_left_to_humans(scope)))
    found = first.subquery()
    stmt = select(found.c.bucket, func.count()).group_by(found.c.bucket)
    if not raw and not unresolved and db.get_bind().dialect.name == "postgresql":
        # It would walk the roll-up's conversation index for its order, a heap fetch a
        # row: hashing the period's rows takes a third less time.
        db.execute(text("SET LOCAL enable_indexscan = off"))
        rows = _rows(db, stmt)
        db.execute(text("SET LOCAL enable_indexscan = on"))
    else:
        rows = _rows(db, stmt)
    return Counter({int(b): int(n) for b, n in rows})


def conversations(db: Session, scope: Scope, raw: bool = False) -> list[tuple[int, int, int]]:
    """(bucket, conversations, resolved by the bot) per bucket: all of them (:func:`active`)
    less those left to humans, two queries the page runs at once."""
    total, unresolved = active(db, scope, raw), active(db, scope, raw, unresolved=True)
    return [(b, n, n - unresolved[b]) for b, n in sorted(total.items())]


def _hour(seconds: ColumnElement[Any], scope: Scope) -> ColumnElement[Any]:
    """The hour of the viewer's day (0-23) of *seconds* since 1970."""
    return ((seconds + _number(scope.offset)) / _number(3600)) % _number(24)


def busiest_hours(db: Session, scope: Scope, raw: bool = False) -> dict[int, int]:
    """Hour of the viewer's day (0-23) -> user messages in the period; from the roll-up
    when its slots fit the period and the viewer's hours."""
    slots = None if raw or scope.offset % activity.SLOT else activity.slots(scope.start, scope.end)
    if slots is not None:
        rolled = activity.UserActivity
        stmt = select(
            _hour(rolled.slot * _number(activity.SLOT), scope).label("hour"),
            rolled.messages.label("messages"),
        ).where(rolled.slot >= slots[0], rolled.slot < slots[1])
        inner = _by_conversation(stmt, rolled.conversation_id, scope).subquery()
        total: Any = func.sum(inner.c.messages)
    else:
        stmt = select(_hour(_epoch(db, Message.created_at), scope).label("hour")).where(
            Message.author == "user", _in_period(Message.created_at, scope)
        )
        inner = _by_conversation(stmt, Message.conversation_id, scope).subquery()
        total = func.count()
    rows = _rows(db, select(inner.c.hour, total).group_by(inner.c.hour))
    return {int(h): int(n) for h, n in rows}


def sessions(db: Session, scope: Scope) -> list[SessionRow]:
    """Sessions opened in the period, with the time of the first agent reply to each.

    The replies are found by one join over the agent messages since the period began
    (an index range), not by a lookup per session.
    """
    opened = _in_period(HandoffSession.queued_at, scope)
    first_reply = (
        select(HandoffSession.id.label("sid"), func.min(Message.created_at).label("at"))
        .join(Message, Message.conversation_id == HandoffSession.conversation_id)
        .where(
            opened,
            Message.author == "agent",
            Message.kind == "message",
            Message.created_at >= scope.start,
            Message.created_at >= HandoffSession.queued_at,
            or_(
                HandoffSession.resolved_at.is_(None),
                Message.created_at <= HandoffSession.resolved_at,
            ),
        )
        .group_by(HandoffSession.id)
        .subquery()
    )
    queued = _epoch(db, HandoffSession.queued_at)
    stmt = (
        select(
            HandoffSession.id,
            HandoffSession.reason,
            HandoffSession.kind,
            HandoffSession.agent_id,
            queued,
            _epoch(db, first_reply.c.at) - queued,
            _epoch(db, HandoffSession.resolved_at) - queued,
        )
        .outerjoin(first_reply, first_reply.c.sid == HandoffSession.id)
        .where(opened)
    )
    # Integers and text as both databases return them (an integer CAST, NULL as None).
    return [
        SessionRow(*row)
        for row in _rows(db, _sessions_scoped(stmt, scope).order_by(HandoffSession.id))
    ]


def breaches(db: Session, scope: Scope) -> list[datetime]:
    """When each session that went past its SLA in the period was first seen past it."""
    stmt = select(HandoffSession.breached_at).where(_in_period(HandoffSession.breached_at, scope))
    return [_aware(b) for (b,) in _rows(db, _sessions_scoped(stmt, scope))]


def ratings(db: Session, scope: Scope) -> list[tuple[int, int | None]]:
    """(score, the session's agent) of every rating given in the period."""
    stmt = (
        select(Csat.score, HandoffSession.agent_id)
        .join(HandoffSession, HandoffSession.id == Csat.session_id)
        .where(_in_period(Csat.created_at, scope))
    )
    return [(int(s), a) for s, a in _rows(db, _sessions_scoped(stmt, scope))]


def agent_names(db: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(select(Agent.id, Agent.display_name).where(Agent.id.in_(ids))).all()
    return {int(i): str(n) for i, n in rows}


def _aware(value: Any) -> datetime:
    """A timestamp as an aware datetime: a subquery's result skips the column type,
    so SQLite hands back its stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value)
