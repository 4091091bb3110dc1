"""Agent accounts: argon2-hashed passwords, expiring bearer tokens, presence."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.clock import utcnow
from store.models import ROLES, Agent, AgentToken

TOKEN_LIFETIME = timedelta(hours=12)
_hasher = PasswordHasher()


class AgentError(ValueError):
    """A bad agent request (duplicate email, weak password, unknown agent)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AgentError("the password needs at least 10 characters")
    if len(password) > 1000:  # argon2 would take it, but nobody types that
        raise AgentError("the password is too long")
    return _hasher.hash(password)


def create_agent(
    db: Session, email: str, display_name: str, password: str | None, role: str = "agent"
) -> Agent:
    """*password* None: an account nobody can log in to until a set-password link
    (store.accounts.new_link) is used."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AgentError(f"'{email}' is not an email address")
    if role not in ROLES:
        raise AgentError(f"the role is one of {', '.join(ROLES)}")
    # No password yet: the hash of a random one that is thrown away.
    secret = password if password is not None else secrets.token_urlsafe(32)
    agent = Agent(
        email=email,
        display_name=display_name.strip()[:100] or email,
        role=role,
        password_hash=hash_password(secret),
        # The choice a new agent starts with; they count as online only while a
        # console of theirs is connected (see shown_presence).
        presence="online",
    )
    try:
        with db.begin_nested():
            db.add(agent)
            db.flush()
    except IntegrityError as exc:
        raise AgentError(f"an agent with email {email} already exists") from exc
    return agent


def log_in(db: Session, email: str, password: str, now: datetime | None = None) -> str | None:
    """A new bearer token, or None for a wrong email or password (never say which)."""
    agent = db.execute(
        select(Agent).where(Agent.email == email.strip().lower(), Agent.active.is_(True))
    ).scalar_one_or_none()
    try:
        if agent is None:
            _hasher.hash(password)  # same cost either way: no user enumeration by timing
            return None
        _hasher.verify(agent.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(password)
    token = secrets.token_urlsafe(32)
    db.add(
        AgentToken(
            token_hash=digest(token),
            agent_id=agent.id,
            expires_at=(now or utcnow()) + TOKEN_LIFETIME,
        )
    )
    db.flush()
    return token


def agent_for_token(db: Session, token: str, now: datetime | None = None) -> Agent | None:
    row = db.get(AgentToken, digest(token))
    if row is None:
        return None
    if row.expires_at <= (now or utcnow()):
        return None
    agent = db.get(Agent, row.agent_id)
    return agent if agent is not None and agent.active else None


def log_out(db: Session, token: str) -> Agent | None:
    """End the token's session; the agent is offline at once (their choice is kept,
    and a console of theirs still open elsewhere brings them back within a heartbeat)."""
    row = db.get(AgentToken, digest(token))
    if row is None:
        return None
    agent = db.get(Agent, row.agent_id)
    db.execute(delete(AgentToken).where(AgentToken.token_hash == digest(token)))
    if agent is not None:
        agent.last_seen_at = None
        db.flush()
    return agent


def shown_presence(agent: Agent, online_since: datetime) -> str:
    """What others see: "away" (the agent's choice), "online" (chose online and a
    console of theirs was seen since *online_since*) or "offline" (chose online, but
    logged out or every console of theirs is gone)."""
    if agent.presence != "online":
        return "away"
    seen = agent.last_seen_at
    return "online" if seen is not None and seen >= online_since else "offline"


def console_gone(db: Session, agent_id: int, lapse_at: datetime, timeout: timedelta) -> None:
    """The agent's last console here closed: they lapse to offline at *lapse_at*
    unless a console elsewhere is seen again before (its heartbeat moves it on)."""
    agent = db.get(Agent, agent_id)
    latest = lapse_at - timeout
    if agent is not None and agent.last_seen_at is not None and agent.last_seen_at > latest:
        agent.last_seen_at = latest
        db.flush()


def active_agents(db: Session) -> list[Agent]:
    return list(
        db.execute(
            select(Agent).where(Agent.active.is_(True)).order_by(Agent.display_name)
        ).scalars()
    )


def set_presence(db: Session, agent_id: int, presence: str) -> Agent:
    if presence not in ("online", "away"):
        raise AgentError("presence is 'online' or 'away'")
    agent = db.get(Agent, agent_id)
    if agent is None:
        raise AgentError(f"no agent {agent_id}")
    agent.presence = presence
    db.flush()
    return agent


def agents_online(db: Session, seen_since: datetime) -> int:
    return int(
        db.execute(
            select(func.count(Agent.id)).where(
                Agent.active.is_(True), Agent.presence == "online", Agent.last_seen_at >= seen_since
            )
        ).scalar_one()
    )
