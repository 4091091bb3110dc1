"""Sentence embeddings from a local sentence-transformers model (no downloads)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a directory on disk.

    Torch gets an explicit thread count: on a 2-core host with TensorFlow in the
    same process, torch's default of one thread per core made p95 ten times worse.
    """

    def __init__(self, model_path: str, threads: int = 1) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.name = model_path
        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        get_dimension = getattr(self._model, "get_embedding_dimension", None)
        dimension = (get_dimension or self._model.get_sentence_embedding_dimension)()
        if dimension is None:
            raise ValueError(f"{model_path}: model does not report an embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_shared: dict[tuple[str, int], SentenceTransformerEmbedder] = {}


def shared_embedder(model_path: str, threads: int = 1) -> SentenceTransformerEmbedder:
    """One model per process: Rasa's NLU featurizer and the knowledge base it searches
    with the NLU's sentence vector load it once (90 MB and a second or two each)."""
    key = (model_path, threads)
    if key not in _shared:
        _shared[key] = SentenceTransformerEmbedder(model_path, threads=threads)
    return _shared[key]
