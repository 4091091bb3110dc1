"""Lexical ranking that works for Chinese as well as English and Spanish.

all-MiniLM-L6-v2 is close to random on Chinese question matching, so this side
has to carry Chinese queries: character 1–3-grams (robust to segmentation and
typos) plus word tokens (jieba for Chinese), each TF-IDF weighted.

Latin-script words are cut to their first :data:`STEM_LETTERS` letters, a prefix
stem: no Spanish stemmer is installed, and the weak dense side leaves Spanish to
this ranker, where "comisión" and "comisiones", "enviar" and "envié" must meet.
Chosen by leave-one-out hit@1 on the articles' example questions (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence

import jieba
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from common.language import HAN, HAN_CHAR

jieba.setLogLevel(logging.WARNING)

_LATIN_WORD = re.compile(r"[a-z0-9]+")
STEM_LETTERS = 5


def normalise(text: str) -> str:
    """NFKC (full-width to half-width), lower-case, accents dropped: users skip them."""
    text = unicodedata.normalize("NFKC", text).lower()
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def tokenise(text: str) -> list[str]:
    """Word tokens: jieba's search-mode segmentation for Han runs, prefix-stemmed words
    otherwise (numbers whole: "100" and "1000" are different amounts)."""
    text = normalise(text)
    tokens: list[str] = []
    for piece in re.split(f"([{HAN}]+)", text):
        if not piece:
            continue
        if HAN_CHAR.match(piece):
            tokens.extend(t for t in jieba.lcut_for_search(piece) if t.strip())
        else:
            tokens.extend(
                word if word.isdigit() else word[:STEM_LETTERS]
                for word in _LATIN_WORD.findall(piece)
            )
    return tokens


class LexicalRanker:
    """Cosine similarity of queries to documents over char n-gram and word TF-IDF."""

    def __init__(self) -> None:
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), preprocessor=normalise, sublinear_tf=True
        )
        self._words = TfidfVectorizer(
            analyzer=tokenise,
            sublinear_tf=True,
            token_pattern=None,
        )
        self._docs: csr_matrix | None = None

    def fit(self, documents: Sequence[str]) -> LexicalRanker:
        self.__dict__.pop("_columns_cache", None)
        chars = self._chars.fit_transform(documents)
        words = self._words.fit_transform(documents)
        self._docs = self._combine(chars, words)
        return self

    def _combine(self, chars: csr_matrix, words: csr_matrix) -> csr_matrix:
        from scipy.sparse import hstack

        # Equal weight to both views, then unit length so a dot product is a cosine.
        return normalize(hstack([chars, words]).tocsr())

    def transform(self, queries: Sequence[str]) -> csr_matrix:
        return self._combine(self._chars.transform(queries), self._words.transform(queries))

    def similarities(self, queries: Sequence[str]) -> np.ndarray:
        """Array of shape (queries, documents)."""
        return np.asarray((self.transform(queries) @ self._columns()).toarray(), dtype=np.float32)

    def _columns(self) -> csr_matrix:
        """The documents transposed, made once: scipy converts a transposed (CSC) matrix
        back to CSR on every product, 3 ms of a 9 ms search over 2,800 entries."""
        if self._docs is None:
            raise RuntimeError("LexicalRanker.fit() has not been called")
        columns: csr_matrix | None = self.__dict__.get("_columns_cache")
        if columns is None or columns.shape[1] != self._docs.shape[0]:
            columns = self._docs.T.tocsr()
            self.__dict__["_columns_cache"] = columns
        return columns

    def __getstate__(self) -> dict[str, object]:
        # The index on disk (lexical.joblib) keeps only what fit() made.
        return {k: v for k, v in self.__dict__.items() if k != "_columns_cache"}

    def document_similarities(self) -> np.ndarray:
        """Document-to-document similarities, for leave-one-out calibration."""
        if self._docs is None:
            raise RuntimeError("LexicalRanker.fit() has not been called")
        return np.asarray((self._docs @ self._docs.T).todense(), dtype=np.float32)
