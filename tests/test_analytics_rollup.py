"""The analytics roll-up (``handoff_user_activity``, migration 0021) against a recount of
the raw messages, on SQLite and PostgreSQL: messages stored by the web chat and by
direct inserts, an end user erased, the retention purge, the migration's backfill of
messages stored before it; and the page's figures from the roll-up equal to the ones
counted from the messages, in several time zones, filters and periods."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.orm import Session

from common.clock import utcnow
from handoff import analytics as page
from store import activity, analytics
from store.db import MIGRATIONS, make_engine, migrate, session_factory
from store.models import Message
from tests.fakes.rasa import FakeRasa
from tests.support import analytics_seed
from tests.support.analytics_seed import at
from tests.support.gateway import Gateway

ZONES = ("UTC", "Asia/Shanghai", "Asia/Kathmandu", "America/St_Johns")  # +8, +5:45, -3:30


def rolled(db: Session) -> dict[tuple[str, int], tuple[datetime, int]]:
    rows = db.execute(select(activity.UserActivity)).scalars()
    return {(r.conversation_id, r.slot): (r.first_at, r.messages) for r in rows}


def recounted(db: Session) -> dict[tuple[str, int], tuple[datetime, int]]:
    """The roll-up worked out here from every user message."""
    found: dict[tuple[str, int], tuple[datetime, int]] = {}
    query = select(Message.conversation_id, Message.created_at).where(Message.author == "user")
    for cid, moment in db.execute(query):
        key = (cid, int(moment.timestamp()) // activity.SLOT)
        first, count = found.get(key, (moment, 0))
        found[key] = (min(first, moment), count + 1)
    return found


def scopes(first: date, last: date) -> Iterator[analytics.Scope]:
    now = utcnow()
    for name in ZONES:
        zone = ZoneInfo(name)
        for chosen in (
            page.period("custom", zone, now, first, last),
            page.period("today", zone, now),
            page.period("7d", zone, now),
        ):
            for channel, language in [(None, None), ("webchat", None), (None, "en")]:
                yield chosen.scope(channel, language)


def assert_same_figures(db: Session, first: date, last: date) -> None:
    """The roll-up holds what a recount finds, and the page's figures from it are the
    ones counted from the messages themselves."""
    assert rolled(db) == recounted(db)
    for scope in scopes(first, last):
        assert activity.slots(scope.start, scope.end) is not None  # the roll-up is read
        assert analytics.conversations(db, scope) == analytics.conversations(db, scope, raw=True)
        assert analytics.busiest_hours(db, scope) == analytics.busiest_hours(db, scope, raw=True)


def test_the_rollup_follows_stored_erased_and_purged_messages(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DESK_TRACKER_URL", raising=False)
    monkeypatch.setenv("RASA_TRACKER_DB", str(tmp_path / "no-tracker.db"))
    gateway = Gateway(database_url, FakeRasa())
    engine = make_engine(database_url)
    database = session_factory(engine)
    first, last = date(2026, 11, 19), date(2026, 11, 23)
    utc = ZoneInfo("UTC")
    seeded = page.period("custom", utc, utcnow(), first, last).scope(None, None)
    today = page.period("today", utc, utcnow()).scope(None, None)

    def active(db: Session) -> int:  # in the seeded days and today (the web chat's)
        return sum(n for scope in (seeded, today) for _, n, _ in analytics.conversations(db, scope))

    with gateway.client:
        with database.begin() as db:
            analytics_seed.seed(db)
            # Stored late, and earlier than c1's first message of their quarter-hour.
            db.add(Message(conversation_id="c1", author="user", text="x", created_at=at(20, 9, 59)))
            db.add(Message(conversation_id="c1", author="user", text="y", created_at=at(20, 9, 50)))
        for language in ("en", "zh", "en"):
            visitor = gateway.visitor(language)
            for text in ("hello", "how do I export my history", "thanks"):
                assert gateway.say(visitor, text).status_code == 200
        with database() as db:
            webchat = {k: v for k, v in rolled(db).items() if k[0].startswith("webchat:")}
            assert sum(n for _, n in webchat.values()) == 9
            assert rolled(db)[("c1", int(at(20, 9, 45).timestamp()) // activity.SLOT)] == (
                at(20, 9, 50),
                2,
            )
            assert_same_figures(db, first, last)
            before = active(db)

        erased = sorted({c for c, _ in webchat})[0]
        gone = gateway.parts.privacy.erase(erased)
        assert gone["conversations"] == 1 and gone["messages"] == 6  # 3 asked, 3 answered
        # Purged: c1, c7 and c9 (nothing since the 21st, no open session).
        assert gateway.parts.privacy.purge(at(21, 0)) == 3
        with database() as db:
            assert not [k for k in rolled(db) if k[0] in (erased, "c1", "c7", "c9")]
            assert_same_figures(db, first, last)
            after = active(db)
        assert after == before - 4
    engine.dispose()


def test_the_migration_counts_the_messages_stored_before_it(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    previous = ScriptDirectory.from_config(config).get_revision("0021").down_revision
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, str(previous))
    with session_factory(engine).begin() as db:
        analytics_seed.seed(db)  # no trigger yet
    migrate(engine)
    with session_factory(engine)() as db:
        assert len(rolled(db)) == 10  # c1 wrote twice in one quarter-hour, the rest once per row
        assert_same_figures(db, date(2026, 11, 20), date(2026, 11, 22))
    engine.dispose()


def test_periods_off_the_quarter_hours_count_the_messages(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with session_factory(engine).begin() as db:
        analytics_seed.seed(db)
        db.add(Message(conversation_id="c3", author="user", text="z", created_at=at(21, 9, 41)))
    # From 10:02 on the 20th (c1's 10:00 message is out, its 10:05 one in) until
    # 20:00:20 on the 22nd (c6's 20:00 message is in).
    cut = analytics.Scope(start=at(20, 10, 2), end=at(22, 20, 0, 20))
    # Days from UTC midnight, hours at a made-up offset of +0:20: 09:41 UTC is 10:01
    # there, though its quarter-hour (from 09:30) is at 09:50.
    odd = analytics.Scope(start=at(20, 0), end=at(23, 0), offset=1200)
    kolkata = page.period(
        "custom", ZoneInfo("Asia/Kolkata"), utcnow(), date(2026, 11, 20), date(2026, 11, 22)
    ).scope(None, None)  # +5:30: whole quarter-hours, read from the roll-up
    assert activity.slots(cut.start, cut.end) is None
    assert activity.slots(odd.start, odd.end) is not None and odd.offset % activity.SLOT
    assert activity.slots(kolkata.start, kolkata.end) is not None
    with session_factory(engine)() as db:
        assert analytics.busiest_hours(db, cut) == {10: 1, 23: 1, 1: 1, 9: 2, 12: 1, 8: 1, 20: 1}
        assert sum(n for _, n, _ in analytics.conversations(db, cut)) == 6  # c1..c6
        assert analytics.busiest_hours(db, odd) == {
            0: 1,  # c9 at 00:30
            1: 1,
            8: 1,
            9: 1,
            10: 3,  # c1 at 10:00 and 10:05, c3 at 09:41
            12: 1,
            20: 1,
            23: 1,
        }
        assert sum(n for _, n, _ in analytics.conversations(db, odd)) == 7
        assert analytics.busiest_hours(db, kolkata) == analytics.busiest_hours(
            db, kolkata, raw=True
        )
    engine.dispose()
