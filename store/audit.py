"""The audit log: what admins and supervisors did, one row per action, never edited.

``detail`` is JSON text: who or what the action was about, never a password or a link
token, and for an end user's data only their id and the counts erased.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Audit


def record(
    db: Session,
    actor_id: int | None,
    action: str,
    detail: dict[str, Any],
    session_id: int | None = None,
) -> Audit:
    """Add a row in the caller's transaction: the action and its record commit together."""
    row = Audit(
        agent_id=actor_id,
        session_id=session_id,
        action=action,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
    )
    db.add(row)
    db.flush()
    return row


def recent(db: Session, limit: int = 100, before_id: int | None = None) -> list[Audit]:
    """The newest rows first; *before_id* pages back."""
    query = select(Audit).order_by(Audit.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Audit.id < before_id)
    return list(db.execute(query).scalars())


def detail_of(row: Audit) -> dict[str, Any]:
    """The detail as data; rows the guard wrote before (plain text) as ``{"text": …}``."""
    try:
        value = json.loads(row.detail)
    except ValueError:
        return {"text": row.detail}
    return value if isinstance(value, dict) else {"text": row.detail}
