"""Routing by language and capacity: each agent's languages and maximum of concurrent
chats, and the pass that gives waiting live chats to the best online agent.

A pass holds the row lock of one ``handoff_leases`` row (``routing``) until its
transaction ends, so across gateway processes one pass runs at a time and counts
loads that no other pass is changing; each assignment is still the store's
conditional claim, so a chat an agent claimed by hand meanwhile is skipped. On
SQLite, ``BEGIN IMMEDIATE`` already serialises writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store import handoffs
from store.errors import Conflict
from store.models import Agent, Conversation, HandoffSession, Lease, Message
from store.routing_tables import AgentRouting, RoutingSetting

LANGUAGES = ("zh", "en", "es")
DEFAULT_MAX_CHATS = 3
LOCK = "routing"
_NEVER = datetime.min.replace(tzinfo=timezone.utc)


class RoutingError(ValueError):
    """A profile the desk can't route by (a language outside zh/en/es, max_chats < 1)."""


@dataclass(frozen=True)
class Profile:
    agent_id: int
    languages: tuple[str, ...]
    max_chats: int
    load: int  # live chats assigned now

    @property
    def free(self) -> int:
        return self.max_chats - self.load


def checked(languages: Iterable[str] | None, max_chats: int | None) -> tuple[str, ...] | None:
    """The languages in the desk's order; :class:`RoutingError` for bad input."""
    if max_chats is not None and max_chats < 1:
        raise RoutingError("max_chats must be at least 1")
    if languages is None:
        return None
    wanted = {language.strip().lower() for language in languages if language.strip()}
    unknown = wanted - set(LANGUAGES)
    if unknown:
        raise RoutingError(f"unknown language(s) {', '.join(sorted(unknown))}: use zh, en, es")
    if not wanted:
        raise RoutingError("an agent needs at least one language (zh, en, es)")
    return tuple(language for language in LANGUAGES if language in wanted)


def set_profile(
    db: Session, agent_id: int, languages: Iterable[str] | None = None, max_chats: int | None = None
) -> Profile:
    """Change what is given; the rest stays (defaults: every language, 3 chats)."""
    ordered = checked(languages, max_chats)
    row = db.get(AgentRouting, agent_id)
    if row is None:
        row = AgentRouting(
            agent_id=agent_id, languages=",".join(LANGUAGES), max_chats=DEFAULT_MAX_CHATS
        )
        db.add(row)
    if ordered is not None:
        row.languages = ",".join(ordered)
    if max_chats is not None:
        row.max_chats = max_chats
    db.flush()
    return profiles(db, [agent_id])[agent_id]


