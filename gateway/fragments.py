"""The guard's count of phrase pieces, shared by every gateway through Redis.

One Redis list per conversation holds "time:words:message id" per piece (never the
words themselves). Appending, trimming, refreshing the expiry and reading back run in
one MULTI, so two gateways appending at once each see a list that holds both pieces
or that the other appends to after. If Redis fails, this process counts alone.
"""

from __future__ import annotations

import logging
import time

import redis
from redis.exceptions import RedisError

from guard import SPLIT_MESSAGES, SPLIT_WINDOW_SECONDS, MemoryCounts, Piece

log = logging.getLogger(__name__)


class RedisCounts:
    def __init__(self, redis_url: str, prefix: str = "desk") -> None:
        # A hung Redis must not hang a turn: give up within a second, count locally.
        self.client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
        self.prefix = prefix
        self._local = MemoryCounts()
        self._warned = 0.0

    def key(self, conversation_id: str) -> str:
        return f"{self.prefix}:guard:pieces:{conversation_id}"

    def add(self, conversation_id: str, piece: Piece) -> list[Piece]:
        key = self.key(conversation_id)
        try:
            with self.client.pipeline(transaction=True) as multi:
                multi.rpush(key, f"{piece.at:.3f}:{piece.words}:{piece.message_id}")
                multi.ltrim(key, -SPLIT_MESSAGES, -1)
                # The window runs from the latest piece; older pieces are dropped by time.
                multi.expire(key, SPLIT_WINDOW_SECONDS)
                multi.lrange(key, 0, -1)
                *_, raw = multi.execute()
        except RedisError as exc:
            self._degraded(exc)
            return self._local.add(conversation_id, piece)
        return [_piece(item) for item in raw]

    def recent(self, conversation_id: str) -> list[Piece]:
        try:
            raw = self.client.lrange(self.key(conversation_id), 0, -1)
        except RedisError as exc:
            self._degraded(exc)
            return self._local.recent(conversation_id)
        return [_piece(item) for item in raw]

    def clear(self, conversation_id: str) -> None:
        self._local.clear(conversation_id)
        try:
            self.client.delete(self.key(conversation_id))
        except RedisError as exc:
            self._degraded(exc)

    def _degraded(self, exc: RedisError) -> None:
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            log.warning("phrase pieces counted in this process only: Redis failed (%s)", exc)


def _piece(item: bytes) -> Piece:
    at, words, message_id = item.decode().split(":")
    return Piece(float(at), int(words), int(message_id))
