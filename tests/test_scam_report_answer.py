"""A scam report the knowledge base finds no article for still gets the scam's article
after the gateway's warning: the guard names the signs it saw, the bot picks the article."""

from __future__ import annotations

from typing import Any

import pytest

from bot.actions.respond import ActionRespond
from bot.actions.scam_report import with_scam_article
from bot.decision import Decision
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway
from tests.support.trackers import load_domain, responses, run, tracker

# A story with no article's words in it: the knowledge base has nothing close.
STORY = "the trading platform holds my profit until I pay them 15% tax, then they release it"


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    return load_domain()


def test_a_reported_scam_that_misses_gets_its_article(kb: Any, domain: dict[str, Any]) -> None:
    _, slots = run(ActionRespond(), tracker(STORY, "ask_faq", confidence=0.5), domain)
    assert slots.get("last_article") is None, "the story alone must miss for this test"
    reported = tracker(STORY, "ask_faq", confidence=0.5, metadata={"scam": ["fee_to_release"]})
    _, slots = run(ActionRespond(), reported, domain)
    assert slots["last_article"] == "scam-impersonation"


def test_an_app_sent_by_someone_gets_the_fake_app_article(kb: Any, domain: dict[str, Any]) -> None:
    t = tracker(STORY, "out_of_scope", confidence=0.9, metadata={"scam": ["link", "sent_app"]})
    messages, slots = run(ActionRespond(), t, domain)
    assert slots["last_article"] == "fake-app"
    assert "utter_out_of_scope" not in responses(messages)


def test_an_answer_or_a_flow_stands() -> None:
    answer = Decision("answer", article="network-fees")
    flow = Decision("flow", flow="missing_transfer")
    assert with_scam_article(answer, "scam-impersonation") == answer
    assert with_scam_article(flow, "scam-impersonation") == flow
    ask = Decision("clarify", options=("identity-verification", "scam-impersonation"))
    assert with_scam_article(ask, "scam-impersonation").article == "scam-impersonation"
    other = Decision("clarify", options=("identity-verification", "login-failure"))
    assert with_scam_article(other, "scam-impersonation") == other
    assert with_scam_article(Decision("miss"), None) == Decision("miss")


def test_the_gateway_tells_rasa_the_signs_and_nothing_for_an_ordinary_message(
    gateway: Gateway,
) -> None:
    rasa = gateway.rasa
    assert isinstance(rasa, FakeRasa)
    with gateway.client:
        me = gateway.visitor()
        gateway.say(me, "how much is the network fee?", language="en")
        gateway.say(me, "someone sent me an apk and said it's the new version", language="en")
    ordinary, report = rasa.calls[-2:]
    assert "scam" not in ordinary["metadata"]
    assert "sent_app" in report["metadata"]["scam"]
