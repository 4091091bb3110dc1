"""The desk's schema as the models declare it, to compare with what migrations built."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine


def declared() -> dict[str, dict[str, bool]]:
    """Table -> column -> nullable, from ``store.models``."""
    import store.canned  # noqa: F401  (its table is declared on the same Base)
    from store.models import Base

    return {
        name: {column.name: bool(column.nullable) for column in table.columns}
        for name, table in Base.metadata.tables.items()
    }


def head() -> str:
    """The newest migration's revision id."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from store.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    revision = ScriptDirectory.from_config(config).get_current_head()
    assert revision is not None
    return revision


def built(engine: Engine) -> dict[str, dict[str, bool]]:
    """Table -> column -> nullable, as the database has them (Alembic's own table and
    SQLite's full-text index, a virtual table no model declares, aside)."""
    inspector = inspect(engine)
    return {
        name: {c["name"]: bool(c["nullable"]) for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
        if name != "alembic_version" and not name.startswith("handoff_messages_fts")
    }
