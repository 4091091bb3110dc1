"""Turn fused scores into "how likely is this article the right answer".

A logistic model over (fused score, lead over the runner-up), fitted at build
time on leave-one-out example questions (positives where the top article was
right) and on off-topic questions (negatives). Its output is what the
confidence threshold compares against, so "no good answer" is a real outcome.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from faq_kb.scoring import Ranked, margins


@dataclass(frozen=True)
class Calibration:
    weight_score: float
    weight_margin: float
    bias: float

    def probability(self, score: float, margin: float) -> float:
        z = self.weight_score * score + self.weight_margin * margin + self.bias
        return 1.0 / (1.0 + math.exp(-z))


def load_negatives(path: Path) -> list[str]:
    """Questions the KB must not answer (``lang<TAB>question`` with a header)."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["question"] for row in csv.DictReader(handle, delimiter="\t")]


def _features(ranked: Ranked) -> list[float]:
    return [ranked[0][1], margins(ranked)[0]] if ranked else [0.0, 0.0]


def fit_calibration(
    positives: Sequence[Ranked], correct: Sequence[bool], negatives: Sequence[Ranked]
) -> Calibration:
    features = [_features(r) for r in positives] + [_features(r) for r in negatives]
    labels = [int(c) for c in correct] + [0] * len(negatives)
    if len(set(labels)) < 2:
        raise ValueError("calibration needs both right and wrong answers; add off-topic questions")
    # Off-topic questions are few; weight them so they count as much as the positives.
    weights = np.ones(len(labels))
    if negatives:
        weights[len(positives) :] = max(1.0, len(positives) / len(negatives) / 2)
    model = LogisticRegression(C=10.0).fit(np.array(features), labels, sample_weight=weights)
    return Calibration(
        weight_score=float(model.coef_[0][0]),
        weight_margin=float(model.coef_[0][1]),
        bias=float(model.intercept_[0]),
    )
