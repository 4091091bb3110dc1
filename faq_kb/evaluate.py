"""Retrieval quality on labelled questions: hit@1, hit@3 and MRR per language."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from faq_kb.search import KnowledgeBase

NO_ANSWER = "none"


@dataclass
class Scores:
    questions: int = 0
    hit1: int = 0
    hit3: int = 0
    reciprocal_rank: float = 0.0
    answered: int = 0  # confident answers (above the threshold)
    answered_right: int = 0
    off_topic: int = 0  # questions labelled "none"
    off_topic_answered: int = 0
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, float | int]:
        n = max(self.questions, 1)
        return {
            "questions": self.questions,
            "hit@1": round(self.hit1 / n, 3),
            "hit@3": round(self.hit3 / n, 3),
            "mrr": round(self.reciprocal_rank / n, 3),
            "answered": round(self.answered / n, 3),
            "answered_precision": round(self.answered_right / max(self.answered, 1), 3),
            "off_topic": self.off_topic,
            "off_topic_answered": round(self.off_topic_answered / max(self.off_topic, 1), 3),
        }


def read_labelled(path: Path) -> list[tuple[str, set[str], str]]:
    """``(language, acceptable ids, question)`` rows; a file without ``lang`` is English."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            (row.get("lang") or "en", set(row["expect"].split("|")), row["question"])
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def evaluate(kb: KnowledgeBase, rows: list[tuple[str, set[str], str]]) -> dict[str, Scores]:
    results: dict[str, Scores] = defaultdict(Scores)
    for language, expected, question in rows:
        scores = results[language]
        hits = kb.search(question, k=10)
        confident = bool(hits) and hits[0].score >= kb.min_confidence
        if expected == {NO_ANSWER}:
            scores.off_topic += 1
            scores.off_topic_answered += confident
            continue
        ids = [h.article_id for h in hits]
        rank = next((i + 1 for i, article in enumerate(ids) if article in expected), None)
        scores.questions += 1
        scores.hit1 += rank == 1
        scores.hit3 += rank is not None and rank <= 3
        scores.reciprocal_rank += 1.0 / rank if rank else 0.0
        scores.answered += confident
        scores.answered_right += confident and rank == 1
        if rank != 1:
            scores.misses.append(f"{question!r}: expected {sorted(expected)}, got {ids[:3]}")
    return dict(results)
