"""The articles' example questions teach the intent classifier what a support question is."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.decision import FLOWS
from bot.nlu.kb_examples import ask_faq_examples, flow_articles, nlu_examples, write_ask_faq
from faq_kb.articles import load_articles
from tests.support import ROOT

ARTICLES = ROOT / "faq_kb" / "articles"
NLU = ROOT / "nlu_data"


def test_every_article_outside_the_flows_gives_examples() -> None:
    examples = set(ask_faq_examples(ARTICLES, NLU))
    taken = nlu_examples(NLU)
    for article in load_articles(ARTICLES):
        questions = {q for loc in article.texts.values() for q in loc.questions}
        if article.id in flow_articles():
            assert not questions & examples, article.id
        else:
            assert {q for q in questions if q.casefold() not in taken} <= examples, article.id


def test_the_flows_articles_are_left_to_their_intents() -> None:
    assert {"missing-transfer", "password-reset", "transaction-dispute"} <= flow_articles()
    assert all(flow.article in flow_articles() for flow in FLOWS.values() if flow.owns)
    # The callback flow leans on the phone article without taking its questions: "what's
    # your number?" stays a support question, answered by the article.
    assert "phone-support" not in flow_articles()


def test_the_written_file_is_rasa_nlu_data_that_reads_back_exactly(tmp_path: Path) -> None:
    path = write_ask_faq(ARTICLES, NLU, tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    [item] = data["nlu"]
    assert item["intent"] == "ask_faq"
    lines = [line.removeprefix("- ") for line in item["examples"].splitlines()]
    assert lines == ask_faq_examples(ARTICLES, NLU)
    assert len(lines) > 1000
