"""MiniLM on onnxruntime: the knowledge base ranks as on torch, the embedder falls back to
torch without an up-to-date export, and the two backends' vectors never mix silently."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest

from common.settings import ROOT, kb_settings, service_settings
from faq_kb import onnx_embedder, onnx_export
from faq_kb.__main__ import NEGATIVES
from faq_kb.articles import load_articles
from faq_kb.embedder import (
    ONNX_SUFFIX,
    Embedder,
    SentenceTransformerEmbedder,
    load_embedder,
    model_identity,
)
from faq_kb.index import build_from_articles
from faq_kb.search import HybridKnowledgeBase
from handoff.kb_publish import Publisher
from tests.support.kb_console import HashingEmbedder

MODEL = kb_settings().resolved_model_path()
QUESTIONS = ROOT / "faq_kb" / "eval" / "questions.tsv"


@pytest.fixture(scope="session")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var/onnx of its own with a fresh export, as ``make setup`` makes it."""
    root = tmp_path_factory.mktemp("onnx")
    onnx_export.export(MODEL, root / onnx_embedder.export_dir(MODEL).name)
    return root


@pytest.fixture
def exported(exports: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(onnx_embedder, "EXPORTS", exports)
    return onnx_embedder.export_dir(MODEL)


@pytest.fixture(scope="session")
def torch_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(MODEL, threads=1)


def _questions() -> list[tuple[str, str]]:
    with QUESTIONS.open(encoding="utf-8") as handle:
        return [(row["lang"], row["question"]) for row in csv.DictReader(handle, delimiter="\t")]


def test_onnx_ranks_the_knowledge_base_as_torch_does_in_each_language(
    exported: Path, torch_embedder: SentenceTransformerEmbedder
) -> None:
    onnx = load_embedder(MODEL, threads=1)
    assert isinstance(onnx, onnx_embedder.OnnxEmbedder)
    articles = load_articles(kb_settings().articles_dir)
    service = service_settings()
    kbs = [
        HybridKnowledgeBase(
            build_from_articles(articles, side, NEGATIVES, side.name), side, service
        )
        for side in (torch_embedder, onnx)
    ]
    asked = _questions()
    assert {lang for lang, _ in asked} == {"zh", "en", "es"}
    for _, question in asked:
        on_torch, on_onnx = (kb.search(question, k=5) for kb in kbs)
        assert [h.article_id for h in on_onnx] == [h.article_id for h in on_torch], question
        for a, b in zip(on_onnx, on_torch, strict=True):
            assert abs(a.score - b.score) < 1e-4


def test_batches_long_texts_and_padding_embed_as_on_torch(
    exported: Path, torch_embedder: SentenceTransformerEmbedder
) -> None:
    onnx = load_embedder(MODEL, threads=1)
    # Past 256 word pieces (sentence-transformers' limit, not the tokenizer file's 128),
    # surrounding spaces, and texts of very different lengths in one padded batch.
    texts = [
        "  how do I back up my wallet  ",
        "我的转账为什么一直显示待处理？" * 40,
        "¿Cómo recupero mi cuenta? " * 60,
        "fees",
        "",
    ]
    got, expected = onnx.encode(texts), torch_embedder.encode(texts)
    assert got.dtype == np.float32 and got.shape == expected.shape
    assert float(np.abs(got - expected).max()) < 1e-5


def test_without_an_export_the_embedder_is_torch_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(onnx_embedder, "EXPORTS", tmp_path)  # nothing exported
    with caplog.at_level(logging.WARNING, logger="faq_kb.embedder"):
        embedder = load_embedder(MODEL, threads=1)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == model_identity(MODEL) == MODEL
    assert "runs on torch" in caplog.text and str(tmp_path) in caplog.text


def test_an_export_of_other_model_files_is_stale(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert model_identity(MODEL) == MODEL + ONNX_SUFFIX  # the index fingerprint changes
    stale = tmp_path / exported.name
    stale.mkdir()
    (stale / onnx_embedder.MODEL_FILE).symlink_to(exported / onnx_embedder.MODEL_FILE)
    stamp = json.loads((exported / onnx_embedder.SOURCE_FILE).read_text())
    stamp["files"]["model.safetensors"][1] += 1  # the model was reinstalled since
    (stale / onnx_embedder.SOURCE_FILE).write_text(json.dumps(stamp))
    monkeypatch.setattr(onnx_embedder, "EXPORTS", tmp_path)
    assert not onnx_embedder.ready(MODEL)
    assert model_identity(MODEL) == MODEL


class _Counting(HashingEmbedder):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.encoded: list[str] = []

    def encode(self, texts: Any) -> Any:
        self.encoded.extend(texts)
        return super().encode(texts)


@pytest.mark.parametrize("loaded_name", ["hashing", "hashing" + ONNX_SUFFIX])
def test_a_publish_reuses_the_built_index_vectors_only_from_the_same_backend(
    loaded_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = kb_settings().copy(update={"index_dir": tmp_path / "kb"})
    builder = HashingEmbedder()
    articles = load_articles(settings.articles_dir)
    index = build_from_articles(articles, builder, NEGATIVES, "fp")
    index.save(settings.index_dir, builder.name)
    loaded = _Counting(loaded_name)
    monkeypatch.setattr("faq_kb.embedder.load_embedder", lambda path, threads=1: loaded)
    publisher = Publisher(cast(Any, None), settings)  # the database is not used here
    embedder: Embedder = publisher.embedder()
    title = index.entries[0].text
    embedder.encode([title])
    # The index's vector for the title stands in only if the same backend made it.
    assert loaded.encoded == ([] if loaded_name == builder.name else [title])


def test_an_index_searched_with_another_backend_says_so(caplog: pytest.LogCaptureFixture) -> None:
    builder = HashingEmbedder()
    articles = load_articles(kb_settings().articles_dir)
    index = build_from_articles(articles, builder, NEGATIVES, "fp")
    with caplog.at_level(logging.WARNING, logger="faq_kb.search"):
        HybridKnowledgeBase(index, builder, service_settings())
        assert caplog.text == ""
        HybridKnowledgeBase(index, _Counting("hashing" + ONNX_SUFFIX), service_settings())
    assert "index built by hashing, searched with hashing [onnx]" in caplog.text
