"""What admins change about accounts: role, enabled or not, and one-time set-password
links. Logging in and presence are in :mod:`store.agents`."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from common.clock import utcnow
from store.agents import AgentError, digest, hash_password
from store.errors import Conflict, NotFound
from store.models import ROLES, Agent, AgentToken, PasswordLink

LINK_LIFETIME = timedelta(hours=48)


def agent(db: Session, agent_id: int) -> Agent:
    row = db.get(Agent, agent_id)
    if row is None:
        raise NotFound(f"no agent {agent_id}")
    return row


def everyone(db: Session) -> list[Agent]:
    """Every account, disabled ones included (the admin's list)."""
    return list(db.execute(select(Agent).order_by(Agent.display_name, Agent.id)).scalars())


def _other_admins(db: Session, agent_id: int) -> int:
    query = select(func.count(Agent.id)).where(
        Agent.role == "admin", Agent.active.is_(True), Agent.id != agent_id
    )
    return int(db.execute(query).scalar_one())


def set_role(db: Session, agent_id: int, role: str) -> Agent:
    """Refuses (Conflict) to take the role from the last active admin: nobody could
    manage accounts in the console after that."""
    if role not in ROLES:
        raise AgentError(f"the role is one of {', '.join(ROLES)}")
    row = agent(db, agent_id)
    if row.role == "admin" and role != "admin" and row.active and not _other_admins(db, agent_id):
        raise Conflict("this is the last active admin: make another admin first")
    row.role = role
    db.flush()
    return row


def set_active(db: Session, agent_id: int, active: bool) -> Agent:
    """Disabling ends the agent's logins at once (their tokens are deleted)."""
    row = agent(db, agent_id)
    if not active and row.role == "admin" and row.active and not _other_admins(db, agent_id):
        raise Conflict("this is the last active admin: make another admin first")
    row.active = active
    if not active:
        db.execute(delete(AgentToken).where(AgentToken.agent_id == agent_id))
        row.last_seen_at = None
    db.flush()
    return row


def new_link(
    db: Session, agent_id: int, created_by: int | None, now: datetime | None = None
) -> tuple[str, PasswordLink]:
    """A one-time set-password token (shown once) and its row. An older link of the
    same agent that was not used is cancelled: only the newest one works."""
    agent(db, agent_id)
    moment = now or utcnow()
    db.execute(
        update(PasswordLink)
        .where(PasswordLink.agent_id == agent_id, PasswordLink.used_at.is_(None))
        .values(expires_at=moment)
    )
    token = secrets.token_urlsafe(32)
    row = PasswordLink(
        token_hash=digest(token),
        agent_id=agent_id,
        created_by=created_by,
        created_at=moment,
        expires_at=moment + LINK_LIFETIME,
    )
    db.add(row)
    db.flush()
    return token, row


def open_link(db: Session, token: str, now: datetime | None = None) -> PasswordLink | None:
    """The link if it may still be used, else None (unknown, used or expired)."""
    row = db.get(PasswordLink, digest(token))
    if row is None or row.used_at is not None or row.expires_at <= (now or utcnow()):
        return None
    return row


def use_link(db: Session, token: str, password: str, now: datetime | None = None) -> Agent:
    """Set the password through the link, once. Two uses at the same moment: the
    conditional update lets exactly one through; the other gets NotFound, as for an
    expired or unknown link. The agent's other logins end (it may be a reset)."""
    moment = now or utcnow()
    password_hash = hash_password(password)  # AgentError for a weak one, link untouched
    used = db.execute(
        update(PasswordLink)
        .where(
            PasswordLink.token_hash == digest(token),
            PasswordLink.used_at.is_(None),
            PasswordLink.expires_at > moment,
        )
        .values(used_at=moment)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise NotFound("this link is unknown, expired or already used: ask an admin for a new one")
    row = db.get(PasswordLink, digest(token))
    assert row is not None
    account = agent(db, row.agent_id)
    if not account.active:
        raise NotFound("this account is disabled")
    account.password_hash = password_hash
    db.execute(delete(AgentToken).where(AgentToken.agent_id == account.id))
    db.flush()
    return account
