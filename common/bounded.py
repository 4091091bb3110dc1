"""A small thread pool with a bounded queue, for work too costly to run unbounded.

An argon2 password check takes 64 MiB and most of a core for a moment; on the
server's shared 40-thread pool a login flood ran forty at once, used gigabytes and
starved every synchronous endpoint. Here at most *workers* run at once, at most
*queue* more wait, and anything beyond that is refused at once (:class:`PoolFull`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class PoolFull(RuntimeError):
    """Every worker is busy and the queue is full: try again shortly (HTTP 503)."""


class BoundedPool:
    def __init__(self, workers: int, queue: int, name: str) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._admitted = 0  # running or waiting
        self._running = 0
        self.peak = 0  # the most calls that ever ran at once (a gauge for tests and ops)

    async def run(self, function: Callable[[], T]) -> T:
        """*function*'s result, computed on one of the pool's threads."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise PoolFull("too many requests of this kind at once")
            self._admitted += 1
        try:
            return await asyncio.wrap_future(self._executor.submit(self._counted, function))
        finally:
            with self._lock:
                self._admitted -= 1

    def _counted(self, function: Callable[[], T]) -> T:
        with self._lock:
            self._running += 1
            self.peak = max(self.peak, self._running)
        try:
            return function()
        finally:
            with self._lock:
                self._running -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
