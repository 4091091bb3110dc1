"""From a user's message to the agent's browser notification (issue 16), on SQLite and on
PostgreSQL. Prints Markdown.

The test harness serves the gateway (real app under uvicorn, Rasa faked:
tests/support/console_page.py); an agent logs into the console in Debian's Chromium
with the notifications permission granted, claims a handed-off session, and the tab is
hidden (tests/support/hidden_tab.js, which records each ``Notification`` the page raises
with its time ``at``, the browser's ``Date.now()``). Then, ``--rounds`` times: the wall
clock is noted, the user posts a message through the web chat API, and Python polls the
page's recorded notifications until the new one appears. Latency = the notification's
``at`` minus the send time (one machine, one clock).

PostgreSQL: a schema of its own in the ``test`` database, dropped afterwards; SQLite: a
temporary file.

    .venv/bin/python scripts/bench_notify.py [--rounds 30] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.chromium import chromium
from tests.support.console_page import Desk, log_in, serve_desk

PG_ADMIN = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
HIDDEN_TAB = Path(__file__).resolve().parent.parent / "tests" / "support" / "hidden_tab.js"
POLL = 0.01  # s between looks at the page's notifications
TIMEOUT = 10.0  # s for one notification


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A new schema in the ``test`` database, dropped afterwards (even on failure)."""
    schema = f"bench_notify_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(PG_ADMIN, future=True)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    finally:
        admin.dispose()


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "postgresql":
        with postgres_schema() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'desk.db'}"


def notifications(page: Any) -> list[dict[str, Any]]:
    return list(page.evaluate("() => window.testTab.notifications"))


def measure(browser: Any, desk: Desk, rounds: int) -> dict[str, list[float]]:
    """Latencies (ms) from the send to the notification, and of the POST itself."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
    try:
        context.grant_permissions(["notifications"], origin=desk.url)
        page = context.new_page()
        page.add_init_script(path=str(HIDDEN_TAB))
        bob = desk.agent("bob@example.com")  # a colleague, to watch the queue
        log_in(page, desk, "dana@example.com")
        visitor, session_id = desk.handed_off(bob)
        # Dana claims it in the console: its user's messages now notify her.
        page.click(f'.queue-item[data-session-id="{session_id}"]')
        page.click("#claim")
        expect(page.locator("#reply-text")).to_be_enabled()
        page.evaluate("() => window.testTab.hide()")
        assert notifications(page) == []
        latencies: list[float] = []
        posts: list[float] = []
        for number in range(rounds):
            text = f"benchmark message {number}"
            seen = len(notifications(page))
            sent = time.time()
            desk.say(visitor, text)
            posts.append((time.time() - sent) * 1000)
            deadline = time.monotonic() + TIMEOUT
            while len(shown := notifications(page)) == seen:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no notification for {text!r}")
                time.sleep(POLL)
            [new] = shown[seen:]
            assert new["body"] == text, new
            latencies.append(new["at"] - sent * 1000)
            time.sleep(0.1)
        return {"notification": latencies, "post": posts}
    finally:
        context.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[str, dict[str, list[float]]] = {}
    started = time.time()
    with chromium() as browser:
        for kind in args.databases.split(","):
            with database(kind) as url, serve_desk(url) as desk:
                results[kind] = measure(browser, desk, args.rounds)
            print(f"{kind}: done", file=sys.stderr)
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print(f"n = {args.rounds} messages each ({time.time() - started:.0f} s in all)\n")
    print("| | " + " | ".join(names.get(k, k) for k in results) + " |")
    print("|---|" + "---:|" * len(results))
    for key, label in (
        ("notification", "send → notification: p50 / p95 / max"),
        ("post", "the POST alone: p50 / p95 / max"),
    ):
        cells = [
            f"{statistics.median(r[key]):.0f} / {pct(r[key], 0.95):.0f} / {max(r[key]):.0f} ms"
            for r in results.values()
        ]
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