def loads(db: Session, agent_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Live chats assigned to each agent (tickets are answered at leisure: not counted)."""
    statement = (
        select(HandoffSession.agent_id, func.count(HandoffSession.id))
        .where(HandoffSession.state == "assigned", HandoffSession.kind == "chat")
        .group_by(HandoffSession.agent_id)
    )
    if agent_ids is not None:
        statement = statement.where(HandoffSession.agent_id.in_(agent_ids))
    return {int(agent): int(count) for agent, count in db.execute(statement) if agent is not None}


def profiles(db: Session, agent_ids: Sequence[int]) -> dict[int, Profile]:
    rows = {
        row.agent_id: row
        for row in db.execute(
            select(AgentRouting).where(AgentRouting.agent_id.in_(agent_ids))
        ).scalars()
    }
    load = loads(db, agent_ids)
    out = {}
    for agent_id in agent_ids:
        row = rows.get(agent_id)
        out[agent_id] = Profile(
            agent_id=agent_id,
            languages=tuple(row.languages.split(",")) if row else LANGUAGES,
            max_chats=row.max_chats if row else DEFAULT_MAX_CHATS,
            load=load.get(agent_id, 0),
        )
    return out


def idle_since(db: Session, agent_id: int) -> datetime | None:
    """The agent's last assignment or last message to a user, whichever is later."""
    row = db.get(AgentRouting, agent_id)
    moments = [
        row.last_assigned_at if row else None,
        db.execute(
            select(func.max(HandoffSession.assigned_at)).where(HandoffSession.agent_id == agent_id)
        ).scalar(),
        db.execute(
            select(func.max(Message.created_at)).where(
                Message.agent_id == agent_id, Message.author == "agent"
            )
        ).scalar(),
    ]
    # SQLite's MAX() hands back a naive value or text: compare as aware UTC.
    known = [_aware(m) for m in moments if m is not None]
    return max(known) if known else None


def _aware(moment: Any) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def auto_assign(db: Session, default: bool) -> bool:
    """The admin's setting if one was saved, else *default* (``DESK_AUTO_ASSIGN``)."""
    row = db.get(RoutingSetting, 1)
    return bool(row.auto_assign) if row is not None else default


def set_auto_assign(db: Session, on: bool) -> None:
    row = db.get(RoutingSetting, 1)
    if row is not None:
        row.auto_assign = on
        return
    try:
        with db.begin_nested():
            db.add(RoutingSetting(id=1, auto_assign=on))
            db.flush()
    except IntegrityError:  # another admin saved it first: ours is the later word
        row = db.get(RoutingSetting, 1, populate_existing=True)
        assert row is not None
        row.auto_assign = on
    db.flush()


def _serialise(db: Session, now: datetime) -> None:
    """Hold the routing row's lock until this transaction ends (PostgreSQL)."""
    lock = select(Lease).where(Lease.name == LOCK).with_for_update()
    if db.execute(lock).scalar_one_or_none() is not None:
        return
    try:
        with db.begin_nested():
            db.add(Lease(name=LOCK, holder="routing", expires_at=now, runs=0))
            db.flush()
    except IntegrityError:  # created by a concurrent first pass: wait for its lock
        db.execute(lock).scalar_one()


def assign_waiting(db: Session, now: datetime, seen_since: datetime) -> list[tuple[int, int]]:
    """Give waiting live chats to online agents; the ``(session, agent)`` pairs.

    Each chat, most urgent first, goes to an agent who is online (seen since
    *seen_since*), speaks its language and has a free slot: the most free slots
    first, then the longest idle. A chat nobody can take waits in the queue.
    """
    _serialise(db, now)
    online = list(
        db.execute(
            select(Agent.id).where(
                Agent.active.is_(True),
                Agent.presence == "online",
                Agent.last_seen_at >= seen_since,
            )
        ).scalars()
    )
    # Only agents with a free slot matter; with none (a full team, the busy hours),
    # the pass ends before reading the queue.
    team = {a: p for a, p in profiles(db, online).items() if p.load < p.max_chats}
    if not team:
        return []
    spoken = sorted({language for p in team.values() for language in p.languages})
    waiting = handoffs.queued(
        db, [HandoffSession.kind == "chat", HandoffSession.language.in_(spoken)]
    )
    load = {agent_id: profile.load for agent_id, profile in team.items()}
    idle = {agent_id: idle_since(db, agent_id) or _NEVER for agent_id in team}
    done: list[tuple[int, int]] = []
    for session in waiting:
        if all(load[a] >= p.max_chats for a, p in team.items()):
            break  # every slot is taken: the rest wait
        fits = [
            p
            for p in team.values()
            if session.language in p.languages and load[p.agent_id] < p.max_chats
        ]
        if not fits:
            continue
        best = min(
            fits, key=lambda p: (load[p.agent_id] - p.max_chats, idle[p.agent_id], p.agent_id)
        )
        try:
            with db.begin_nested():
                handoffs.claim(db, session.id, best.agent_id, now=now)
        except Conflict:  # claimed by hand a moment ago
            continue
        row = db.get(AgentRouting, best.agent_id)
        if row is None:
            set_profile(db, best.agent_id)
            row = db.get(AgentRouting, best.agent_id)
        assert row is not None
        row.last_assigned_at = now
        load[best.agent_id] += 1
        idle[best.agent_id] = now
        done.append((session.id, best.agent_id))
    db.flush()
    return done


def session_filters(
    language: str | None = None,
    channel: str | None = None,
    priority: str | None = None,
    agent_id: int | None = None,
) -> list[Any]:
    """``WHERE`` conditions for the console's queue filters (None = any)."""
    conditions: list[Any] = []
    if language:
        conditions.append(HandoffSession.language == language)
    if priority:
        conditions.append(HandoffSession.priority == priority)
    if agent_id is not None:
        conditions.append(HandoffSession.agent_id == agent_id)
    if channel:
        on_channel = select(Conversation.id).where(Conversation.channel == channel)
        conditions.append(HandoffSession.conversation_id.in_(on_channel))
    return conditions
