"""Search: handoff sessions by ticket number or user id, and messages by their text.

A query is never handed to a full-text engine as syntax. It is split into words
(runs of letters, digits and Han characters); punctuation, quotes, ``*``, ``-`` and
``NEAR`` are just text, and each word goes in as a bound parameter (or, for SQLite's
FTS5, as a quoted phrase). Every word must occur in the message.

- **PostgreSQL**: a word of 3+ characters is a substring match served by a trigram
  index (pg_trgm), so a tx hash, an address or Chinese text without spaces is found
  anywhere in a message; a shorter word is a word-prefix match served by the
  full-text index (``to_tsvector('simple', text)``); a two-character Chinese word (no
  trigram, no spaces around it) is found in an index of every pair of adjacent Han
  characters (``handoff_han_bigrams``, migration 0007). A single Han character scans.
- **SQLite**: an FTS5 index with the trigram tokenizer (substring matches of 3+
  characters); shorter words are a substring scan.

Only what the store holds is indexed, and the store holds the guard's redacted
text: a recovery phrase a user sent exists only as ``[redacted: …]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, bindparam, column, exists, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from store.models import Conversation, HandoffSession, Message

FTS_TABLE = "handoff_messages_fts"  # SQLite only (migration 0007)
MAX_QUERY = 200  # characters; longer is refused, not cut (the cut could change the meaning)
MAX_TERMS = 8
RECENT = 50_000  # messages searched first when a full-text index must answer
CHANNELS = ("webchat", "telegram", "wechat", "email", "rest")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_TICKET = re.compile(r"(?:t-?|#)0*(\d{1,9})", re.IGNORECASE)
_USER_ID = re.compile(r"[\w.:@-]{3,200}", re.UNICODE)


class QueryTooLong(ValueError):
    """The query is over :data:`MAX_QUERY` characters (HTTP 422)."""


@dataclass(frozen=True)
class Query:
    raw: str
    terms: tuple[str, ...]  # lower-cased words, each required
    ticket: int | None  # "T-000123", "t123", "#123"
    user_ids: tuple[str, ...]  # conversation ids the query could name


@dataclass(frozen=True)
class Hit:
    session: HandoffSession
    matched: str  # "ticket" | "user" | "message"
    message: Message | None


def parse(raw: str) -> Query:
    query = raw.strip()
    if len(query) > MAX_QUERY:
        raise QueryTooLong(
            f"the search text is {len(query)} characters long; at most {MAX_QUERY} are accepted"
        )
    words = [w.lower() for w in _WORD.findall(query)]
    # A lone Latin letter or digit matches nearly everything; a lone Han character is a word.
    words = [w for w in words if len(w) > 1 or _HAN.match(w)]
    terms = tuple(dict.fromkeys(words))[:MAX_TERMS]
    ticket = _TICKET.fullmatch(query)
    user_ids: tuple[str, ...] = ()
    if _USER_ID.fullmatch(query):
        user_ids = (query,) if ":" in query else tuple(f"{c}:{query}" for c in CHANNELS)
    return Query(query, terms, int(ticket.group(1)) if ticket else None, user_ids)


def search(db: Session, query: Query, limit: int, offset: int) -> list[Hit]:
    """Sessions the query names (its ticket, its user's sessions), then matching
    messages, newest first; ``limit`` hits from ``offset`` of that list."""
    named = _named_sessions(db, query)
    hits = [Hit(s, m, None) for s, m in named[offset : offset + limit]]
    if len(hits) < limit and query.terms:
        skip = max(0, offset - len(named))
        hits += _message_hits(db, query.terms, limit - len(hits), skip)
    return hits


def earlier_sessions(db: Session, session: HandoffSession, limit: int = 50) -> list[HandoffSession]:
    """The same user's (conversation's) sessions before *session*, newest first."""
    rows = db.execute(
        select(HandoffSession)
        .where(
            HandoffSession.conversation_id == session.conversation_id,
            HandoffSession.id < session.id,
        )
        .order_by(HandoffSession.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


def _named_sessions(db: Session, query: Query) -> list[tuple[HandoffSession, str]]:
    found: list[tuple[HandoffSession, str]] = []
    if query.ticket is not None:
        session = db.get(HandoffSession, query.ticket)
        if session is not None:
            found.append((session, "ticket"))
    if query.user_ids:
        rows = db.execute(
            select(HandoffSession)
            .where(HandoffSession.conversation_id.in_(query.user_ids))
            .order_by(HandoffSession.id.desc())
            .limit(50)
        ).scalars()
        found += [(s, "user") for s in rows if s.id != query.ticket]
    return found


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _owner(sessions: list[HandoffSession], message: Message) -> HandoffSession | None:
    """The session a message belongs to, of its conversation's *sessions* (by id): the
    first not resolved before it was written (the bot talk before a handoff belongs to
    that handoff), else the last (what the user wrote after it was resolved)."""
    for session in sessions:
        if session.resolved_at is None or session.resolved_at >= message.created_at:
            return session
    return sessions[-1] if sessions else None


def matching(db: Session, terms: tuple[str, ...]) -> list[ColumnElement[bool]]:
    postgres = db.get_bind().dialect.name == "postgresql"
    conditions: list[ColumnElement[bool]] = []
    indexed = [t for t in terms if len(t) >= 3]
    if not postgres and indexed and _has_fts(db):
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        fts = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :phrases")
        rowids = fts.bindparams(phrases=phrases).columns(column("rowid", Integer))
        conditions.append(Message.id.in_(rowids))
        terms = tuple(t for t in terms if len(t) < 3)
    for number, term in enumerate(terms):
        name = f"word{number}"
        if postgres and len(term) < 3 and not _HAN.search(term):
            words = "to_tsvector('simple', handoff_messages.text) @@ to_tsquery('simple', :{})"
            conditions.append(text(words.format(name)).bindparams(bindparam(name, f"{term}:*")))
        elif postgres and len(term) == 2 and len(_HAN.findall(term)) == 2:
            pairs = "handoff_han_bigrams(handoff_messages.text) @@ to_tsquery('simple', :{})"
            conditions.append(text(pairs.format(name)).bindparams(bindparam(name, term)))
        else:
            conditions.append(Message.text.ilike(_like(term), escape="\\"))
    return conditions


def _has_fts(db: Session) -> bool:
    found = db.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None


def _message_hits(db: Session, terms: tuple[str, ...], limit: int, offset: int) -> list[Hit]:
    # Only conversations that reached the desk: the bot's own chats have no session to open.
    at_desk = exists().where(HandoffSession.conversation_id == Message.conversation_id)
    statement = select(Message).where(*matching(db, terms), at_desk)
    if db.get_bind().dialect.name == "postgresql" and any(len(t) < 3 for t in terms):
        found = _through_the_index(db, statement, limit, offset)
    else:
        found = db.execute(statement.order_by(Message.id.desc()).limit(limit).offset(offset))
        found = found.scalars()
    found = list(found)
    conversations = {m.conversation_id for m in found}
    sessions: dict[str, list[HandoffSession]] = {c: [] for c in conversations}
    rows = db.execute(
        select(HandoffSession)
        .where(HandoffSession.conversation_id.in_(conversations))
        .order_by(HandoffSession.id)
    ).scalars()
    for session in rows:
        sessions[session.conversation_id].append(session)
    hits = []
    for message in found:
        owner = _owner(sessions[message.conversation_id], message)
        if owner is not None:
            hits.append(Hit(owner, "message", message))
    return hits


def _through_the_index(db: Session, statement: Select, limit: int, offset: int) -> list[Message]:
    """The page, newest first, for a query with a full-text condition.

    Its row estimate is capped at 0.5% of the rows however rare the word, so PostgreSQL
    would walk the primary key backwards testing every row (2-14 s over 1M messages
    for a word in none). Ordering by ``id + 0`` hides that index: the word's own index
    answers, in time proportional to its matches. The newest messages are tried first
    (the two indexes combined), so a common word costs as little as a rare one.
    """
    newest = (Message.id + 0).desc()
    last = db.execute(select(func.max(Message.id))).scalar() or 0
    recent = statement.where(Message.id > last - RECENT).order_by(newest).limit(limit + offset)
    found = list(db.execute(recent).scalars())
    if len(found) == limit + offset:  # every newer message is in the window: the page is right
        return found[offset:]
    return list(db.execute(statement.order_by(newest).limit(limit).offset(offset)).scalars())


def channels(db: Session, hits: list[Hit]) -> dict[str, str]:
    """Each hit's conversation id -> its channel, in one query."""
    ids = {h.session.conversation_id for h in hits}
    rows = db.execute(select(Conversation.id, Conversation.channel).where(Conversation.id.in_(ids)))
    found = {str(i): str(c) for i, c in rows}
    return {i: found.get(i, i.partition(":")[0]) for i in ids}


def hit_time(hit: Hit) -> datetime:
    moment = hit.message.created_at if hit.message is not None else hit.session.queued_at
    return moment
