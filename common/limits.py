"""Rate limits and login backoff, counted where every gateway sees the same numbers.

The counters live in Redis when ``REDIS_URL`` is set (so two gateways behind one load
balancer share each limit), in this process's memory otherwise. The ``limits`` library
does the counting; a refused hit says how long to wait, for ``Retry-After``.

If Redis stops answering, counting goes on in memory (each gateway then limits on its
own) rather than refusing every user or letting everything through.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from prometheus_client import Counter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Rules = Sequence[RateLimitItem]
Counted = tuple[RateLimitItem, tuple[str, ...]]  # a limit, and the key counted against it

REFUSED = Counter(
    "support_limited_total",
    "Requests refused by a limit: visitors-ip, messages-ip, messages-visitor, "
    "handoffs-ip, login-backoff, login-pool",
    ["limit"],
)


def rules(text: str) -> list[RateLimitItem]:
    """``"30/minute;300/hour"`` (the ``limits`` notation) as rate limit items; "" is none."""
    return parse_many(text) if text.strip() else []


@dataclass(frozen=True)
class Refusal:
    """A limit was reached: try again in *retry_after* seconds."""

    retry_after: int


class Limiter:
    """Fixed-window counters per key over one storage (Redis or memory)."""

    def __init__(self, redis_url: str = "", prefix: str = "desk") -> None:
        self.prefix = prefix
        self._memory = MemoryStorage()
        # The strategies hold only a weak reference: the storages are kept here.
        self.storage: Storage = (
            # A hung Redis must not hang requests: give up within a second, count locally.
            storage_from_string(redis_url, socket_timeout=1, socket_connect_timeout=1)
            if redis_url
            else self._memory
        )
        self._shared = FixedWindowRateLimiter(self.storage)
        self._local = FixedWindowRateLimiter(self._memory)
        self._warned = 0.0

    def hit(self, limits: Rules, *key: str) -> Refusal | None:
        """Count one event for *key* against each of *limits*; None while all allow it."""
        return self.hit_all([(limits, key)])

    def hit_all(self, counted: Sequence[tuple[Rules, Sequence[str]]]) -> Refusal | None:
        """Count one event against each (limits, key) pair, in one round trip to Redis;
        None while all allow it."""
        wanted = [(item, tuple(key)) for limits, key in counted for item in limits]
        if not wanted:
            return None
        limiter = self._shared
        try:
            over = self._over(wanted)
        except RedisError as exc:
            self._degraded(exc)
            limiter = self._local
            over = [(i, k) for i, k in wanted if not limiter.hit(i, self.prefix, *k)]
        if not over:
            return None
        REFUSED.labels(over[0][1][0] if over[0][1] else "other").inc()
        waits = []
        for item, key in over:
            try:
                reset, _remaining = limiter.get_window_stats(item, self.prefix, *key)
                wait = reset - time.time()
            except RedisError:
                wait = item.get_expiry()
            waits.append(max(1, math.ceil(wait)))
        return Refusal(max(waits))

    def _over(self, wanted: list[Counted]) -> list[Counted]:
        """Count *wanted* in the shared storage; those over their limit."""
        if not isinstance(self.storage, RedisStorage):
            return [(i, k) for i, k in wanted if not self._shared.hit(i, self.prefix, *k)]
        # The limits library's fixed window, every counter in one MULTI: the key it
        # uses, and an expiry set only on a new counter (its Lua script's "== amount").
        with self.storage.storage.pipeline(transaction=True) as multi:
            for item, key in wanted:
                name = item.key_for(self.prefix, *key)
                multi.incrby(name, 1)
                multi.expire(name, item.get_expiry(), nx=True)
            counts = multi.execute()[0::2]
        pairs = zip(wanted, counts, strict=True)
        return [(i, k) for (i, k), count in pairs if int(count) > i.amount]

    def _degraded(self, exc: Exception) -> None:
        if time.monotonic() - self._warned > 60:  # once a minute, not once a request
            self._warned = time.monotonic()
            log.warning("rate limits counted per process: Redis failed (%s)", type(exc).__name__)

    # The counters under Backoff, with the same fallback.
    def incr(self, key: str, expiry: int, elastic: bool = False) -> int:
        try:
            return int(self.storage.incr(key, expiry, elastic_expiry=elastic))
        except RedisError as exc:
            self._degraded(exc)
            return int(self._memory.incr(key, expiry, elastic_expiry=elastic))

    def remaining(self, key: str) -> int:
        """Seconds until *key* expires, 0 if it is not set."""
        try:
            if self.storage.get(key) <= 0:
                return 0
            return max(1, math.ceil(self.storage.get_expiry(key) - time.time()))
        except RedisError as exc:
            self._degraded(exc)
            return 0

    def clear(self, key: str) -> None:
        try:
            self.storage.clear(key)
        except RedisError as exc:
            self._degraded(exc)
        self._memory.clear(key)


class Backoff:
    """Exponential waits after repeated failures of one key (an account, an address).

    The first *free* failures cost nothing; each one after that locks the key for
    twice as long as the one before (1 s, 2 s, 4 s … up to *cap*). Failures are
    remembered for *memory* seconds after the last one.
    """

    def __init__(
        self, limiter: Limiter, name: str, free: int, cap: int = 900, memory: int = 3600
    ) -> None:
        self.limiter = limiter
        self.name = name
        self.free = free
        self.cap = cap
        self.memory = memory

    def _keys(self, key: str) -> tuple[str, str]:
        base = f"{self.limiter.prefix}/backoff/{self.name}/{key}"
        return f"{base}/failures", f"{base}/locked"

    def wait(self, key: str) -> int:
        """Seconds before *key* may try again (0: now)."""
        return self.limiter.remaining(self._keys(key)[1])

    def failed(self, key: str) -> int:
        """Record a failure; returns the wait it earned (0 while still free)."""
        failures, locked = self._keys(key)
        count = self.limiter.incr(failures, self.memory, elastic=True)
        if count <= self.free:
            return 0
        seconds = min(self.cap, 2 ** min(count - self.free - 1, 30))
        self.limiter.clear(locked)
        self.limiter.incr(locked, seconds)
        return seconds

    def succeeded(self, key: str) -> None:
        for each in self._keys(key):
            self.limiter.clear(each)
