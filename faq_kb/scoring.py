"""Fusion of dense and lexical similarities into one per-article score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from common.language import HAN_CHAR, detect_language

# Chosen by leave-one-out hit@1 on the articles' own example questions (never
# on the evaluation set; see docs/benchmarks.md). all-MiniLM-L6-v2 is an English
# model: close to random on Chinese, and weak on Spanish (leave-one-out hit@1 on the
# Spanish examples rises from 0.692 at 0.5 to 0.710 at 0.15), so Chinese and Spanish
# queries lean on the lexical ranker. An article scores the
# mean of its best TOP_K entries: one lucky near-duplicate from the wrong
# article then no longer outranks several good matches from the right one.
DENSE_WEIGHT_LATIN = 0.5
DENSE_WEIGHT_HAN = 0.15
DENSE_WEIGHT_SPANISH = 0.15
TOP_K = 5

Ranked = list[tuple[str, float]]


def dense_weight(query: str) -> float:
    if HAN_CHAR.search(query):
        return DENSE_WEIGHT_HAN
    return DENSE_WEIGHT_SPANISH if detect_language(query) == "es" else DENSE_WEIGHT_LATIN


def fuse(query: str, dense: np.ndarray, lexical: np.ndarray, owners: Sequence[str]) -> Ranked:
    """Best-first ``(article_id, fused score)``: the mean of each article's best entries."""
    weight = dense_weight(query)
    return per_article(weight * dense + (1.0 - weight) * lexical, owners)


def per_article(scores: np.ndarray, owners: Sequence[str]) -> Ranked:
    """Best-first ``(article_id, score)``: the mean of each article's best TOP_K entries."""
    grouped: dict[str, list[float]] = {}
    for owner, score in zip(owners, scores.tolist(), strict=True):
        grouped.setdefault(owner, []).append(score)
    scored = [
        (owner, float(np.mean(sorted(values, reverse=True)[:TOP_K])))
        for owner, values in grouped.items()
    ]
    return sorted(scored, key=lambda item: item[1], reverse=True)


def best_two(
    queries: Sequence[str],
    dense: np.ndarray,
    lexical: np.ndarray,
    owners: Sequence[str],
    rows: int = 256,
) -> list[Ranked]:
    """:func:`fuse` for many queries at once (row *i* of *dense* and *lexical* is query
    *i*'s), keeping each query's best two articles: all that calibration looks at.

    The same numbers as :func:`fuse`, in the same order of operations, but in numpy:
    one Python step per entry of every query made a build quadratic in Python (86 s of
    CPU for 12,000 entries, against 3 s). Ties go to the article seen first, as there.
    """
    order = list(dict.fromkeys(owners))
    if not order:
        return [[] for _ in queries]
    members: dict[str, list[int]] = {a: [] for a in order}
    for index, owner in enumerate(owners):
        members[owner].append(index)
    width = max((len(m) for m in members.values()), default=0)
    gather = np.zeros((len(order), width), dtype=np.intp)
    present = np.zeros((len(order), width), dtype=bool)
    for a, article in enumerate(order):
        gather[a, : len(members[article])] = members[article]
        present[a, : len(members[article])] = True
    counts = np.minimum(present.sum(axis=1), TOP_K)
    kept = np.arange(min(width, TOP_K)) < counts[:, None]
    weights = np.array([dense_weight(q) for q in queries], dtype=np.float64)[:, None]
    ranked: list[Ranked] = []
    for start in range(0, len(queries), rows):
        weight = weights[start : start + rows]
        # As fuse: the Python float weight is taken in the scores' own precision.
        fused = (
            weight.astype(dense.dtype) * dense[start : start + rows]
            + (1.0 - weight).astype(lexical.dtype) * lexical[start : start + rows]
        )
        grouped = np.where(present, fused[:, gather], -np.inf)
        best = -np.sort(-grouped, axis=2)[:, :, :TOP_K].astype(np.float64)
        scores = np.where(kept, best, 0.0).sum(axis=2) / counts
        first = scores.argmax(axis=1)
        for row, top in zip(scores, first.tolist(), strict=True):
            result = [(order[top], float(row[top]))]
            if len(order) > 1:
                rest = row.copy()
                rest[top] = -np.inf
                second = int(rest.argmax())
                result.append((order[second], float(row[second])))
            ranked.append(result)
    return ranked


def margins(ranked: Ranked) -> list[float]:
    """Each article's lead over the best *other* article (negative below the top)."""
    if not ranked:
        return []
    if len(ranked) == 1:
        return [ranked[0][1]]
    top, second = ranked[0][1], ranked[1][1]
    return [top - second] + [score - top for _, score in ranked[1:]]
