"""The sentence-transformers model run by onnxruntime instead of torch.

``python -m faq_kb.onnx_export`` (``make setup``) writes the model's transformer as
ONNX under ``var/onnx/``; this module runs it and does what sentence-transformers
does around it (the model's tokenizer, mean pooling over the real tokens, unit
length), without importing torch. The export records what it was made from, so an
export of another model, or of a reinstalled one, is not used (see :func:`ready`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.settings import ROOT

EXPORTS = ROOT / "var" / "onnx"
MODEL_FILE = "model.onnx"
SOURCE_FILE = "source.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_BATCH = 64


def export_dir(model_path: str) -> Path:
    """One directory per model path: a custom KB_MODEL_PATH gets its own export."""
    return EXPORTS / hashlib.sha256(model_path.encode()).hexdigest()[:12]


def source_stamp(model_path: str) -> dict[str, object]:
    """The model directory's files by name, size and mtime: what the export came from.

    Cheap enough for every process start (no 90 MB hash); a reinstall of the model
    changes the mtimes, and the export is then made again by ``make setup``.
    """
    directory = Path(model_path)
    files = {
        p.name: [p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted(directory.iterdir())
        if p.is_file()
    }
    return {"model_path": model_path, "files": files}


def ready(model_path: str) -> bool:
    """Whether an up-to-date export of *model_path* exists and onnxruntime is installed."""
    directory = export_dir(model_path)
    try:
        recorded = json.loads((directory / SOURCE_FILE).read_text())
    except (OSError, ValueError):
        return False
    return (
        (directory / MODEL_FILE).is_file()
        and recorded == source_stamp(model_path)
        and importlib.util.find_spec("onnxruntime") is not None
    )


def max_tokens(model_path: str) -> int:
    """sentence-transformers' own limit (256 word pieces for MiniLM), not the tokenizer's."""
    config = json.loads((Path(model_path) / "sentence_bert_config.json").read_text())
    return int(config["max_seq_length"])


class OnnxEmbedder:
    """Unit-length float32 vectors from *onnx_file*, the export of *model_path*."""

    def __init__(self, model_path: str, onnx_file: Path, name: str, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name = name
        self._tokenizer = Tokenizer.from_file(str(Path(model_path) / "tokenizer.json"))
        # The file pads every text to 128 and truncates there; sentence-transformers
        # pads to the longest text of the batch and truncates at max_seq_length.
        self._tokenizer.enable_truncation(max_tokens(model_path))
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        self._session = onnxruntime.InferenceSession(
            str(onnx_file),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = [text.strip() for text in texts]  # as sentence-transformers does
        # Longest first, as sentence-transformers batches: less padding per batch.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            vectors[chunk] = self._encode_batch([texts[i] for i in chunk])
        return vectors

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], np.int64),
        }
        hidden = self._session.run(None, feeds)[0]
        return pool(hidden, feeds["attention_mask"])


def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the real tokens, then unit length (sentence-transformers' Pooling and
    Normalize modules, with their epsilons)."""
    weights = mask[:, :, np.newaxis].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    means = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return np.ascontiguousarray(means / np.clip(norms, 1e-12, None), dtype=np.float32)
