"""The build's many-queries-at-once ranking (``best_two``) gives exactly the numbers of
:func:`fuse`, the one-query ranking searches use: the calibration fitted on them must
not change with the speed-up."""

from __future__ import annotations

import random

import numpy as np

from faq_kb.scoring import best_two, fuse

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
