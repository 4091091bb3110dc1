"""The whole bot's answer quality, end to end, as a regression gate.

Every question of the labelled test split (bot/eval/test.tsv) is asked by a new web
chat visitor through a real gateway, Rasa and action server, and the replies the user
sees are scored (bot/evaluation). The target is 0.95 per language (docs/benchmarks.md);
this gate fails below 0.92, or when more than 3% of answers are wrong articles, or
when more than 3% of off-topic questions get an article outright.
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

GATE = 0.92
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
        if language != "all" and row["right_share"] < GATE
    }
    assert low == {}, f"below {GATE}: {low}; confusions in {REPORT}"
    assert table["all"]["wrong_article_share"] <= 0.03, f"confusions in {REPORT}"


def test_off_topic_questions_get_no_article(stack: Servers, reader: ReplyReader) -> None:
    path = ROOT / "bot" / "eval" / "off_topic.tsv"
    rows = [line.split("\t") for line in path.read_text().splitlines()[1:] if line.strip()]
    asked = asyncio.run(run(stack.gateway_url, [(lang, "", q) for lang, q in rows], reader))
    result = off_topic_summary(asked)
    _write("off_topic", result)
    assert result["table"]["all"]["outright_article_share"] <= 0.03, result["outright"]
