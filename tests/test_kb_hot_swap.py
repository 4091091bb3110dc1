"""A publish reaches every action-server process without a restart, and no turn fails
while the index swaps under a stream of questions. Two real ``rasa run actions``
processes on one desk database, polling it every second."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kb_swap import action_servers, ask, publish_answer
from tests.support.processes import Process
from tests.support.waiting import wait_until

QUESTION = "what are your customer service hours"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[Process], str, Path]]:
    with action_servers(tmp_path_factory.mktemp("swap"), 2) as running:
        yield running


def _serving(processes: list[Process], marker: str) -> bool:
    return all(any(marker in text for text in ask(p, QUESTION)) for p in processes)


def test_both_processes_swap_to_the_published_index_without_a_restart(
    servers: tuple[list[Process], str, Path],
) -> None:
    processes, url, index_dir = servers
    pids = [p.popen.pid for p in processes]
    assert not _serving(processes, "swap-marker-1")
    publish_answer(url, index_dir, "We answer at all hours (swap-marker-1).")
    wait_until(
        lambda: _serving(processes, "swap-marker-1"), 60, "not every process serves the new index"
    )
    assert [p.popen.pid for p in processes] == pids
    assert all(p.popen.poll() is None for p in processes)


def test_no_turn_fails_while_the_index_swaps_under_load(
    servers: tuple[list[Process], str, Path],
) -> None:
    processes, url, index_dir = servers
    failures: list[str] = []
    answered: list[str] = []
    stop = threading.Event()

    def user(process: Process, number: int) -> None:
        deadline = time.monotonic() + 300  # bounded, whatever happens
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                texts = ask(process, QUESTION, sender=f"load-{number}")
            except Exception as exc:
                failures.append(f"{process.role}: {exc!r}")
                continue
            if not any("load-marker" in t or "hour" in t.lower() for t in texts):
                failures.append(f"{process.role}: unexpected {texts}")
            answered.append(" ".join(texts))

    users = [threading.Thread(target=user, args=(p, n)) for n, p in enumerate(processes * 2)]
    for thread in users:
        thread.start()
    try:
        for round_ in range(3):
            marker = f"load-marker-{round_}"
            publish_answer(url, index_dir, f"Around the clock, every hour ({marker}).")
            wait_until(lambda m=marker: _serving(processes, m), 60, f"{marker} never served")
    finally:
        stop.set()
        for thread in users:
            thread.join()
    assert not failures, failures[:5]
    assert len(answered) > 10
    assert any("load-marker-2" in text for text in answered)
