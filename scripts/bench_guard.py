"""Guard benchmarks (docs/benchmarks.md): recall and false positives on the labelled set
(tests/guard_cases.py), phrases sent in pieces (held back from the bot, recognised) and
false hold-backs on ordinary questions, and the guard's cost on long messages. Prints
Markdown.

    .venv/bin/python scripts/bench_guard.py
"""

from __future__ import annotations

import csv
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mnemonic import Mnemonic

from guard import Guard
from tests.guard_cases import cases, split_cases

DOMAINS = ("acmewallet.example", "etherscan.io", "tronscan.org")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def accuracy() -> list[str]:
    guard = Guard(DOMAINS)
    totals: Counter[str] = Counter()
    flagged: Counter[str] = Counter()
    labels: dict[str, bool] = {}
    for i, case in enumerate(cases()):
        verdict = guard.inspect(f"c{i}", case.text, hash_expected=case.hash_expected)
        totals[case.category] += 1
        flagged[case.category] += bool(verdict.secrets) or "[redacted" in verdict.text
        labels[case.category] = case.secret
    lines = ["| category | messages | must be caught | caught | result |", "|---|---|---|---|---|"]
    for category, total in totals.items():
        secret = labels[category]
        hit = flagged[category]
        result = f"recall {hit / total:.3f}" if secret else f"false positives {hit}/{total}"
        lines.append(f"| {category} | {total} | {'yes' if secret else 'no'} | {hit} | {result} |")
    secrets = sum(t for c, t in totals.items() if labels[c])
    caught = sum(flagged[c] for c in totals if labels[c])
    clean = sum(t for c, t in totals.items() if not labels[c])
    false = sum(flagged[c] for c in totals if not labels[c])
    lines += [
        "",
        f"Overall: recall **{caught}/{secrets}**, false positives **{false}/{clean}**, "
        f"on {sum(totals.values())} messages.",
    ]
    return lines


def pieces() -> list[str]:
    """Every piece of a phrase sent in pieces must be held back from the bot (and the
    phrase recognised); no ordinary question may be."""
    held = total = recognised = 0
    by_language: Counter[str] = Counter()
    for n, case in enumerate(split_cases()):
        guard = Guard(DOMAINS)
        found = False
        for k, text in enumerate(case.pieces):
            verdict = guard.count(f"s{n}", k, guard.inspect(f"s{n}", text))
            found |= bool(verdict.secrets)
            total += 1
            kept = verdict.piece or bool(verdict.secrets)
            held += kept
            by_language[case.language] += not kept
        recognised += found
    root = Path(__file__).resolve().parent.parent
    questions = [c.text for c in cases() if not c.secret]
    for path in sorted((root / "bot" / "eval").glob("*.tsv")):
        with path.open(encoding="utf-8") as rows:
            questions += [row["question"] for row in csv.DictReader(rows, delimiter="\t")]
    guard = Guard(DOMAINS)
    false = [q for q in questions if guard.inspect("q", q).piece]
    missed = ", ".join(f"{lang} {m}" for lang, m in by_language.items() if m) or "none"
    return [
        "| phrases sent in pieces | pieces | kept from the bot | phrases recognised |",
        "|---|---|---|---|",
        f"| {len(split_cases())} (4 lists, 12/24 words, 2/3/2-3 words a piece) | {total} "
        f"| {held} (missed: {missed}) | {recognised} |",
        "",
        f"False hold-backs on ordinary questions (bot/eval/*.tsv and the set's "
        f"non-secret cases): **{len(false)}/{len(questions)}**.",
    ]


def cost(runs: int = 200) -> list[str]:
    rng = random.Random(7)
    words = Mnemonic("english").wordlist
    filler_en = "My transfer of 120 USDT on TRON has not arrived, please check. "
    filler_zh = "我的转账一直没有到账，请帮我查一下是什么原因，谢谢。"
    texts = {
        "English support text, no secret": (filler_en * 200)[:10_000],
        "Chinese support text, no secret": (filler_zh * 400)[:10_000],
        "English text with a phrase inside": (
            filler_en * 80 + Mnemonic("english").generate(256) + " " + filler_en * 80
        )[:10_000],
        "list words only (worst case)": " ".join(rng.choice(words) for _ in range(1700))[:10_000],
    }
    guard = Guard(DOMAINS)
    guard.inspect("warm", "warm up")
    lines = ["| 10,000-character message | p50 ms | p99 ms |", "|---|---|---|"]
    for name, text in texts.items():
        times = []
        for i in range(runs):
            started = time.perf_counter()
            guard.inspect(f"cost{i}", text)
            times.append((time.perf_counter() - started) * 1000)
        lines.append(f"| {name} | {statistics.median(times):.1f} | {pct(times, 0.99):.1f} |")
    typical = {
        "(a typical 40-character message)": "my USDT has not arrived after two hours",
        "(a typical Chinese message, no punctuation)": "客服让我把币转到安全账户说我的钱包涉嫌洗钱这是真的吗",
    }
    for name, short in typical.items():
        times = []
        for i in range(2000):
            started = time.perf_counter()
            guard.inspect(f"short{i}", short)
            times.append((time.perf_counter() - started) * 1000)
        lines.append(f"| {name} | {statistics.median(times):.2f} | {pct(times, 0.99):.2f} |")
    return lines


def main() -> int:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    out = [f"Measured by `scripts/bench_guard.py` at {when}.", ""]
    out += [*accuracy(), "", *pieces(), "", *cost()]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
