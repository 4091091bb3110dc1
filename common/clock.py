"""Time: everything stored and compared is timezone-aware UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """*moment* with its timezone; a naive one (SQLite drops the zone) is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
