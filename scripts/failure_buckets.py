"""Why each question the whole bot got wrong was lost: one cause per question.

Reads a report written by ``python -m bot.evaluate`` (its confusions: what the user
saw), then looks at each of those questions again in-process: the NLU's intent, the
knowledge base's ranking, the language detected, the scam detector. Each non-right
reply goes into the first bucket that explains it:

- ``guard``: the scam warning is wrong (shown on an ordinary question, or missing on
  a report);
- ``kb had it, decision ...``: the knowledge base ranked the right article first, but
  the decision asked back (``clarify``), gave up (``miss``), called it off-topic
  (``out_of_scope``), or let a flow intent win (``intent over kb``);
- ``outside the decision``: the decision, run here, was right, but the reply was not
  (a rule that never reaches ``action_respond``, such as greet or thanks);
- ``language``: the knowledge base was wrong and the language was misdetected;
- ``kb wrong (right in top 3)`` / ``kb wrong``: the knowledge base ranked another
  article first.

    .venv/bin/python scripts/failure_buckets.py var/eval/dev2.json [--set bot/eval/dev2.tsv]

Only for reading failures of dev splits: the test split is never looked at this way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.decision import FLOWS, TOPIC_FLOWS, decide
from bot.evaluation.replies import ARTICLE_FLOWS, load_cases, verdict
from common.language import detect_language
from scripts.tune_decision import observe, seen

# The articles that mean the knowledge base agrees with an expected flow.
_FLOW_ARTICLES: dict[str, set[str]] = {}
for _article, _flow in {**ARTICLE_FLOWS, **TOPIC_FLOWS}.items():
    _FLOW_ARTICLES.setdefault(_flow, set()).add(_article)
for _flow_spec in FLOWS.values():
    _FLOW_ARTICLES.setdefault(_flow_spec.name, set()).update(_flow_spec.articles)


def wanted(expect: str) -> set[str]:
    expect = expect.removeprefix("scam:")
    if expect.startswith("flow:"):
        return _FLOW_ARTICLES.get(expect.removeprefix("flow:"), set())
    return set(expect.split("|"))


def bucket(
    language: str, expect: str, question: str, got_kind: str, warned_e2e: bool, observed: tuple
) -> str:
    intent, confidence, hits, off = observed
    if expect.startswith("scam:") and not warned_e2e:
        return "guard: no warning"
    if warned_e2e and not expect.startswith("scam:"):
        return "guard: false warning"
    decision = decide(intent, confidence, hits, off_topic=off)
    good = wanted(expect)
    if hits and hits[0].article in good:
        if verdict(expect, seen(decision, warned_e2e)) == "right":
            return f"outside the decision (got {got_kind}, intent {intent})"
        if decision.kind == "flow" and decision.rule == "intent":
            return "kb had it, decision: intent over kb"
        if decision.kind == "clarify" and decision.rule.startswith("intent"):
            return "kb had it, decision: clarify (intent and kb differ)"
        return f"kb had it, decision: {decision.kind}"
    detected = detect_language(question)
    if detected != language:
        return f"language ({language} read as {detected}), kb wrong"
    if any(h.article in good for h in hits[1:]):
        return "kb wrong (right in top 3)"
    return "kb wrong"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("report", type=Path)
    parser.add_argument("--name", default="labelled", help="the report's set")
    parser.add_argument("--set", type=Path, help="the labelled file, to count the KB's top 1")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    report = json.loads(args.report.read_text())[args.name]
    confusions = report["confusions"]
    cases = [(c["language"], c["expect"], c["question"]) for c in confusions]
    observed = asyncio.run(observe(cases))
    counts: Counter[str] = Counter()
    per_language: Counter[tuple[str, str]] = Counter()
    for item, obs in zip(confusions, observed, strict=True):
        got = item["got"]
        name = bucket(
            item["language"],
            item["expect"],
            item["question"],
            got["kind"],
            got["scam_warning"],
            obs,
        )
        counts[name] += 1
        per_language[(name, item["language"])] += 1
        if args.verbose:
            intent, confidence, hits, off = obs
            ranked = " ".join(f"{h.article}:{h.score:.2f}" for h in hits)
            print(
                f"[{item['language']}] {name} | {item['verdict']} expect {item['expect']} | "
                f"{intent}:{confidence:.2f} oos:{off:.2f} | {ranked} | {item['question']}"
            )
    total = report["table"]["all"]["questions"]
    print(f"\n{len(confusions)} of {total} questions not right\n")
    print("| cause | zh | en | es | all |\n|---|---|---|---|---|")
    for name, count in counts.most_common():
        cells = " | ".join(str(per_language[(name, lang)]) for lang in ("zh", "en", "es"))
        print(f"| {name} | {cells} | {count} |")
    if args.set:
        cases = load_cases(args.set)
        kb = asyncio.run(observe(cases))
        first = sum(
            bool(o[2]) and o[2][0].article in wanted(c[1]) for c, o in zip(cases, kb, strict=True)
        )
        print(f"\nknowledge base ranks the expected article first: {first} of {len(cases)}")


if __name__ == "__main__":
    main()
