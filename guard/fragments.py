"""Where the guard counts the pieces of a phrase sent over several messages.

Only counts and message ids are kept, never the words. The default lives in this
process; with several gateways the counts must be shared (a Redis-backed store in
the gateway), or pieces landing on different processes are never added up.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
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
    """One process's counts."""

    def __init__(self) -> None:
        self._recent: defaultdict[str, deque[Piece]] = defaultdict(
            lambda: deque(maxlen=SPLIT_MESSAGES)
        )

    def add(self, conversation_id: str, piece: Piece) -> list[Piece]:
        recent = self._recent[conversation_id]
        recent.append(piece)
        return list(recent)

    def recent(self, conversation_id: str) -> list[Piece]:
        return list(self._recent.get(conversation_id, ()))

    def clear(self, conversation_id: str) -> None:
        self._recent.pop(conversation_id, None)


def within_window(pieces: list[Piece], now: float | None = None) -> list[Piece]:
    now = time.time() if now is None else now
    return [p for p in pieces if now - p.at <= SPLIT_WINDOW_SECONDS]
