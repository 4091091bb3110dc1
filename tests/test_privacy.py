"""Data rights on SQLite and PostgreSQL: an end user's data exported and erased
through the admin API and the CLI (rows on every channel, files, ratings, tickets and
Rasa's own tracker, written by Rasa's ``SQLTrackerStore``), another user's left alone,
the audit rows; the retention job (a leased job, off by default)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from common.clock import utcnow
from store.db import make_engine, migrate, session_factory
from store.models import Audit, Conversation, Csat, HandoffSession, Message
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT
from tests.support.gateway import ALWAYS, Gateway
from tests.support.routing import admin
from tests.support.services import fresh_database, need_postgres

USER = "4242"  # a platform user id, on Telegram and on WeChat
OTHER = "webchat:someone-else"


@dataclass
class Desk:
    url: str  # the desk's database
    rasa: Any  # Rasa's SQLTrackerStore, where the gateway will look for it


def rasa_store(url: str, tracker_db: Path) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from rasa.core.tracker_store import SQLTrackerStore
        from rasa.shared.core.domain import Domain

        if url.startswith("sqlite"):
            return SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tracker_db))
        name = url.rsplit("/", 1)[1]
        return SQLTrackerStore(
            Domain.empty(),
            dialect="postgresql",
            host="127.0.0.1",
            port=5432,
            db=name,
            username="postgres",
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def desk(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    """A desk database and Rasa's tracker store where the endpoints files put it: the
    SQLite file RASA_TRACKER_DB (embedded), or the desk's PostgreSQL database."""
    monkeypatch.delenv("DESK_TRACKER_URL", raising=False)
    tracker_db = tmp_path / "tracker.db"
    monkeypatch.setenv("RASA_TRACKER_DB", str(tracker_db))
    if request.param == "sqlite":
        store = rasa_store("sqlite", tracker_db)
        yield Desk(f"sqlite:///{tmp_path / 'desk.db'}", store)
        store.engine.dispose()
        return
    need_postgres()
    with fresh_database() as url:
        store = rasa_store(url, tracker_db)
        yield Desk(url, store)
        store.engine.dispose()


def save_tracker(store: Any, sender: str, *texts: str) -> None:
    from rasa.shared.core.events import BotUttered, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    events = [e for t in texts for e in (UserUttered(t), BotUttered(f"answer to {t}"))]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))


def tracker_events(store: Any, sender: str) -> int:
    tracker = asyncio.run(store.retrieve(sender))
    return 0 if tracker is None else len(tracker.events)


def seed(url: str, media: Path, when: datetime | None = None) -> None:
    """USER on Telegram (a ticket, a rating, a screenshot) and WeChat; OTHER on web chat."""
    engine = make_engine(url)
    migrate(engine)
    moment = when or utcnow()
    with session_factory(engine).begin() as db:
        for conversation in (f"telegram:{USER}", f"wechat:{USER}", OTHER):
            channel = conversation.split(":")[0]
            db.add(Conversation(id=conversation, channel=channel, language="en", created_at=moment))
            db.flush()
            db.add(
                Message(
                    conversation_id=conversation,
                    author="user",
                    text=f"hi from {conversation}",
                    created_at=moment,
                )
            )
            db.add(
                Message(conversation_id=conversation, author="bot", text="hello", created_at=moment)
            )
            session = HandoffSession(
                conversation_id=conversation,
                payload={"summary": f"case of {conversation}"},
                payload_key=uuid.uuid4().hex,
                reason="dispute",
                priority="normal",
                language="en",
                state="resolved",
                kind="ticket",
                queued_at=moment,
            )
            db.add(session)
            db.flush()
            db.add(Csat(session_id=session.id, score=4, created_at=moment))
        shot = media / "shot.png"
        shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"pixels")
        path = str(shot.relative_to(ROOT))
        attachment = {"kind": "image", "path": path, "name": "shot.png", "mime": "image/png"}
        db.add(
            Message(
                conversation_id=f"telegram:{USER}",
                author="user",
                text="[image]",
                attachment=attachment,
                created_at=moment,
            )
        )
    engine.dispose()


