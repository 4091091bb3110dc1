"""Analytics benchmark (docs/benchmarks.md, issue 18): the Analytics page's queries on a
PostgreSQL desk with a million stored messages. Prints Markdown.

    .venv/bin/python scripts/bench_analytics.py [--messages 1000000] [--runs 10]
        [--url postgresql+psycopg2://postgres@127.0.0.1:5432/test] [--without-indexes]
        [--write-rounds 5] [--keep | --reuse DATABASE]

It creates a database of its own (dropped at the end unless ``--keep``; ``--reuse``
times the page again on a kept one), migrates it to the revision
before the analytics roll-up (0021), fills it in SQL, then runs the rest of the
migrations (timed: 0021 fills the roll-up from the messages, as on an existing desk).
The fill: conversations spread evenly over the last 30 days, 10 messages each (user and
bot alternating; every 7th conversation handed off, its last two messages an agent's),
an outcome per bot turn (one in ten a miss), a session per handed-off conversation (a
third tickets, one in eleven past its SLA, half of them rated), ten agents. Each case
is timed three ways, taking turns: counting the messages themselves (the page's
queries before the roll-up), from the roll-up with the queries one after another on
the page's connection (the page before they ran together), and the page as it is (the
roll-up, its queries at once on connections sharing one snapshot); all must give the
same page. Last, what the roll-up's trigger adds to storing a user message.
``--without-indexes`` drops migration 0015's indexes first, to see what they buy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session

from common.clock import utcnow
from handoff import analytics
from store.db import MIGRATIONS, make_engine, migrate, session_factory
from store.messages import add_message
from store.models import Conversation
from store.snapshot import read_together

PER_CONVERSATION = 10
INDEXES = (
    "ix_handoff_messages_author_created",
    "ix_handoff_sessions_queued",
    "ix_handoff_sessions_breached",
    "ix_handoff_csat_created",
    "ix_handoff_turn_outcomes_outcome",
)
SEED = """
INSERT INTO handoff_agents (id, email, display_name, password_hash, presence, active,
                            role, created_at)
SELECT a, 'agent' || a || '@example.com', 'Agent ' || a, 'x', 'away', true,
       CASE WHEN a = 1 THEN 'admin' ELSE 'agent' END, now()
FROM generate_series(1, 10) a;

INSERT INTO handoff_conversations (id, channel, language, created_at, sent_since_inbound)
SELECT 'c' || i, (ARRAY['webchat', 'telegram', 'wechat'])[1 + i % 3],
       (ARRAY['zh', 'en', 'es'])[1 + (i / 3) % 3], :base + i * :step, 0
FROM generate_series(1, :conversations) i;

INSERT INTO handoff_messages (conversation_id, author, kind, text, created_at, pending, attempts,
                              agent_id)
SELECT 'c' || i,
       CASE WHEN j % 2 = 0 THEN 'user' WHEN i % 7 = 0 AND j >= 8 THEN 'agent' ELSE 'bot' END,
       'message', 'a benchmark message of about the usual length for a support question',
       :base + i * :step + j * interval '30 seconds', false, 0,
       CASE WHEN i % 7 = 0 AND j >= 8 THEN 1 + i % 10 END
FROM generate_series(1, :conversations) i, generate_series(0, 9) j;

INSERT INTO handoff_turn_outcomes (conversation_id, outcome, created_at)
SELECT 'c' || i, CASE WHEN (i + j) % 10 = 1 THEN 'miss' ELSE 'answer' END,
       :base + i * :step + j * interval '30 seconds'
FROM generate_series(1, :conversations) i, generate_series(1, 7, 2) j;

INSERT INTO handoff_sessions (id, conversation_id, payload, payload_key, reason, priority,
    language, state, kind, agent_id, queued_at, assigned_at, resolved_at, breached_at,
    csat_status)
