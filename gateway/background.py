"""Turns a channel accepted (the message stored, the platform answered) and the router
answers afterwards, detached from the request (``Router.accept``)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class Background:
    def __init__(self, limit: int) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()  # kept alive until done
        # Turns answered at once; the rest wait, stored and pending. Unbounded, a burst
        # of them would hold the event loop (each turn's database work runs on it) and
        # the next webhook's answer would wait behind them.
        self.slots = asyncio.Semaphore(limit)

    def start(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The turn was handed to the recovery job when it failed: only said here.
            log.error("an accepted turn failed; recovery runs it again", exc_info=task.exception())

    @property
    def running(self) -> int:
        """Accepted turns not answered yet, in this process."""
        return len(self._tasks)

    async def drain(self, seconds: float) -> None:
        """Give accepted turns up to *seconds* to finish (a graceful shutdown); any left
        are cancelled with the loop, hence handed to the recovery job."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=seconds)
