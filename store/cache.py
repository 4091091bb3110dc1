"""Small values every process shares until they expire (WeChat's access token, the
meaning of a WeChat user's numbered choices)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import CachedValue


def cached(db: Session, key: str, now: datetime) -> str | None:
    row = db.get(CachedValue, key)
    if row is None or row.expires_at <= now:
        return None
    return str(row.value)


def cache(db: Session, key: str, value: str, expires_at: datetime) -> None:
    row = db.get(CachedValue, key)
    if row is None:
        try:  # another process may insert the same key at the same moment
            with db.begin_nested():
                db.add(CachedValue(key=key, value=value, expires_at=expires_at))
                db.flush()
            return
        except IntegrityError:
            row = db.get(CachedValue, key, populate_existing=True)
            if row is None:
                raise
    row.value, row.expires_at = value, expires_at
    db.flush()


def expire_if(db: Session, key: str, value: str, now: datetime) -> bool:
    """Expire *key* only while it still holds *value* (a compare-and-delete: a value
    another process has meanwhile replaced is left alone); True if it did."""
    statement = (
        update(CachedValue)
        .where(CachedValue.key == key, CachedValue.value == value)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(db.execute(statement).rowcount)