SELECT i, 'c' || i, '{}', 'k' || i,
       (ARRAY['user_request', 'no_answer', 'complaint', 'missing_transfer', 'dispute'])[1 + i % 5],
       'normal', (ARRAY['zh', 'en', 'es'])[1 + (i / 3) % 3], 'resolved',
       CASE WHEN i % 3 = 0 THEN 'ticket' ELSE 'chat' END, 1 + i % 10,
       :base + i * :step + interval '225 seconds', :base + i * :step + interval '230 seconds',
       :base + i * :step + interval '240 seconds' + (i % 60) * interval '1 minute',
       CASE WHEN i % 11 = 0 THEN :base + i * :step + interval '1 hour' END,
       CASE WHEN i % 2 = 0 THEN 'answered' END
FROM generate_series(7, :conversations, 7) i;

INSERT INTO handoff_csat (session_id, score, created_at)
SELECT id, 1 + id % 5, resolved_at + interval '1 minute'
FROM handoff_sessions WHERE csat_status = 'answered';
"""


def seed(engine: sqlalchemy.engine.Engine, messages: int) -> float:
    """Fill the desk; indexes are dropped during the load and built after it (as a bulk
    load would), and foreign keys aren't checked row by row (the rows are consistent)."""
    conversations = messages // PER_CONVERSATION
    now = utcnow()
    base = now - timedelta(days=30)
    step = timedelta(days=30) / conversations
    started = time.perf_counter()
    with engine.begin() as connection:
        indexes = connection.execute(
            sqlalchemy.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'handoff_%' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
        ).all()
        for name, _definition in indexes:
            connection.exec_driver_sql(f"DROP INDEX {name}")
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        for statement in SEED.split(";\n"):
            if statement.strip():
                connection.execute(
                    sqlalchemy.text(statement),
                    {"base": base, "step": step, "conversations": conversations},
                )
        for _name, definition in indexes:
            connection.exec_driver_sql(definition)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def migrate_before_rollup(engine: sqlalchemy.engine.Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    previous = ScriptDirectory.from_config(config).get_revision("0021").down_revision
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, str(previous))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a local process has used: PostgreSQL's backend."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends(db: Session) -> dict[int, float]:
    """CPU seconds of every backend connected to this database (the page's queries run
    on several: handoff.analytics reads the period on connections of its own)."""
    rows = db.execute(
        sqlalchemy.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend'"
        )
    ).scalars()
    found = {}
    for pid in rows:
        try:
            found[int(pid)] = _cpu_seconds(int(pid))
        except FileNotFoundError:  # ended since
            continue
    return found


def _in_turn(db: Session, reads: Sequence[Any], setup: Any = None) -> list[Any]:
    """store.snapshot.read_together as it is on SQLite: every read on the page's own
    connection, one after another (the page before the reads ran together)."""
    if setup is not None:
        setup(db)
    return [read(db) for read in reads]


# (raw, together): counting the messages themselves (the page before the roll-up, its
# queries together), the roll-up with the queries in turn on one connection, and the page.
WAYS = {"messages": (True, True), "in turn": (False, False), "roll-up": (False, True)}


