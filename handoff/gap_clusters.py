"""Grouping gap messages by meaning: sentence embeddings plus character n-grams.

The knowledge base's encoder (all-MiniLM-L6-v2) carries English and Spanish but is
close to random on Chinese, where character n-gram TF-IDF carries the meaning (as in
faq_kb.lexical). Each message becomes one unit vector: its embedding and its reduced
n-gram vector side by side, weighted by how much the encoder can be trusted for its
script, so the cosine of two messages is a weighted sum of the two similarities.

scikit-learn makes the n-gram vectors (TF-IDF, reduced by truncated SVD beyond 192
dimensions) and SciPy groups: average-linkage hierarchical clustering over the
cosine distance of every pair, cut at a distance. The pairs are computed a block of
rows at a time into SciPy's condensed form: 10,000 messages take 400 MB there (about
twice that while linking), so :data:`MAX_TEXTS` bounds what one grouping takes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from common.language import HAN_CHAR
from faq_kb.lexical import normalise

# The embedding's share of the similarity, by script (the rest is the n-grams').
EMBEDDING_WEIGHT = 0.6
EMBEDDING_WEIGHT_HAN = 0.15
# Two groups merge while their average cosine distance is below this (texts with
# Chinese characters: DISTANCE_HAN). Chosen on tests/support/gaps_seed.py, where
# same-topic Chinese pairs share a cosine of 0.34 on average and others 0.04.
DISTANCE = 0.5
DISTANCE_HAN = 0.75
MAX_TEXTS = 12_000  # grouped at once at most (the newest, by the caller)
BLOCK = 256  # rows of the distance matrix computed at once
NGRAM_DIMENSIONS = 192  # n-gram vectors are reduced to this (LSA) beyond it
SEED = 0


def features(texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
    """One unit row per text: the weighted embedding beside the weighted n-gram vector."""
    dense = np.asarray(embeddings, dtype=np.float32)
    ngrams = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), preprocessor=normalise, sublinear_tf=True
    ).fit_transform(texts)
    if ngrams.shape[1] > NGRAM_DIMENSIONS and len(texts) > NGRAM_DIMENSIONS:
        reduced = TruncatedSVD(NGRAM_DIMENSIONS, random_state=SEED).fit_transform(ngrams)
    else:  # few texts: the n-grams exactly
        reduced = ngrams.toarray()
    reduced = normalize(np.asarray(reduced, dtype=np.float32))
    han = np.array([bool(HAN_CHAR.search(t)) for t in texts])
    weight = np.where(han, EMBEDDING_WEIGHT_HAN, EMBEDDING_WEIGHT).astype(np.float32)[:, None]
    both = np.hstack([np.sqrt(weight) * dense, np.sqrt(1 - weight) * reduced])
    return np.asarray(normalize(both), dtype=np.float32)


def cluster(texts: Sequence[str], embeddings: np.ndarray) -> list[int]:
    """A group label per text (0, 1, …: the first text's group is 0, and so on);
    *embeddings*: the texts' unit vectors from the encoder, row for row.

    Texts with Chinese characters and the others are grouped apart, each with its own
    cut: n-gram similarities of short Chinese questions run lower (two ways of asking
    the same share a few characters), and the two scripts never share a meaning the
    encoder could see anyway."""
    count = len(texts)
    if count < 2:
        return [0] * count
    points = features(texts, embeddings)
    han = np.array([bool(HAN_CHAR.search(t)) for t in texts])
    labels = np.zeros(count, dtype=int)
    offset = 0
    for script, distance in ((han, DISTANCE_HAN), (~han, DISTANCE)):
        members = np.flatnonzero(script)
        if len(members):
            found = _agglomerate(points[members], distance)
            labels[members] = found + offset
            offset += int(found.max()) + 1
    return _first_seen(labels)


def _agglomerate(points: np.ndarray, distance: float) -> np.ndarray:
    """Average linkage over the exact distances of every pair, cut at *distance*."""
    if len(points) < 2:
        return np.zeros(len(points), dtype=int)
    tree = linkage(_distances(points), method="average")
    return np.asarray(fcluster(tree, t=distance, criterion="distance"), dtype=int) - 1


def _distances(points: np.ndarray) -> np.ndarray:
    """1 - cosine of every pair in scipy's condensed order, a block of rows at a time
    (one matrix product each), never the whole square."""
    count = len(points)
    out = np.empty(count * (count - 1) // 2, dtype=np.float64)
    at = 0
    for first in range(0, count, BLOCK):
        block = points[first : first + BLOCK] @ points[first:].T
        for k in range(block.shape[0]):
            row = block[k, k + 1 :]
            out[at : at + len(row)] = 1.0 - row
            at += len(row)
    return np.clip(out, 0.0, 2.0, out=out)


def _first_seen(labels: np.ndarray) -> list[int]:
    """Labels renumbered in order of first appearance (stable for equal input)."""
    order: dict[int, int] = {}
    return [order.setdefault(int(label), len(order)) for label in labels]
