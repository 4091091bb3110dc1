"""``python -m bot.evaluate``: the whole bot, end to end, on labelled questions.

Each question is asked by a new web chat visitor through a running gateway (so the
guard, Rasa, the actions and the knowledge base all take part), and the replies the
user would see are scored: the right article or flow, a wrong article or flow, a
clarifying question, or a miss. Prints per-language tables and the confusions, and
writes a JSON report.

    make run   # in another terminal, or any gateway URL
    .venv/bin/python -m bot.evaluate [--url http://127.0.0.1:8000] [--set bot/eval/test.tsv]
        [--off-topic bot/eval/off_topic.tsv] [--banking77 ../shared/benchmarks/banking77_mapped.tsv]

The labelled sets are for measuring only: nothing is ever trained on them
(``tests/test_eval_sets.py`` keeps them apart from the training data).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bot.evaluation.replies import ReplyReader, load_cases
from bot.evaluation.run import VERDICTS, markdown, off_topic_summary, run, summary
from common.settings import ROOT, kb_settings, service_settings
from faq_kb.articles import load_articles

EVAL = ROOT / "bot" / "eval"


def banking77(path: Path) -> list[tuple[str, str, str]]:
    """The public BANKING77 questions mapped to our articles (English)."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        expect, _label, question = line.split("\t")
        rows.append(("en", expect, question))
    return rows


def evaluate(
    url: str, sets: dict[str, list[tuple[str, str, str]]], off_topic: Any, concurrency: int = 4
) -> dict:
    reader = ReplyReader(load_articles(kb_settings().articles_dir), service_settings())
    report: dict[str, Any] = {}
    for name, cases in sets.items():
        report[name] = summary(asyncio.run(run(url, cases, reader, concurrency)))
    if off_topic:
        rows = [(language, "", question) for language, question in off_topic]
        report["off_topic"] = off_topic_summary(asyncio.run(run(url, rows, reader, concurrency)))
    return report


def _off_topic(path: Path) -> list[tuple[str, str]]:
    return [
        (line.split("\t")[0], line.split("\t")[1])
        for line in path.read_text().splitlines()[1:]
        if line.strip()
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.evaluate", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="a running gateway")
    parser.add_argument("--set", type=Path, default=EVAL / "test.tsv")
    parser.add_argument("--off-topic", type=Path, default=EVAL / "off_topic.tsv")
    parser.add_argument("--banking77", type=Path, help="banking77_mapped.tsv (optional)")
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "eval" / "report.json")
    parser.add_argument("--concurrency", type=int, default=4, help="questions in flight")
    args = parser.parse_args(argv)
    sets = {"labelled": load_cases(args.set)}
    if args.banking77:
        sets["banking77"] = banking77(args.banking77)
    off_topic = _off_topic(args.off_topic) if args.off_topic and args.off_topic.exists() else []
    report = evaluate(args.url, sets, off_topic, args.concurrency)
    columns = ["questions", *VERDICTS, "right_share", "wrong_article_share", "clarify_share"]
    for name in sets:
        print(markdown(name, report[name]["table"], columns), end="\n\n")
        for item in report[name]["confusions"]:
            got = item["got"]
            shown = ",".join(got["flows"] or got["articles"]) or got["kind"]
            print(f"  [{item['language']}] {item['verdict']}: expected {item['expect']}, "
                  f"got {shown}: {item['question']}")  # fmt: skip
        print()
    if "off_topic" in report:
        table = report["off_topic"]["table"]
        columns = [
            "questions",
            "article",
            "flow",
            "clarify",
            "fallback",
            "outright_article_share",
        ]
        print(markdown("off-topic", table, columns))
        for item in report["off_topic"]["outright"]:
            print(f"  [{item['language']}] {','.join(item['articles'])}: {item['question']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"\nreport: {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
