"""The desk's schema as the models declare it, to compare with what migrations built."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine


def declared() -> dict[str, dict[str, bool]]:
    """Table -> column -> nullable, from ``store.models``."""
    from store.models import Base

    return {
        name: {column.name: bool(column.nullable) for column in table.columns}
        for name, table in Base.metadata.tables.items()
    }


def built(engine: Engine) -> dict[str, dict[str, bool]]:
    """Table -> column -> nullable, as the database has them (Alembic's own table and
    SQLite's full-text index, a virtual table no model declares, aside)."""
    inspector = inspect(engine)
    return {
        name: {c["name"]: bool(c["nullable"]) for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version" and not name.startswith("handoff_messages_fts")
    }
