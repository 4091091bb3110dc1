"""The build's many-queries-at-once ranking (``best_two``) gives exactly the numbers of
:func:`fuse`, the one-query ranking searches use: the calibration fitted on them must
not change with the speed-up."""

from __future__ import annotations

import pickle
import random

import numpy as np

from faq_kb.lexical import LexicalRanker
from faq_kb.scoring import Groups, best_two, fuse, per_article

QUERIES = ["how do I send USDT", "怎么转账", "¿cómo envío USDT?"]


def test_best_two_is_fuse_for_every_query() -> None:
    rng = np.random.default_rng(18)
    for trial in range(25):
        owners = [
            f"a{a}" for a in range(int(rng.integers(1, 30))) for _ in range(rng.integers(1, 12))
        ]
        random.Random(trial).shuffle(owners)  # an article's entries need not be together
        queries = [random.Random(i).choice(QUERIES) for i in range(len(owners) + 3)]
        dense = rng.random((len(queries), len(owners)), dtype=np.float32)
        lexical = rng.random((len(queries), len(owners)), dtype=np.float32)
        dense[:, :4], lexical[:, :4] = 0.5, 0.25  # ties, within and across articles
        np.fill_diagonal(dense, -1.0)  # leave-one-out, as a build scores its own entries
        many = best_two(queries, dense, lexical, owners, rows=7)
        for i, query in enumerate(queries):
            assert many[i] == fuse(query, dense[i], lexical[i], owners)[:2], (trial, i)


def test_no_articles_ranks_nothing() -> None:
    empty = np.zeros((1, 0), dtype=np.float32)
    assert best_two(["hello"], empty, empty, []) == [fuse("hello", empty[0], empty[0], [])]


def _reference(scores: np.ndarray, owners: list[str]) -> list[tuple[str, float]]:
    """The one-step-per-entry ranking the search used before :class:`Groups`."""
    grouped: dict[str, list[float]] = {}
    for owner, score in zip(owners, scores.tolist(), strict=True):
        grouped.setdefault(owner, []).append(score)
    scored = [(o, float(np.mean(sorted(v, reverse=True)[:5]))) for o, v in grouped.items()]
    return sorted(scored, key=lambda item: item[1], reverse=True)


def test_per_article_ranks_exactly_as_one_step_per_entry() -> None:
    rng = np.random.default_rng(7)
    for trial in range(25):
        owners = [
            f"a{a}" for a in range(int(rng.integers(1, 30))) for _ in range(rng.integers(1, 12))
        ]
        random.Random(trial).shuffle(owners)
        scores = rng.random(len(owners), dtype=np.float32)
        scores[:4] = 0.5  # ties
        groups = Groups(owners)
        assert per_article(scores, groups) == _reference(scores, owners), trial
        assert per_article(scores, owners) == _reference(scores, owners), trial


def test_the_lexical_rankers_cached_columns_follow_fit_and_stay_off_disk() -> None:
    ranker = LexicalRanker().fit(["how do I send USDT", "转账失败", "¿cómo envío USDT?"])
    first = ranker.similarities(["send usdt"])
    assert "_columns_cache" not in pickle.loads(pickle.dumps(ranker)).__dict__
    assert np.array_equal(pickle.loads(pickle.dumps(ranker)).similarities(["send usdt"]), first)
    ranker.fit(["wallet locked", "network fees", "export history"])
    fresh = LexicalRanker().fit(["wallet locked", "network fees", "export history"])
    assert np.array_equal(ranker.similarities(["fees"]), fresh.similarities(["fees"]))
