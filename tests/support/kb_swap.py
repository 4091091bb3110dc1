"""Action servers as real processes on one desk database, and publishing to them the
way the gateway's Publisher does (a version directory, then the database row)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from common.settings import kb_settings
from store import kb as kb_store
from store import make_engine, migrate, session_factory
from tests.support.processes import BIN, Process, free_port, spawn, stop_all, wait_until_up

INDEX_FILES = ("manifest.json", "entries.json", "dense.faiss", "lexical.joblib", "calibration.json")


@contextmanager
def action_servers(workdir: Path, count: int) -> Iterator[tuple[list[Process], str, Path]]:
    """*count* action servers polling every second; (processes, database URL, index dir)."""
    index_dir = workdir / "kb"
    index_dir.mkdir(parents=True)
    for name in INDEX_FILES:
        shutil.copy(kb_settings().index_dir / name, index_dir / name)
    url = f"sqlite:///{workdir / 'desk.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KB_INDEX_DIR": str(index_dir),
        "KB_POLL_SECONDS": "1",
        "BOT_PRELOAD_KB": "1",
        "HF_HUB_OFFLINE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
    }
    processes: list[Process] = []
    try:
        for number in range(count):
            port = free_port()
            command = [str(BIN / "rasa"), "run", "actions", "--actions", "bot.actions"]
            log = workdir / f"actions{number}.log"
            processes.append(
                spawn(f"actions{number}", [*command, "--port", str(port)], port, env, log)
            )
        for process in processes:
            wait_until_up(process, "/health", watch=processes)
        yield processes, url, index_dir
    finally:
        stop_all(processes)


def publish_answer(url: str, index_dir: Path, answer: str, author: str = "test") -> str:
    """Publish the built-in index with service-hours' English answer set to *answer*.

    The vectors are the built-in ones (only an answer changes, so they are right);
    the database moves as a real publish moves it. Returns the version's name."""
    records = _built_in_records()
    for record in records:
        if record["id"] == "service-hours":
            record["texts"]["en"]["answer"] = answer
    database = session_factory(make_engine(url))
    with database.begin() as db:
        live = kb_store.live_version(db)[0]
        revision = kb_store.begin_publish(db, author, live, records, [])
        revision_id = int(revision.id)
    name = f"r{revision_id}-test"
    target = index_dir / "versions" / name
    target.mkdir(parents=True)
    for file in INDEX_FILES:
        shutil.copy(index_dir / file, target / file)
    (target / "articles.json").write_text(json.dumps(records, ensure_ascii=False))
    with database.begin() as db:
        kb_store.finish_publish(db, revision_id, name)
    return name


def _built_in_records() -> list[dict[str, Any]]:
    from faq_kb.records import read_dir

    return read_dir(kb_settings().articles_dir)


def ask(actions: Process, question: str, sender: str = "u1") -> list[str]:
    """``action_respond`` for *question* (read as a confident support question): its texts."""
    tracker = {
        "sender_id": sender,
        "slots": {"language": "en"},
        "latest_message": {
            "text": question,
            "intent": {"name": "ask_faq", "confidence": 1.0},
            "intent_ranking": [{"name": "ask_faq", "confidence": 1.0}],
            "entities": [],
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": None,
    }
    body = {
        "next_action": "action_respond",
        "sender_id": sender,
        "tracker": tracker,
        "domain": {"responses": {}, "slots": {}, "forms": {}},
        "version": "3.6.21",
    }
    response = httpx.post(f"{actions.url}/webhook", json=body, timeout=60)
    response.raise_for_status()
    return [str(r.get("text") or "") for r in response.json()["responses"] if r.get("text")]
