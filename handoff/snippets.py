"""The piece of a text around the words a search found, and where they are in it."""

from __future__ import annotations

BEFORE = 40
AFTER = 100
ELLIPSIS = "…"


def snippet(text: str, terms: tuple[str, ...]) -> tuple[str, list[tuple[int, int]]]:
    """About BEFORE + AFTER characters around the first term found, with "…" where
    cut, and each term's [start, end) ranges within that piece."""
    folded = text.lower()  # same length as text for the scripts users write in
    if len(folded) != len(text):
        folded = text
    found = [i for i in (folded.find(t) for t in terms) if i >= 0]
    first = min(found, default=0)
    start = max(0, first - BEFORE)
    end = min(len(text), first + AFTER)
    piece = text[start:end]
    head = ELLIPSIS if start > 0 else ""
    tail = ELLIPSIS if end < len(text) else ""
    marks: list[tuple[int, int]] = []
    window = folded[start:end]
    for term in terms:
        at = window.find(term)
        while at >= 0:
            marks.append((at + len(head), at + len(head) + len(term)))
            at = window.find(term, at + len(term))
    return head + piece + tail, sorted(_merge(sorted(marks)))


def _merge(marks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in marks:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
