"""search: indexes over message texts (store/search.py)

PostgreSQL: a trigram index (pg_trgm) for substring matches, Chinese included, a
full-text index for short words, and a full-text index of the Han bigrams (two-character
Chinese words have no trigram). All are expression indexes on the table itself, so they
are built from the existing rows here and kept current by every write.

SQLite: an FTS5 table with the trigram tokenizer over ``handoff_messages`` (external
content: the text is stored once), kept current by triggers and filled here from
the existing rows. An SQLite without the trigram tokenizer (before 3.34) gets no
index, and search scans the table.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FTS = "handoff_messages_fts"
# Every pair of adjacent Han characters, as words: '转账没到' -> '转账' '账没' '没到'.
BIGRAMS = r"""
CREATE FUNCTION handoff_han_bigrams(body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', coalesce(string_agg(substr(run[1], i, 2), ' '), ''))
  FROM regexp_matches(body, '[\u3400-\u9fff\uf900-\ufaff]{2,}', 'g') AS run,
       generate_series(1, char_length(run[1]) - 1) AS i
$$
"""


def _trigram_schema(bind: sa.engine.Connection) -> str:
    """Where pg_trgm lives, creating it if needed: its operator class is named with
    its schema, because a connection's search_path need not include it."""
    find = (
        "SELECT n.nspname FROM pg_extension e "
        "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.exec_driver_sql(find).scalar()
    if schema is None:
        # In public when there is one: an extension created in a schema of the moment
        # (a connection's search_path) would go when that schema is dropped.
        public = bind.exec_driver_sql("SELECT 1 FROM pg_namespace WHERE nspname = 'public'")
        where = " SCHEMA public" if public.first() else ""
        bind.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS pg_trgm{where}")
        schema = bind.exec_driver_sql(find).scalar()
    return str(schema)


def _has_trigram_tokenizer(bind: sa.engine.Connection) -> bool:
    try:
        with bind.begin_nested():
            bind.exec_driver_sql(
                "CREATE VIRTUAL TABLE temp.fts_probe USING fts5(x, tokenize='trigram')"
            )
            bind.exec_driver_sql("DROP TABLE temp.fts_probe")
    except sa.exc.OperationalError:
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        trgm = _trigram_schema(bind)
        op.execute(
            "CREATE INDEX ix_handoff_messages_trgm ON handoff_messages "
            f'USING gin (text "{trgm}".gin_trgm_ops)'
        )
        op.execute(
            "CREATE INDEX ix_handoff_messages_words ON handoff_messages "
            "USING gin (to_tsvector('simple', text))"
        )
        op.execute(BIGRAMS)
        op.execute(
            "CREATE INDEX ix_handoff_messages_bigrams ON handoff_messages "
            "USING gin (handoff_han_bigrams(text))"
        )
        return
    if not _has_trigram_tokenizer(bind):
        return
    op.execute(
        f"CREATE VIRTUAL TABLE {FTS} USING fts5(text, content='handoff_messages', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON handoff_messages BEGIN "
        f"INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(
        f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON handoff_messages BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    # Only a change of the text: deliveries and turn marks update rows all the time.
    op.execute(
        f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF text ON handoff_messages BEGIN "
        f"INSERT INTO {FTS}({FTS}, rowid, text) VALUES ('delete', old.id, old.text); "
        f"INSERT INTO {FTS}(rowid, text) VALUES (new.id, new.text); END"
    )
    op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_handoff_messages_words")
        op.execute("DROP INDEX IF EXISTS ix_handoff_messages_trgm")
        op.execute("DROP INDEX IF EXISTS ix_handoff_messages_bigrams")
        op.execute("DROP FUNCTION IF EXISTS handoff_han_bigrams(text)")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {FTS}")
