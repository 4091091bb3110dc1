"""Export the knowledge base's model to ONNX, once: ``python -m faq_kb.onnx_export``.

Run by ``make setup`` (offline: the model is the one on disk). The export is checked
against torch on texts in each language before it is named ready, so a bad export
is never used: the embedder keeps torch then (faq_kb.embedder).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from pathlib import Path

import numpy as np

from common.settings import kb_settings
from faq_kb.onnx_embedder import (
    INPUTS,
    MODEL_FILE,
    SOURCE_FILE,
    OnnxEmbedder,
    export_dir,
    ready,
    source_stamp,
)

# Texts of different lengths in each language, batched together (padding included).
CHECK_TEXTS = (
    "How do I back up my wallet?",
    "我的转账为什么一直显示待处理？",
    "¿Cómo recupero mi cuenta si perdí la frase semilla?",
    "fees",
    "I sent USDT on the wrong network to my address and it has not arrived after two days",
)
# Float noise between the two runtimes is about 1e-6; a wrong graph is off by far more.
TOLERANCE = 1e-4


def export(model_path: str, target: Path) -> None:
    """Write the transformer of *model_path* as ONNX into *target* (replaced whole)."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
    transformer = model[0].auto_model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.transformer(**dict(zip(INPUTS, inputs, strict=True))).last_hidden_state

    example = model.preprocess(list(CHECK_TEXTS[:2]))
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden_state")}
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter: the dynamo one needs onnxscript, which is not pinned.
        # It warns of Python branches on shapes (padding the mask, causal or not) that
        # are fixed for this encoder, and of indexing that negative indices would break:
        # check() below tests what was exported, on batches of mixed lengths.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", "Exporting aten::index operator", UserWarning)
        torch.onnx.export(
            LastHiddenState().eval(),
            tuple(example[name] for name in INPUTS),
            str(tmp / MODEL_FILE),
            input_names=list(INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    difference = check(model_path, tmp / MODEL_FILE, model.encode(list(CHECK_TEXTS)))
    if difference > TOLERANCE:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"the ONNX export differs from torch by {difference:.2e}: not used")
    # The stamp last, then one rename: a reader sees a whole, checked export or none.
    (tmp / SOURCE_FILE).write_text(json.dumps(source_stamp(model_path), indent=2))
    shutil.rmtree(target, ignore_errors=True)
    tmp.replace(target)


def check(model_path: str, onnx_file: Path, expected: np.ndarray) -> float:
    """The largest difference between *onnx_file*'s vectors and *expected* (torch's)."""
    embedder = OnnxEmbedder(model_path, onnx_file, model_path, threads=1)
    return float(np.abs(embedder.encode(list(CHECK_TEXTS)) - expected).max())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faq_kb.onnx_export", description=__doc__)
    parser.add_argument("--force", action="store_true", help="export even if up to date")
    args = parser.parse_args(argv)
    model_path = kb_settings().resolved_model_path()
    target = export_dir(model_path)
    if ready(model_path) and not args.force:
        print(f"faq_kb.onnx_export: {target} is up to date")
        return 0
    export(model_path, target)
    print(f"faq_kb.onnx_export: exported {model_path} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
