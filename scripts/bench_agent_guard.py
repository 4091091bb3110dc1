"""Cost of the agent-message check (docs/security.md, "Agent messages"): the median
over runs of the time per message, on the labelled set and on long replies.

    PYTHONPATH=. .venv/bin/python scripts/bench_agent_guard.py
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guard import agent_violation  # noqa: E402  (after the path fix above)

DOMAINS = ("acmewallet.example", "etherscan.io", "tronscan.org")
RUNS = 21


def per_message_us(texts: list[str], repeat: int) -> tuple[float, float]:
    """Median and slowest run, in microseconds per message."""
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for _ in range(repeat):
            for text in texts:
                agent_violation(text, DOMAINS)
        runs.append((time.perf_counter() - started) / (repeat * len(texts)) * 1e6)
    return statistics.median(runs), max(runs)


def main() -> None:
    with (ROOT / "guard" / "eval" / "agent_messages.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    labelled = [r["text"] for r in rows]
    agent_violation("warm up", DOMAINS)
    long_en = ("Your transfer is confirmed, see https://acmewallet.example/help. " * 70)[:4000]
    long_zh = ("您的转账已经到账，请在App里刷新一下，官网是acmewallet.example。" * 120)[:4000]
    print(f"| messages | median µs/message ({RUNS} runs) | slowest run |")
    print("|---|---|---|")
    for name, texts, repeat in (
        (f"labelled set ({len(labelled)} agent replies)", labelled, 5),
        ("4,000-character English reply", [long_en], 3),
        ("4,000-character Chinese reply", [long_zh], 3),
    ):
        median, slowest = per_message_us(texts, repeat)
        print(f"| {name} | {median:.0f} | {slowest:.0f} |")


if __name__ == "__main__":
    main()
