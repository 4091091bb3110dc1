"""Issue 18: gap messages grouped by meaning with the knowledge base's real encoder
(all-MiniLM-L6-v2, one torch thread) and character n-grams: on the seeded misses in
zh, en and es, every way of asking one thing in one language lands in one group, no
group mixes two topics, and the strays stay alone."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from common.settings import kb_settings
from faq_kb.embedder import SentenceTransformerEmbedder
from handoff import gap_clusters
from tests.support.gaps_seed import messages
from tests.support.kb_console import HashingEmbedder


@pytest.fixture(scope="module")
def encoder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(kb_settings().resolved_model_path(), threads=1)


def test_the_seeded_misses_group_by_topic_in_each_language(
    encoder: SentenceTransformerEmbedder,
) -> None:
    rows = messages()
    texts = [text for _, _, text in rows]
    labels = gap_clusters.cluster(texts, encoder.encode(texts))
    groups: dict[int, set[tuple[str, str]]] = defaultdict(set)
    members: dict[int, int] = defaultdict(int)
    for (topic, language, _text), label in zip(rows, labels, strict=True):
        groups[label].add((topic, language))
        members[label] += 1
    # One topic per group (a stray is a topic of its own, ""), and one group per topic
    # and language: 3 topics x 3 languages, plus the 2 strays alone.
    assert all(len({topic for topic, _ in g}) == 1 for g in groups.values()), groups
    where = defaultdict(set)
    for label, g in groups.items():
        for key in g:
            where[key].add(label)
    assert all(len(labels_of) == 1 for labels_of in where.values()), where
    strays = [label for label, g in groups.items() if {t for t, _ in g} == {""}]
    assert sorted(members[label] for label in strays) == [1, 1]
    assert len(groups) == 11


def test_labels_follow_first_appearance_and_small_inputs() -> None:
    embedder = HashingEmbedder()
    assert gap_clusters.cluster([], embedder.encode([])) == []
    assert gap_clusters.cluster(["only one"], embedder.encode(["only one"])) == [0]
    texts = ["dark mode", "质押DOT", "dark mode?", "质押 DOT"]
    assert gap_clusters.cluster(texts, embedder.encode(texts)) == [0, 1, 0, 1]


def test_distances_are_every_pair_in_scipy_order() -> None:
    rng = np.random.default_rng(18)
    points = rng.normal(size=(600, 8)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    from scipy.spatial.distance import pdist

    expected = pdist(points.astype(np.float64), "cosine")
    assert np.allclose(gap_clusters._distances(points), expected, atol=1e-5)
