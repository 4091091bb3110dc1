"""Send labelled questions through a running gateway, one fresh conversation each, and
score what came back (see :mod:`bot.evaluation.replies`)."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from bot.evaluation.replies import ReplyReader, Seen, verdict

# "no_reply": the turn came back empty (on a loaded machine Rasa's REST channel times
# out); counted apart so that a slow run is not read as a worse bot.
VERDICTS = ("right", "wrong_article", "wrong_flow", "clarify", "fallback", "no_warning", "no_reply")


@dataclass
class Asked:
    language: str
    expect: str
    question: str
    replies: list[str]
    seen: Seen
    verdict: str


async def ask(client: httpx.AsyncClient, url: str, question: str) -> list[str]:
    """A new visitor asks *question* on the web chat, as the page does (language: auto)."""
    visitor = await client.post(f"{url}/webchat/api/visitors", json={})
    visitor.raise_for_status()
    headers = {"Authorization": f"Bearer {visitor.json()['token']}"}
    posted = await client.post(
        f"{url}/webchat/api/messages", json={"text": question}, headers=headers
    )
    posted.raise_for_status()
    return [str(reply["text"]) for reply in posted.json()["replies"]]


def judge(
    reader: ReplyReader, language: str, expect: str, question: str, replies: list[str]
) -> Asked:
    """What the user saw, and its verdict; an empty turn is ``no_reply``, not a miss."""
    seen = reader.read(replies)
    return Asked(
        language, expect, question, replies, seen, verdict(expect, seen) if replies else "no_reply"
    )


async def run(
    url: str, cases: list[tuple[str, str, str]], reader: ReplyReader, concurrency: int = 4
) -> list[Asked]:
    slots = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(timeout=120) as client:

        async def one(language: str, expect: str, question: str) -> Asked:
            async with slots:
                replies = await ask(client, url, question)
            return judge(reader, language, expect, question, replies)

        return list(await asyncio.gather(*(one(*case) for case in cases)))


def summary(asked: list[Asked]) -> dict[str, Any]:
    """Per language and overall: counts per verdict, the share right, and the confusions."""
    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    for item in asked:
        by_language[item.language][item.verdict] += 1
        by_language["all"][item.verdict] += 1
    table = {}
    for language, counts in sorted(by_language.items(), key=lambda kv: kv[0] == "all"):
        total = sum(counts.values())
        table[language] = {
            "questions": total,
            **{name: counts[name] for name in VERDICTS},
            "right_share": round(counts["right"] / total, 4) if total else 0.0,
            "wrong_article_share": round(counts["wrong_article"] / total, 4) if total else 0.0,
            "clarify_share": round(counts["clarify"] / total, 4) if total else 0.0,
        }
    confusions = [
        {
            "language": item.language,
            "question": item.question,
            "expect": item.expect,
            "verdict": item.verdict,
            "got": {**asdict(item.seen), "kind": item.seen.kind},
        }
        for item in asked
        if item.verdict != "right"
    ]
    return {"table": table, "confusions": confusions}


def off_topic_summary(asked: list[Asked]) -> dict[str, Any]:
    """Off-topic questions: how many got an article (the failure), a flow, a question back."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in asked:
        counts[item.language][item.seen.kind] += 1
        counts["all"][item.seen.kind] += 1
    table = {
        language: {
            "questions": sum(c.values()),
            **dict(c),
            "outright_article_share": round(c["article"] / sum(c.values()), 4),
        }
        for language, c in counts.items()
    }
    outright = [
        {"language": i.language, "question": i.question, "articles": i.seen.articles}
        for i in asked
        if i.seen.kind == "article"
    ]
    return {"table": table, "outright": outright}


def markdown(title: str, table: dict[str, dict[str, Any]], columns: list[str]) -> str:
    lines = [f"### {title}", "", "| " + " | ".join(["language", *columns]) + " |"]
    lines.append("|" + "---|" * (len(columns) + 1))
    for language, row in table.items():
        cells = [
            f"{row.get(c, 0):.3f}" if isinstance(row.get(c), float) else str(row.get(c, 0))
            for c in columns
        ]
        lines.append("| " + " | ".join([language, *cells]) + " |")
    return "\n".join(lines)
