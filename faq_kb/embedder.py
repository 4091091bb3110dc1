"""Sentence embeddings from a local sentence-transformers model (no downloads).

On onnxruntime when ``make setup`` has exported the model (faq_kb.onnx_embedder: half
torch's time per query on one thread, the same rankings, less memory; measured in
docs/benchmarks.md), else on torch. The two give vectors that differ by float noise,
so the embedder's name, which indexes record as their model, says which it is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from faq_kb import onnx_embedder

log = logging.getLogger(__name__)
ONNX_SUFFIX = " [onnx]"


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


def model_identity(model_path: str) -> str:
    """The model as an index's fingerprint and manifest name it: the path, marked when
    the vectors come from onnxruntime, so that ``faq_kb build`` rebuilds an index built
    by the other backend instead of searching it with vectors from this one."""
    return model_path + ONNX_SUFFIX if onnx_embedder.ready(model_path) else model_path


def load_embedder(model_path: str, threads: int = 1) -> Embedder:
    """The ONNX export of *model_path* if there is an up-to-date one, else torch."""
    if onnx_embedder.ready(model_path):
        onnx_file = onnx_embedder.export_dir(model_path) / onnx_embedder.MODEL_FILE
        return onnx_embedder.OnnxEmbedder(
            model_path, onnx_file, model_identity(model_path), threads
        )
    log.warning(
        "faq_kb: %s runs on torch (slower, more memory): no up-to-date ONNX export in %s;"
        " `make setup` makes it",
        model_path,
        onnx_embedder.export_dir(model_path),
    )
    return SentenceTransformerEmbedder(model_path, threads=threads)


_shared: dict[tuple[str, int], Embedder] = {}


def shared_embedder(model_path: str, threads: int = 1) -> Embedder:
    """One model per process: Rasa's NLU featurizer and the knowledge base it searches
    with the NLU's sentence vector load it once (90 MB and a second or two each)."""
    key = (model_path, threads)
    if key not in _shared:
        _shared[key] = load_embedder(model_path, threads)
    return _shared[key]
