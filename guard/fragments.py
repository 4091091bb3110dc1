"""Where the guard counts the pieces of a phrase sent over several messages.

Only counts and message ids are kept, never the words. The default lives in this
process; with several gateways the counts must be shared (a Redis-backed store in
the gateway), or pieces landing on different processes are never added up.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import NamedTuple, Protocol

SPLIT_WINDOW_SECONDS = 600
SPLIT_MESSAGES = 6


class Piece(NamedTuple):
    at: float  # wall-clock seconds: comparable across processes
    words: int
    message_id: int


class FragmentCounts(Protocol):
    def add(self, conversation_id: str, piece: Piece) -> list[Piece]:
        """Append *piece*, then return the conversation's recent pieces (it included),
        oldest first, at most SPLIT_MESSAGES; in one step, so two processes appending
        at once each see the other's piece or come after it."""
        ...

    def recent(self, conversation_id: str) -> list[Piece]:
        """The conversation's recent pieces, oldest first, without adding one."""
        ...

    def clear(self, conversation_id: str) -> None: ...


class MemoryCounts:
    """One process's counts. A conversation is forgotten once its newest piece is out
    of the window (as the Redis store's keys expire): every conversation that ever
    sent a piece would otherwise stay in memory for the life of the process."""

    def __init__(self) -> None:
        # Least recently added first, so the expired ones are at the front.
        self._recent: OrderedDict[str, deque[Piece]] = OrderedDict()

    def add(self, conversation_id: str, piece: Piece) -> list[Piece]:
        recent = self._recent.pop(conversation_id, None) or deque(maxlen=SPLIT_MESSAGES)
        recent.append(piece)
        self._recent[conversation_id] = recent
        self._forget_expired()
        return list(recent)

    def recent(self, conversation_id: str) -> list[Piece]:
        return list(self._recent.get(conversation_id, ()))

    def clear(self, conversation_id: str) -> None:
        self._recent.pop(conversation_id, None)

    def __len__(self) -> int:
        return len(self._recent)

    def _forget_expired(self) -> None:
        cutoff = time.time() - SPLIT_WINDOW_SECONDS
        while self._recent:
            oldest, pieces = next(iter(self._recent.items()))
            if pieces[-1].at >= cutoff:
                return
            del self._recent[oldest]


def within_window(pieces: list[Piece], now: float | None = None) -> list[Piece]:
    now = time.time() if now is None else now
    return [p for p in pieces if now - p.at <= SPLIT_WINDOW_SECONDS]
