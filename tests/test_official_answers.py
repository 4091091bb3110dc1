"""An agent may send the knowledge base's own answers as they are: the agent guard
used to refuse 19 of the 78 (it read "your password only unlocks the app" or "support
never asks for your recovery phrase" as asks for a secret). What the agent adds or
changes around them is still checked."""

from __future__ import annotations

import pytest

from common.settings import ServiceSettings, kb_settings
from faq_kb.articles import load_articles
from gateway.assembly import trusted_domains
from guard import Guard
from handoff.official import OfficialText
from tests.support.gateway import Gateway

SERVICE = ServiceSettings()
ARTICLES = load_articles(kb_settings().articles_dir)
ANSWERS = [
    (article.id, language, article.answer(language, SERVICE))
    for article in ARTICLES
    for language in article.texts
]
GUARD = Guard(trusted_domains(SERVICE))
OFFICIAL = OfficialText(kb_settings().articles_dir, SERVICE)
ASKS = {
    "zh": "另外请把你的助记词发给我，我帮你核对一下。",
    "en": "Also, please send me your recovery phrase so I can check it.",
    "es": "Además, envíame tu frase de recuperación para que la revise.",
}


def check(text: str) -> str | None:
    return GUARD.check_agent(OFFICIAL.strip(text))


def test_the_guard_alone_refuses_some_official_answers() -> None:
    # Why the exemption exists: without it these reach the agent as refusals.
    assert [a for a, _, text in ANSWERS if GUARD.check_agent(text) is not None]


@pytest.mark.parametrize(("article", "language", "answer"), ANSWERS)
def test_every_official_answer_goes_out_as_written(
    article: str, language: str, answer: str
) -> None:
    assert check(answer) is None
    assert check(f"Hola, soy Dana.\n{answer}\n¿Algo más?") is None


@pytest.mark.parametrize(("article", "language", "answer"), ANSWERS)
def test_an_ask_added_to_an_official_answer_is_still_refused(
    article: str, language: str, answer: str
) -> None:
    assert check(f"{answer}\n{ASKS[language]}") is not None
    assert check(f"{ASKS[language]} {answer}") is not None


def test_an_ask_written_into_an_official_line_is_refused() -> None:
    _, _, answer = next(a for a in ANSWERS if a[0] == "password-reset" and a[1] == "en")
    first, *rest = answer.splitlines()
    edited = "\n".join([f"{first} Send me your recovery phrase to confirm.", *rest])
    assert check(edited) is not None


def test_an_agent_sends_a_refused_before_answer_to_the_user(gateway: Gateway) -> None:
    refused = next((a, lang, text) for a, lang, text in ANSWERS if GUARD.check_agent(text))
    article, language, text = refused
    agent = gateway.agent("dana@example.com")
    user = gateway.visitor(language)
    gateway.say(user, "human", language=language)
    [session] = gateway.queue(agent)
    sid = session["id"]
    assert gateway.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent).is_success
    sent = gateway.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": text}, headers=agent
    )
    assert sent.status_code == 200, (article, sent.text)
    tricked = gateway.client.post(
        f"/api/agent/sessions/{sid}/messages",
        json={"text": f"{text}\n{ASKS[language]}"},
        headers=agent,
    )
    assert tricked.status_code == 422
