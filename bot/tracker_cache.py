"""Rasa's SQL tracker store, keeping each conversation's tracker between its turns.

Stock Rasa reads every event of the conversation's session back from the table on
every turn, decodes each one and replays it: a turn at message 100 paid for the 99
before it (docs/benchmarks.md, "Long conversations"). This store keeps the tracker it
saved at the end of a turn (the same object, whose state is exactly the replay of its
events) and hands it back at the next turn if nothing was written for that
conversation meanwhile: one indexed ``count``/``max(id)`` query per turn decides, so a
row added by another Rasa server, or rows erased (data rights, retention), make it
read the table again as before. A tracker is handed out once: a turn that fails before
saving leaves nothing behind, and the next turn reads the table.

Kept only when the saved tracker is what a read would give: its events are the rows
(none written by anyone else since it was read) and it holds one session (a session
started mid-turn means a read would start at the new session's first event).
At most ``keep_conversations`` trackers are kept, the least recently used dropped.

On SQLite (the embedded profile) the file is in WAL mode with ``synchronous=NORMAL``,
as the desk's database is (``store/db.py``): stock Rasa's rollback journal made every
save three fsyncs, about 7 ms a turn during which Rasa's event loop, which runs the save,
served no one else. A commit is then durable across a crash of any process; an OS crash
or power loss can lose the last turns' events, not corrupt the file.

Configured in ``endpoints.yml`` / ``endpoints.production.yml`` as
``type: bot.tracker_cache.CachedSQLTrackerStore`` with the same keys as ``type: SQL``.
"""

from __future__ import annotations

import itertools
import json
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

Mark = tuple[int, int | None]  # the conversation's row count and highest row id
_MARK = "_bot_rows_mark"  # on a tracker: the rows its events were read from / saved as
_READ = "_bot_events_read"  # on a tracker: how many of its events came from the table


def _sqlite_wal(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file; the next is per connection
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CachedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, keep_conversations: int = 200, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keep = int(keep_conversations)
        self._kept: OrderedDict[str, DialogueStateTracker] = OrderedDict()
        engine: sa.engine.Engine = self.engine  # type: ignore[has-type]  # set in a loop upstream
        if engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a file database with NullPool: a connection per
            # session, and in WAL mode the close of the last one checkpoints the log
            # into the file (fsyncs) and deletes it, every turn. A kept connection, as
            # SQLAlchemy 2.0 does by default; Rasa's event loop is its only user.
            engine.dispose()
            engine = sa.create_engine(
                engine.url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
            )
            sa.event.listen(engine, "connect", _sqlite_wal)
            self.engine = engine
            self.sessionmaker.configure(bind=engine)

    def _mark(self, session: Any, sender_id: str) -> Mark:
        event = self.SQLEvent
        count, highest = session.execute(
            sa.select(sa.func.count(event.id), sa.func.max(event.id)).where(
                event.sender_id == sender_id
            )
        ).one()
        return int(count), highest

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            mark = self._mark(session, sender_id)
        kept = self._kept.pop(sender_id, None)
        if kept is not None and getattr(kept, _MARK, None) == mark:
            return kept
        # Marked before the read: a row added in between makes the save see a
        # different mark, and the tracker is not kept.
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _MARK, mark)
            setattr(tracker, _READ, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender = tracker.sender_id
        with self.session_scope() as session:
            before = self._mark(session, sender)
            if before == getattr(tracker, _MARK, None):  # its first events are the rows
                new = itertools.islice(tracker.events, getattr(tracker, _READ), None)
            else:
                new = self._additional_events(session, tracker)
            rows = [self._row(sender, e) for e in new]
            session.add_all(rows)
            session.flush()
            written = [row.id for row in rows]
            session.commit()
            after = self._mark(session, sender)
        expected_after = (before[0] + len(rows), max(written, default=before[1]))
        read_as: Mark | None = getattr(tracker, _MARK, None)
        unchanged = before == read_as or (read_as is None and before == (0, None))
        # A tracker with no events is one just created, which the turn goes on using.
        fresh = len(tracker.events) == 0
        if unchanged and after == expected_after and not fresh and self._one_session(tracker):
            setattr(tracker, _MARK, after)
            setattr(tracker, _READ, len(tracker.events))
            self._kept[sender] = tracker
            self._kept.move_to_end(sender)
            while len(self._kept) > self._keep:
                self._kept.popitem(last=False)
        else:
            self._kept.pop(sender, None)

    @staticmethod
    def _one_session(tracker: DialogueStateTracker) -> bool:
        """No session started after the first event: a read would return them all."""
        first_new = max(1, getattr(tracker, _READ, 0))
        new = itertools.islice(tracker.events, first_new, None)
        return not any(e.type_name == SessionStarted.type_name for e in new)

    def _row(self, sender_id: str, event: Any) -> Any:
        """The row ``SQLTrackerStore.save`` writes for *event*."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )
