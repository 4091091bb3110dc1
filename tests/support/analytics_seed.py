"""A small desk history whose analytics figures are worked out by hand in
tests/test_analytics.py (the expected numbers are written next to each row here).

Period used by the tests: 2026-11-20 .. 2026-11-22 (UTC unless the test says otherwise).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from store.agents import create_agent
from store.models import Agent, Conversation, Csat, HandoffSession, Message
from store.outcomes import TurnOutcome

PASSWORD = "correct horse battery"


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=timezone.utc)


def _conversation(db: Session, cid: str, channel: str, language: str) -> None:
    db.add(Conversation(id=cid, channel=channel, language=language, created_at=at(1, 0)))


def _message(db: Session, cid: str, author: str, moment: datetime, **extra: object) -> None:
    db.add(
        Message(
            conversation_id=cid, author=author, text=f"{author} text", created_at=moment, **extra
        )
    )


def _outcome(db: Session, cid: str, outcome: str, moment: datetime) -> None:
    db.add(TurnOutcome(conversation_id=cid, outcome=outcome, created_at=moment))


def _session(
    db: Session,
    cid: str,
    reason: str,
    kind: str,
    language: str,
    agent: int | None,
    queued: datetime,
    resolved: datetime | None = None,
    breached: datetime | None = None,
) -> HandoffSession:
    session = HandoffSession(
        conversation_id=cid,
        payload={"seed": cid},
        payload_key=f"seed-{cid}-{queued.isoformat()}",
        reason=reason,
        priority="normal",
        language=language,
        kind=kind,
        state="resolved" if resolved else "assigned",
        agent_id=agent,
        queued_at=queued,
        assigned_at=queued,
        resolved_at=resolved,
        breached_at=breached,
    )
    db.add(session)
    db.flush()
    return session


def agents(db: Session) -> tuple[int, int]:
    """Ada (a supervisor) and Ben (an agent)."""
    ada = create_agent(db, "ada@example.com", "Ada", PASSWORD)
    ben = create_agent(db, "ben@example.com", "Ben", PASSWORD)
    ada.is_admin = True
    db.flush()
    return int(ada.id), int(ben.id)


def seed(db: Session) -> tuple[int, int]:
    """The history; returns (Ada's id, Ben's id)."""
    ada, ben = agents(db)
    for cid, channel, language in [
        ("c1", "webchat", "en"),
        ("c2", "telegram", "zh"),
        ("c3", "webchat", "zh"),
        ("c4", "webchat", "en"),
        ("c5", "telegram", "en"),
        ("c6", "webchat", "es"),
        ("c7", "webchat", "en"),
        ("c8", "webchat", "en"),
        ("c9", "wechat", "zh"),
    ]:
        _conversation(db, cid, channel, language)
    db.flush()
    # c1: answered by the bot -> resolved.
    _message(db, "c1", "user", at(20, 10))
    _message(db, "c1", "bot", at(20, 10, 0, 1))
    _outcome(db, "c1", "answer", at(20, 10, 0, 1))
    _message(db, "c1", "user", at(20, 10, 5))
    _outcome(db, "c1", "answer", at(20, 10, 5, 1))
    # c2: two misses -> not resolved (the second on the 21st).
    _message(db, "c2", "user", at(20, 23, 30))
    _outcome(db, "c2", "miss", at(20, 23, 30, 1))
    _message(db, "c2", "user", at(21, 1))
    _outcome(db, "c2", "suggest", at(21, 1, 0, 1))
    # c3: one miss only -> resolved.
    _message(db, "c3", "user", at(21, 9))
    _outcome(db, "c3", "miss", at(21, 9, 0, 1))
    # c4: a chat; Ada replies after 120 s, resolves after 1800 s; rated 5.
    _message(db, "c4", "user", at(21, 12))
    _outcome(db, "c4", "handoff", at(21, 12, 1))
    s1 = _session(db, "c4", "user_request", "chat", "en", ada, at(21, 12, 1), at(21, 12, 31))
    _message(db, "c4", "agent", at(21, 12, 3), agent_id=ada)
    db.add(Csat(session_id=s1.id, score=5, created_at=at(21, 12, 32)))
    # c5: a ticket for no answer; Ben replies after 7200 s, resolves after 10800 s,
    # past its SLA at 09:00; rated 2.
    _message(db, "c5", "user", at(22, 8))
    s2 = _session(
        db, "c5", "no_answer", "ticket", "en", ben, at(22, 8), at(22, 11), breached=at(22, 9)
    )
    _message(db, "c5", "agent", at(22, 10), agent_id=ben)
    db.add(Csat(session_id=s2.id, score=2, created_at=at(22, 11, 5)))
    # c6: a chat; a note at 10 s (not a reply), Ada's reply at 30 s, still open.
    _message(db, "c6", "user", at(22, 20))
    _session(db, "c6", "user_request", "chat", "es", ada, at(22, 20))
    _message(db, "c6", "agent", at(22, 20, 0, 10), kind="note", agent_id=ada)
    _message(db, "c6", "agent", at(22, 20, 0, 30), agent_id=ada)
    # c7: before the period; its session breached on the 20th and was rated 4 then (Ben).
    _message(db, "c7", "user", at(19, 12))
    s0 = _session(
        db, "c7", "complaint", "chat", "en", ben, at(19, 12), at(20, 8, 30), breached=at(20, 8)
    )
    db.add(Csat(session_id=s0.id, score=4, created_at=at(20, 9)))
    # c9: a chat queued the evening before the period, still going when the user wrote
    # at 00:30 on the 20th: a human's conversation, not the bot's.
    _session(db, "c9", "user_request", "chat", "zh", None, at(19, 23), at(20, 1))
    _message(db, "c9", "user", at(20, 0, 30))
    # c8: just after the period (the end is exclusive).
    _message(db, "c8", "user", at(23, 0))
    db.flush()
    return ada, ben


def admin(db: Session) -> Agent:
    return db.query(Agent).filter(Agent.email == "ada@example.com").one()