@pytest.fixture
def media() -> Iterator[Path]:
    folder = ROOT / "var" / "media" / f"test-privacy-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    yield folder
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with session_factory(engine)() as db:
        out = {
            table.__tablename__: int(
                db.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in (Conversation, Message, HandoffSession, Csat)
        }
    engine.dispose()
    return out


def audits(url: str, action: str) -> list[dict[str, Any]]:
    engine = make_engine(url)
    with session_factory(engine)() as db:
        rows = db.execute(select(Audit.detail).where(Audit.action == action)).scalars()
        out = [json.loads(r) for r in rows]
    engine.dispose()
    return out


def test_an_admin_exports_then_erases_a_user_everywhere(desk: Desk, media: Path) -> None:
    seed(desk.url, media)
    save_tracker(desk.rasa, f"telegram:{USER}", "my transfer is missing", "0xabc")
    save_tracker(desk.rasa, OTHER, "hello")
    gateway = Gateway(desk.url, FakeRasa())
    with gateway.client:
        boss = admin(gateway)
        ana = gateway.agent("ana@example.com")
        body = {"user": USER}
        assert (
            gateway.client.post(
                "/api/agent/admin/privacy/export", json=body, headers=ana
            ).status_code
            == 403
        )

        exported = gateway.client.post("/api/agent/admin/privacy/export", json=body, headers=boss)
        assert exported.status_code == 200, exported.text
        data = exported.json()
        ids = sorted(c["id"] for c in data["conversations"])
        assert ids == [f"telegram:{USER}", f"wechat:{USER}"]
        telegram = next(c for c in data["conversations"] if c["channel"] == "telegram")
        assert [m["text"] for m in telegram["messages"]] == [
            f"hi from telegram:{USER}",
            "hello",
            "[image]",
        ]
        [ticket] = telegram["tickets"]
        assert (
            ticket["csat"]["score"] == 4
            and ticket["payload"]["summary"] == f"case of telegram:{USER}"
        )
        [shot] = data["attachments"]
        assert shot["name"] == "shot.png" and shot["stored"] and shot["content_base64"]
        said = [
            e.get("text") for e in data["rasa_trackers"][f"telegram:{USER}"] if e["event"] == "user"
        ]
        assert said == ["my transfer is missing", "0xabc"]
        assert OTHER not in json.dumps(data)

        erased = gateway.client.post("/api/agent/admin/privacy/erase", json=body, headers=boss)
        assert erased.status_code == 200, erased.text
        gone = erased.json()
        assert (gone["conversations"], gone["messages"], gone["tickets"], gone["ratings"]) == (
            2,
            5,
            2,
            2,
        )
        assert gone["files"] == 1 and gone["tracker_events"] > 0

    # Only the other user is left: rows, tracker; the screenshot is gone.
    assert counts(desk.url) == {
        "handoff_conversations": 1,
        "handoff_messages": 2,
        "handoff_sessions": 1,
        "handoff_csat": 1,
    }
    assert tracker_events(desk.rasa, f"telegram:{USER}") == 0
    assert tracker_events(desk.rasa, OTHER) > 0
    assert not (media / "shot.png").exists()
    [export_row] = audits(desk.url, "privacy.export")
    [erase_row] = audits(desk.url, "privacy.erase")
    assert export_row["user"] == USER and erase_row["conversations"] == 2
    assert "my transfer is missing" not in json.dumps(erase_row)


def test_the_cli_exports_to_a_file_and_erases(
    tmp_path: Path, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    tracker_db = tmp_path / "tracker.db"
    seed(url, media)
    store = rasa_store("sqlite", tracker_db)
    save_tracker(store, f"wechat:{USER}", "你好")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "RASA_TRACKER_DB": str(tracker_db),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("DESK_TRACKER_URL", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "handoff", "privacy", *args]
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, input="n\n"
        )

    out = tmp_path / "export.json"
    assert cli("export", f"wechat:{USER}", "--out", str(out)).returncode == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [c["id"] for c in data["conversations"]] == [f"wechat:{USER}"]  # one channel asked
    assert data["rasa_trackers"][f"wechat:{USER}"][0]["text"] == "你好"
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    assert cli("erase", f"wechat:{USER}").returncode == 1  # answered "n": nothing deleted
    assert counts(url)["handoff_conversations"] == 3
    erased = cli("erase", f"wechat:{USER}", "--yes")
    assert erased.returncode == 0 and '"conversations": 1' in erased.stdout
    assert counts(url)["handoff_conversations"] == 2
    assert tracker_events(store, f"wechat:{USER}") == 0
    assert [r["user"] for r in audits(url, "privacy.erase")] == [f"wechat:{USER}"]
    # A tracker the desk has no conversation for (the desk's rows restored from an older
    # backup, say) goes too when asked for by its conversation id.
    save_tracker(store, "webchat:ghost", "hello")
    ghost = cli("erase", "webchat:ghost", "--yes")
    assert '"conversations": 0' in ghost.stdout and '"tracker_events": 2' in ghost.stdout
    assert tracker_events(store, "webchat:ghost") == 0
    store.engine.dispose()


def test_retention_purges_idle_conversations_as_a_leased_job(desk: Desk, media: Path) -> None:
    seed(desk.url, media, when=utcnow() - timedelta(days=40))  # USER's and OTHER's: old
    save_tracker(desk.rasa, OTHER, "old question")
    engine = make_engine(desk.url)
    with session_factory(engine).begin() as db:
        # Recent: a new conversation, and an old one the user wrote in today.
        db.add(Conversation(id="webchat:fresh", channel="webchat", created_at=utcnow()))
        db.add(Message(conversation_id=f"wechat:{USER}", author="user", text="still here"))
        # An open ticket keeps its conversation, however old.
        ticket = db.execute(
            select(HandoffSession).where(HandoffSession.conversation_id == OTHER)
        ).scalar_one()
        ticket.state = "queued"
    engine.dispose()

    off = Gateway(desk.url, FakeRasa())
    assert "retention" not in off.parts.jobs.jobs  # default: kept forever
    gateway = Gateway(desk.url, FakeRasa(), ALWAYS.copy(update={"retention_days": 30}))
    # The job as the scheduler runs it (the app's lifespan, not started here, would
    # run it in the background).
    ran = asyncio.run(gateway.parts.jobs.run_due())
    assert "retention" in ran
    # Leased: another run within the period (in any process) does nothing.
    assert "retention" not in asyncio.run(gateway.parts.jobs.run_due())

    engine = make_engine(desk.url)
    with session_factory(engine)() as db:
        left = sorted(db.execute(select(Conversation.id)).scalars())
    engine.dispose()
    assert left == sorted([OTHER, "webchat:fresh", f"wechat:{USER}"])
    assert not (media / "shot.png").exists()  # telegram:USER went, with its file
    [row] = audits(desk.url, "retention.purge")
    assert row["conversations"] == 1
    # An open ticket's conversation keeps its tracker too.
    assert tracker_events(desk.rasa, OTHER) > 0
