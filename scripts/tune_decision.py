"""Choose bot/decision.py's thresholds on the dev split, never on the test split.

Parses each dev question with the trained Rasa model and searches the knowledge base,
once; then runs ``bot.decision.decide`` (the function the bot runs) for every
combination of thresholds on a grid, scores it as ``python -m bot.evaluate`` would,
and prints the best combinations: most questions right with at most 2% wrong
answers, then fewest questions back.

    .venv/bin/python scripts/tune_decision.py [--dev bot/eval/dev2.tsv [bot/eval/dev3.tsv]] [--top 10]

Off-topic questions count too: the odd lines of bot/eval/off_topic.tsv are the dev
half (``none`` expected: no article, no flow); the even lines are kept for measuring.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from bot.decision import Candidate, Decision, Thresholds, decide
from bot.evaluation.replies import Seen, load_cases, verdict
from bot.train import model_path
from common.settings import ROOT, kb_settings, service_settings
from faq_kb.search import HybridKnowledgeBase
from gateway.assembly import trusted_domains
from guard import reports_scam

GRID = {
    "intent": [0.5, 0.6, 0.7],
    "override": [0.7, 0.8, 0.9],
    "disagree": [0.5, 0.6, 0.7, 1.01],
    "off_topic": [0.05, 0.1, 0.15, 0.2, 1.01],
    "answer": [0.4, 0.5, 0.6],
    "answer_question": [0.15, 0.2, 0.3, 0.4],
    "margin": [0.0, 0.03, 0.05, 0.1],
    "plausible": [0.1, 0.2],
}


def seen(decision: Decision, warned: bool) -> Seen:
    """What the user would see for *decision* (as bot.evaluation reads replies)."""
    out = Seen(scam_warning=warned)
    if decision.kind == "answer" and decision.article:
        out.articles.append(decision.article)
    elif decision.kind == "flow" and decision.flow == "account_locked":
        out.articles.append("account-locked")
    elif decision.kind == "flow" and decision.flow == "ticket_status":
        # A new conversation has no ticket: the bot says so and answers reply times.
        out.flows.append("ticket_status")
        out.articles.append("ticket-reply-time")
    elif decision.kind == "flow" and decision.flow:
        out.flows.append(decision.flow)
    elif decision.kind == "clarify":
        out.clarified = True
    return out


Observed = tuple[str, float, list[Candidate], float]  # intent, confidence, hits, off-topic


async def observe(cases: list[tuple[str, str, str]]) -> list[Observed]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path()))
    kb = HybridKnowledgeBase.load(kb_settings(), service_settings())
    observed = []
    for _language, _expect, question in cases:
        parsed = await agent.parse_message(question)
        intent = parsed.get("intent") or {}
        ranking = parsed.get("intent_ranking") or []
        off_topic = max(
            (float(i["confidence"]) for i in ranking if i.get("name") == "out_of_scope"),
            default=0.0,
        )
        hits = [Candidate(h.article_id, h.score) for h in kb.search(question, k=3)]
        observed.append(
            (intent.get("name"), float(intent.get("confidence") or 0.0), hits, off_topic)
        )
    return observed


def off_topic_dev(path: Path) -> list[tuple[str, str, str]]:
    """The odd lines of the off-topic set, expecting no article and no flow."""
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    return [(language, "none", question) for language, question in rows[1::2]]


def by_language(
    cases: list[tuple[str, str, str]],
    observed: list[Observed],
    warned: list[bool],
    thresholds: Thresholds,
    language: str,
) -> float:
    """The share right in one language."""
    rows = [
        verdict(expect, seen(decide(intent, confidence, hits, thresholds, off), warning))
        for (lang, expect, _), (intent, confidence, hits, off), warning in zip(
            cases, observed, warned, strict=True
        )
        if lang == language
    ]
    return rows.count("right") / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, nargs="+", default=[ROOT / "bot" / "eval" / "dev2.tsv"])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    cases = [case for path in args.dev for case in load_cases(path)]
    cases += off_topic_dev(ROOT / "bot" / "eval" / "off_topic.tsv")
    observed = asyncio.run(observe(cases))
    domains = trusted_domains(service_settings())
    warned = [reports_scam(question, domains) for _, _, question in cases]
    results = []
    for values in itertools.product(*GRID.values()):
        thresholds = Thresholds(**dict(zip(GRID, values, strict=True)))
        counts: Counter[str] = Counter()
        for (_, expect, _), (intent, confidence, hits, off), warning in zip(
            cases, observed, warned, strict=True
        ):
            decision = decide(intent, confidence, hits, thresholds, off)
            counts[verdict(expect, seen(decision, warning))] += 1
        wrong = (counts["wrong_article"] + counts["wrong_flow"]) / len(cases)
        results.append((wrong <= 0.02, counts["right"], -counts["clarify"], thresholds, counts))
    languages = sorted({language for language, _, _ in cases})
    results.sort(key=lambda r: r[:3], reverse=True)
    print(f"{len(cases)} dev questions from {', '.join(map(str, args.dev))} and off-topic\n")
    for ok, right, _, thresholds, counts in results[: args.top]:
        per = " ".join(
            f"{language} {by_language(cases, observed, warned, thresholds, language):.2f}"
            for language in languages
        )
        print(
            f"right {right / len(cases):.3f} ({per})  wrong {counts['wrong_article']}+"
            f"{counts['wrong_flow']}  clarify {counts['clarify']}  fallback "
            f"{counts['fallback']}  {'' if ok else '(over 2% wrong) '}{thresholds}"
        )
    default = Thresholds()
    print(f"\nin use: {default}")


if __name__ == "__main__":
    main()
