"""Waiting for something to happen: poll a condition instead of sleeping, and fail
loudly, saying what never happened, when it doesn't.

    wait_until(lambda: api.sent, 5, "the customer-service message never arrived")
    await wait_until_async(all_replied, 60, lambda: f"not replied: {missing()}")

The message may be a callable, so that it describes the state at the moment of failure.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
POLL_SECONDS = 0.05


def _failure(message: str | Callable[[], str], timeout: float) -> AssertionError:
    text = message() if callable(message) else message
    return AssertionError(f"{text} (waited {timeout:g} s)")


def wait_until(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str],
    interval: float = POLL_SECONDS,
) -> T:
    """Call *condition* until it returns something true, and return that.

    Raises ``AssertionError`` with *message* after *timeout* seconds. An exception
    raised by *condition* (say, a process that exited) fails at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(message, timeout)
        time.sleep(interval)  # the polling interval


async def wait_until_async(
    condition: Callable[[], T],
    timeout: float,
    message: str | Callable[[], str],
    interval: float = POLL_SECONDS,
) -> T:
    """:func:`wait_until` inside an event loop: other tasks run while it waits."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(message, timeout)
        await asyncio.sleep(interval)  # the polling interval
