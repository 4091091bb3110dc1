"""The console's knowledge base in tests: a fast stand-in embedder, and waiting for a
publish to finish."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from handoff.knowledge import Knowledge
from tests.support.waiting import wait_until

DIMENSION = 64


class HashingEmbedder:
    """Character trigrams hashed into 64 dimensions: similar texts are near, no model.

    *gate*, when given, holds every encode until it is set (a build "in progress");
    *fail* makes every encode raise (a build that fails)."""

    name = "hashing"
    dimension = DIMENSION

    def __init__(self, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.gate = gate
        self.fail = fail

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.gate is not None:
            self.gate.wait(60)
        if self.fail:
            raise RuntimeError("the embedding model broke")
        out = np.zeros((len(texts), DIMENSION), np.float32)
        for row, text in enumerate(texts):
            padded = f"  {text.casefold()}  "
            for i in range(len(padded) - 2):
                digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=2).digest()
                out[row, int.from_bytes(digest, "big") % DIMENSION] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.maximum(norms, 1e-6), dtype=np.float32)


def use_embedder(knowledge: Knowledge, embedder: Any, index_dir: Path) -> None:
    """Build with *embedder*, into *index_dir* (never the checkout's var/)."""
    settings = knowledge.settings.copy(update={"index_dir": index_dir})
    knowledge.settings = knowledge.publisher.settings = settings
    knowledge.publisher.use(embedder)


def wait_published(client: Any, headers: dict[str, str], revision: int) -> dict[str, Any]:
    """The revision once its build finished (live or failed)."""

    def done() -> dict[str, Any] | None:
        found = client.get(f"/api/agent/kb/revisions/{revision}", headers=headers).json()
        return found if found["status"] != "building" else None

    return wait_until(done, 120, f"revision {revision} never finished building", interval=0.1)
