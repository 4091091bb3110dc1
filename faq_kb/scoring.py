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


class Groups:
    """Which entries belong to which article, as index arrays: an article's score is then
    a few numpy operations, not one Python step per entry (3.5 ms of a 10 ms search over
    2,800 entries)."""

    def __init__(self, owners: Sequence[str]) -> None:
        self.order = list(dict.fromkeys(owners))
        members: dict[str, list[int]] = {a: [] for a in self.order}
        for index, owner in enumerate(owners):
            members[owner].append(index)
        width = max((len(m) for m in members.values()), default=0)
        self.gather = np.zeros((len(self.order), width), dtype=np.intp)
        self.present = np.zeros((len(self.order), width), dtype=bool)
        for a, article in enumerate(self.order):
            self.gather[a, : len(members[article])] = members[article]
            self.present[a, : len(members[article])] = True
        self.counts = np.minimum(self.present.sum(axis=1), TOP_K)
        self.kept = np.arange(min(width, TOP_K)) < self.counts[:, None]

    def scores(self, fused: np.ndarray) -> np.ndarray:
        """Rows of per-entry scores (queries x entries) -> queries x articles: the mean of
        each article's best TOP_K entries."""
        grouped = np.where(self.present, fused[:, self.gather], -np.inf)
        best = -np.sort(-grouped, axis=2)[:, :, :TOP_K].astype(np.float64)
        return np.asarray(np.where(self.kept, best, 0.0).sum(axis=2) / self.counts)


def fuse(
    query: str, dense: np.ndarray, lexical: np.ndarray, owners: Sequence[str] | Groups
) -> Ranked:
    """Best-first ``(article_id, fused score)``: the mean of each article's best entries."""
    weight = dense_weight(query)
    # As best_two: the Python float weight is taken in the scores' own precision.
    fused = dense.dtype.type(weight) * dense + lexical.dtype.type(1.0 - weight) * lexical
    return per_article(fused, owners)


def per_article(scores: np.ndarray, owners: Sequence[str] | Groups) -> Ranked:
    """Best-first ``(article_id, score)``: the mean of each article's best TOP_K entries;
    ties go to the article seen first."""
    groups = owners if isinstance(owners, Groups) else Groups(owners)
    if not groups.order:
        return []
    row = groups.scores(np.asarray(scores)[None, :])[0]
    return [(groups.order[i], float(row[i])) for i in np.argsort(-row, kind="stable")]


def best_two(
    queries: Sequence[str],
    dense: np.ndarray,
    lexical: np.ndarray,
    owners: Sequence[str],
    rows: int = 256,
) -> list[Ranked]:
    """:func:`fuse` for many queries at once (row *i* of *dense* and *lexical* is query
    *i*'s), keeping each query's best two articles: all that calibration looks at."""
    groups = Groups(owners)
    if not groups.order:
        return [[] for _ in queries]
    order = groups.order
    weights = np.array([dense_weight(q) for q in queries], dtype=np.float64)[:, None]
    ranked: list[Ranked] = []
    for start in range(0, len(queries), rows):
        weight = weights[start : start + rows]
        fused = (
            weight.astype(dense.dtype) * dense[start : start + rows]
            + (1.0 - weight).astype(lexical.dtype) * lexical[start : start + rows]
        )
        scores = groups.scores(fused)
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