def timed(
    engine: sqlalchemy.engine.Engine, scope: analytics.Scope, runs: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Per way (WAYS), the wall-clock seconds of each run and the CPU seconds (the
    database backends' and this process's): on a shared, loaded machine the CPU time
    is what a quiet one would take. The ways take turns, so that the machine's load
    falls on all alike; each gives the same figures (checked)."""
    database = session_factory(engine)
    times: dict[str, tuple[list[float], list[float]]] = {way: ([], []) for way in WAYS}
    pages = {}
    for _ in range(runs):
        for way, (raw, together) in WAYS.items():
            analytics.read_together = read_together if together else _in_turn
            with database() as db:
                before = _backends(db)
                db.rollback()
                server, client = sum(before.values()), time.process_time()
                started = time.perf_counter()
                pages[way] = analytics.report(db, scope, raw)
                times[way][0].append(time.perf_counter() - started)
                used = time.process_time() - client
            with database() as db:  # the page's backends: its own and its helpers'
                after = _backends(db)
            times[way][1].append(sum(after.values()) - server + used)
        analytics.read_together = read_together
        first = pages["messages"]
        assert all(page == first for page in pages.values()), "the ways disagree"
    return times


def write_cost(engine: sqlalchemy.engine.Engine, rounds: int, per_round: int) -> None:
    """What the roll-up's trigger adds to storing a user message: the desk's own
    ``add_message``, a transaction each, in rounds with the trigger and without it
    (disabled), taking turns. Run last: the messages stored without it aren't rolled up."""
    database = session_factory(engine)
    with database.begin() as db:
        db.add(Conversation(id="bench-writes", channel="webchat", language="en"))
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for on in (True, False):
            with engine.begin() as connection:
                switch = "ENABLE" if on else "DISABLE"
                connection.exec_driver_sql(
                    f"ALTER TABLE handoff_messages {switch} TRIGGER handoff_user_activity_add"
                )
            for _ in range(per_round):
                started = time.perf_counter()
                with database.begin() as db:
                    add_message(db, "bench-writes", "user", "a message to time")
                times[on].append(time.perf_counter() - started)
    with_trigger, without = statistics.median(times[True]), statistics.median(times[False])
    print(
        f"\nstoring a user message (add_message, own transaction; n = {rounds * per_round} "
        f"each): p50 {with_trigger * 1000:.2f} ms with the trigger, {without * 1000:.2f} ms "
        f"without (+{(with_trigger - without) * 1000:.2f} ms)"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def fill(engine: sqlalchemy.engine.Engine, messages: int, without_indexes: bool) -> None:
    """The desk of the docstring, migrated to head (0021 backfills the roll-up)."""
    migrate_before_rollup(engine)
    if without_indexes:
        with engine.begin() as connection:
            for index in INDEXES:
                connection.exec_driver_sql(f"DROP INDEX {index}")
    seconds = seed(engine, messages)
    started = time.perf_counter()
    migrate(engine)  # 0021 and after: the roll-up's backfill
    backfill = time.perf_counter() - started
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM handoff_messages").scalar()
        rows = connection.exec_driver_sql("SELECT count(*) FROM handoff_user_activity").scalar()
        database = connection.exec_driver_sql("SELECT current_database()").scalar()
    print(
        f"{count:,} messages seeded in {seconds:.0f} s in {database} (indexes: "
        f"{'without 0015' if without_indexes else 'all'}); migration 0021 "
        f"backfilled {rows:,} roll-up rows in {backfill:.1f} s\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    parser.add_argument("--without-indexes", action="store_true")
    parser.add_argument("--write-rounds", type=int, default=5, help="of 200 messages each way")
    parser.add_argument("--keep", action="store_true", help="keep the database (printed)")
    parser.add_argument("--reuse", default="", help="a database kept by --keep: no fill")
    args = parser.parse_args()
    name = args.reuse or f"bench_analytics_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(args.url, future=True, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        if not args.reuse:
            fill(engine, args.messages, args.without_indexes)
        print(
            "| period, filter | messages: wall p50 | messages: CPU p50 "
            "| roll-up, in turn: wall p50 | … CPU p50 "
            "| roll-up: wall p50 | roll-up: wall p90 | roll-up: CPU p50 |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        zone = ZoneInfo("Asia/Shanghai")
        cases = [
            ("30 days (all messages)", "30d", None, None),
            ("30 days, telegram", "30d", "telegram", None),
            ("30 days, zh", "30d", None, "zh"),
            ("7 days", "7d", None, None),
            ("today", "today", None, None),
        ]
        for label, kind, channel, language in cases:
            scope = analytics.period(kind, zone, utcnow()).scope(channel, language)
            times = timed(engine, scope, args.runs)
            cells = [
                _ms(statistics.median(times[way][0]))
                + " | "
                + _ms(statistics.median(times[way][1]))
                for way in ("messages", "in turn")
            ]
            walls, cpus = times["roll-up"]
            print(
                f"| {label} | {' | '.join(cells)} | {_ms(statistics.median(walls))} "
                f"| {_ms(p90(walls))} | {_ms(statistics.median(cpus))} |"
            )
        if not args.reuse:  # it leaves messages the roll-up doesn't count
            write_cost(engine, args.write_rounds, 200)
        with open("/proc/loadavg") as load:
            print(f"\nload average after the runs: {load.read().split()[0]}")
    finally:
        engine.dispose()
        if not (args.keep or args.reuse):
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


if __name__ == "__main__":
    main()
