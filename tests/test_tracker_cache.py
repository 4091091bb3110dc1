"""bot.tracker_cache: a kept tracker is exactly what reading the table would give, and
anything written or erased elsewhere makes the store read the table again.

On SQLite and PostgreSQL, two store objects over one table play two Rasa servers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.tracker_cache import CachedSQLTrackerStore
from store.trackers import Trackers
from tests.support import ROOT
from tests.support.services import fresh_database, need_postgres

SENDER = "webchat:long-talker"


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any, str]]:
    """Two stores over one table (two Rasa servers), and the table's URL."""
    domain = Domain.load(ROOT / "bot" / "domain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if request.param == "sqlite":
            db = tmp_path / "tracker.db"
            made = [CachedSQLTrackerStore(domain, dialect="sqlite", db=str(db)) for _ in "ab"]
            yield made[0], made[1], f"sqlite:///{db}"
        else:
            need_postgres()
            with fresh_database() as url:
                made = [postgres_store(domain, url) for _ in "ab"]
                yield made[0], made[1], url
    for store in made:
        store.engine.dispose()


def postgres_store(domain: Domain, url: str) -> CachedSQLTrackerStore:
    name = url.rsplit("/", 1)[1]
    return CachedSQLTrackerStore(
        domain, dialect="postgresql", host="127.0.0.1", port=5432, db=name, username="postgres"
    )


def turn(store: Any, text: str) -> DialogueStateTracker:
    """One turn as Rasa's processor runs it: read, add the turn's events, save."""
    tracker = asyncio.run(store.get_or_create_tracker(SENDER, append_action_listen=False))
    if not tracker.events:  # a new conversation: its session starts (action_session_start)
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(SlotSet("language", "en"))
        tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(text, {"name": "ask_faq", "confidence": 0.9}))
    tracker.update(ActionExecuted("action_respond"))
    tracker.update(BotUttered(f"an answer to {text}"))
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    return tracker


def as_read(tracker: DialogueStateTracker | None) -> Any:
    assert tracker is not None
    return [e.as_dict() for e in tracker.events], tracker.current_state(EventVerbosity.ALL)


def read_afresh(url: str) -> Any:
    """The conversation as a store that never saw it reads it."""
    domain = Domain.load(ROOT / "bot" / "domain")
    if url.startswith("sqlite"):
        other = CachedSQLTrackerStore(domain, dialect="sqlite", db=url.removeprefix("sqlite:///"))
    else:
        other = postgres_store(domain, url)
    try:
        return as_read(asyncio.run(other.retrieve(SENDER)))
    finally:
        other.engine.dispose()


def test_the_kept_tracker_is_the_one_a_read_gives(stores: tuple[Any, Any, str]) -> None:
    one, _, url = stores
    first = turn(one, "first")  # its session started in the turn: a read starts there
    second = turn(one, "second")
    assert second is not first  # read from the table
    third = turn(one, "third")
    assert third is second  # kept between the turns
    kept = asyncio.run(one.retrieve(SENDER))
    assert kept is third
    assert as_read(kept) == read_afresh(url)
    assert [e.text for e in kept.events if isinstance(e, UserUttered)] == [
        "first",
        "second",
        "third",
    ]


def test_a_turn_on_another_server_makes_it_read_the_table(stores: tuple[Any, Any, str]) -> None:
    one, two, url = stores
    for text in ("first", "second", "third"):
        turn(one, text)
    turn(two, "on the other server")
    again = asyncio.run(one.retrieve(SENDER))
    assert as_read(again) == read_afresh(url)
    assert again is not None and again.latest_message is not None
    assert again.latest_message.text == "on the other server"


def test_erased_rows_are_gone_for_the_bot_too(stores: tuple[Any, Any, str]) -> None:
    one, _, url = stores
    for text in ("first", "second", "third"):
        turn(one, text)
    trackers = Trackers(url)
    try:
        assert trackers.erase([SENDER]) > 0
    finally:
        trackers.close()
    assert asyncio.run(one.retrieve(SENDER)) is None
    fresh = turn(one, "hello again")
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["hello again"]


def test_a_turn_that_never_saves_leaves_nothing_behind(stores: tuple[Any, Any, str]) -> None:
    one, _, url = stores
    for text in ("first", "second", "third"):
        turn(one, text)
    failed = asyncio.run(one.retrieve(SENDER))
    assert failed is not None
    failed.update(UserUttered("never answered"))  # the turn dies before the save
    again = asyncio.run(one.retrieve(SENDER))
    assert again is not failed and as_read(again) == read_afresh(url)
    assert again is not None and again.latest_message is not None
    assert again.latest_message.text == "third"


def test_a_session_started_mid_turn_is_read_from_its_start(
    stores: tuple[Any, Any, str],
) -> None:
    one, _, url = stores
    for text in ("first", "second", "third"):
        turn(one, text)
    tracker = asyncio.run(one.retrieve(SENDER))
    assert tracker is not None
    for event in (ActionExecuted("action_session_start"), SessionStarted()):
        tracker.update(event)  # the session expired: a new one starts in this turn
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(one.save(tracker))
    again = asyncio.run(one.retrieve(SENDER))
    assert again is not tracker and as_read(again) == read_afresh(url)
    assert again is not None and isinstance(again.events[0], SessionStarted)


def test_sqlite_saves_without_a_rollback_journal(tmp_path: Path) -> None:
    """A save is one WAL append, not three fsyncs in Rasa's event loop; another process
    opening the file (a second reader, the data-rights eraser) sees WAL mode too."""
    domain = Domain.load(ROOT / "bot" / "domain")
    db = tmp_path / "tracker.db"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = CachedSQLTrackerStore(domain, dialect="sqlite", db=str(db))
    turn(store, "how do I reset my password?")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    store.engine.dispose()
    other = sqlite3.connect(db)
    assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert other.execute("SELECT count(*) FROM events").fetchone()[0] > 0
    other.close()


def test_sqlite_keeps_its_connection_between_turns(tmp_path: Path) -> None:
    """In WAL mode, closing the last connection checkpoints the log and deletes it: a
    connection per turn (SQLAlchemy 1.4's NullPool) paid that every turn."""
    domain = Domain.load(ROOT / "bot" / "domain")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        store = CachedSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "t.db"))
    opened: list[object] = []
    sa.event.listen(store.engine, "connect", lambda connection, _record: opened.append(connection))
    for text in ("hello", "how do I reset my password?", "thanks"):
        turn(store, text)
    assert len(opened) <= 1
    assert (tmp_path / "t.db-wal").exists()  # the log stays between turns
    store.engine.dispose()
