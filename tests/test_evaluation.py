"""The end-to-end evaluation reads replies the way a user sees them, and scores them."""

from __future__ import annotations

import pytest

from bot.evaluation.replies import ReplyReader, Seen, verdict
from bot.evaluation.run import judge, summary
from common import texts
from common.settings import ServiceSettings, kb_settings
from faq_kb.articles import load_articles

SERVICE = ServiceSettings()


@pytest.fixture(scope="module")
def reader() -> ReplyReader:
    return ReplyReader(load_articles(kb_settings().articles_dir), SERVICE)


def answer(article: str, language: str) -> str:
    found = {a.id: a for a in load_articles(kb_settings().articles_dir)}[article]
    return found.answer(language, SERVICE)  # type: ignore[arg-type]


def test_an_article_answer_is_recognised_in_every_language(reader: ReplyReader) -> None:
    for language in ("zh", "en", "es"):
        seen = reader.read([answer("network-fees", language)])
        assert seen.articles == ["network-fees"] and seen.kind == "article"


def test_flows_clarifications_misses_and_the_scam_warning(reader: ReplyReader) -> None:
    intro = (
        "Don't worry, let's track down that transfer. I'll ask a few questions; answer "
        '"I don\'t know" if you\'re not sure, and say "cancel" to stop at any time.'
    )
    assert reader.read([intro]).flows == ["missing_transfer"]
    assert reader.read([intro[:40]]).flows == []  # the whole response, not a look-alike
    assert reader.read(["您是想问下面哪一个？点一下就能看到解答。"]).kind == "clarify"
    assert reader.read(["Sorry, I couldn't find a help article that answers this."]).missed
    warning = texts.text("es", "scam", channels="acmewallet.example")
    seen = reader.read([warning, answer("scam-impersonation", "es")])
    assert seen.scam_warning and seen.articles == ["scam-impersonation"]


@pytest.mark.parametrize(
    ("expect", "seen", "result"),
    [
        ("login-failure", Seen(articles=["login-failure"]), "right"),
        ("login-failure", Seen(articles=["account-locked"]), "wrong_article"),
        ("contact-channels|submit-ticket", Seen(articles=["submit-ticket"]), "right"),
        ("flow:dispute", Seen(flows=["dispute"]), "right"),
        ("flow:dispute", Seen(flows=["missing_transfer"]), "wrong_flow"),
        ("missing-transfer", Seen(flows=["missing_transfer"]), "right"),  # the article's flow
        ("scam:fake-app", Seen(articles=["fake-app"]), "no_warning"),
        ("scam:fake-app", Seen(articles=["fake-app"], scam_warning=True), "right"),
        ("service-hours", Seen(clarified=True), "clarify"),
        ("service-hours", Seen(missed=True), "fallback"),
        ("none", Seen(missed=True), "right"),
        ("none", Seen(articles=["service-hours"]), "wrong_article"),
    ],
)
def test_verdicts(expect: str, seen: Seen, result: str) -> None:
    assert verdict(expect, seen) == result


def test_an_empty_turn_is_counted_apart_from_a_miss(reader: ReplyReader) -> None:
    """On a loaded machine Rasa's REST channel times out and the turn comes back empty:
    that is no evidence of what the bot would have answered."""
    empty = judge(reader, "zh", "network-fees", "转账手续费怎么算", [])
    answered = judge(
        reader, "zh", "network-fees", "转账手续费怎么算", [answer("network-fees", "zh")]
    )
    assert (empty.verdict, answered.verdict) == ("no_reply", "right")
    table = summary([empty, answered])["table"]
    assert table["zh"]["no_reply"] == 1 and table["zh"]["fallback"] == 0
