"""The whole bot's answer quality, end to end, as a regression gate.

Every question of the labelled test split (bot/eval/test.tsv) is asked by a new web
chat visitor through a real gateway, Rasa and action server, and the replies the user
sees are scored (bot/evaluation). The target is 0.95 per language and at most 2% wrong
articles (issue 14); it is NOT met yet (docs/benchmarks.md, "Answer quality end to
end"). This is a regression gate set at the level measured on 2026-11-30 less a margin
for run-to-run noise (the model is retrained from the same data with a fixed seed, but
the stack's timing and the KB index can move a question or two): it fails when the
bot gets worse than it is today, and must be raised as the bot improves, never lowered
to let a change land.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from bot.evaluation.replies import ReplyReader, load_cases
from bot.evaluation.run import off_topic_summary, run, summary
from common.settings import ServiceSettings, kb_settings
from faq_kb.articles import load_articles
from tests.support import ROOT
from tests.support.servers import Servers, running_servers

pytestmark = pytest.mark.e2e

# The fresh test split (405 questions, 135 per language; the old one is bot/eval/dev4.tsv),
# measured 2026-12-01 20:38 UTC through the stack after the articles' tenth round: zh
# 0.830, en 0.867, es 0.763; wrong articles 2.2%; off-topic outright 3.1%
# (docs/benchmarks.md). The gate sits four to five questions under each, so a regression
# fails and noise doesn't.
GATE = {"zh": 0.80, "en": 0.835, "es": 0.73}
WRONG_ARTICLES = 0.05
OFF_TOPIC_OUTRIGHT = 0.07
REPORT = ROOT / "var" / "eval" / "ci-report.json"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Its own servers: the evaluation opens tickets that other tests' desks shouldn't see."""
    with running_servers(tmp_path_factory.mktemp("quality"), with_gateway=True) as servers:
        yield servers


@pytest.fixture(scope="module")
def reader() -> ReplyReader:
    return ReplyReader(load_articles(kb_settings().articles_dir), ServiceSettings())


def _write(name: str, result: dict[str, object]) -> None:
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    data[name] = result
    REPORT.write_text(json.dumps(data, ensure_ascii=False, indent=2))


def test_every_language_answers_the_labelled_questions(stack: Servers, reader: ReplyReader) -> None:
    cases = load_cases(ROOT / "bot" / "eval" / "test.tsv")
    result = summary(asyncio.run(run(stack.gateway_url, cases, reader)))
    _write("labelled", result)
    table = result["table"]
    low = {
        language: row["right_share"]
        for language, row in table.items()
        if language != "all" and row["right_share"] < GATE[language]
    }
    assert set(table) - {"all"} == set(GATE), table.keys()
    assert low == {}, f"below {GATE}: {low}; confusions in {REPORT}"
    assert table["all"]["wrong_article_share"] <= WRONG_ARTICLES, f"confusions in {REPORT}"


def test_off_topic_questions_get_no_article(stack: Servers, reader: ReplyReader) -> None:
    path = ROOT / "bot" / "eval" / "off_topic.tsv"
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    asked = asyncio.run(run(stack.gateway_url, [(lang, "", q) for lang, q in rows], reader))
    result = off_topic_summary(asked)
    _write("off_topic", result)
    share = result["table"]["all"]["outright_article_share"]
    assert share <= OFF_TOPIC_OUTRIGHT, result["outright"]
