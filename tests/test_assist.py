"""Knowledge assist through the in-process gateway, on SQLite and PostgreSQL: the
articles closest to what the user said last, in the user's language; nothing loaded
until an agent asks, and no model (torch, TensorFlow) in the gateway even then."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.settings import KBSettings, service_settings
from faq_kb.lexical_search import LexicalKnowledgeBase
from handoff.assist import Assist
from tests.support import ROOT
from tests.support.gateway import Gateway

ASKED = {
    "zh": ("我转的USDT一直没到账", "missing-transfer"),
    "en": ("my USDT transfer still hasn't arrived", "missing-transfer"),
    "es": ("¿a qué hora atienden los agentes?", "service-hours"),
}


def _use_index(gateway: Gateway, settings: KBSettings) -> Assist:
    assist = Assist(settings, service_settings(), gateway.parts.guard)
    gateway.app.state.assist = assist
    return assist


def _session(gateway: Gateway, language: str, said: list[str]) -> int:
    user = gateway.visitor(language)
    for text in said:
        gateway.say(user, text, language=language)
    gateway.say(user, "human", language=language)
    [session] = [
        s
        for s in gateway.queue(gateway.agent(f"a-{language}@example.com"))
        if s["language"] == language
    ]
    return int(session["id"])


@pytest.mark.parametrize("language", ["zh", "en", "es"])
def test_the_closest_articles_in_the_user_s_language(
    gateway: Gateway, built_index: KBSettings, language: str
) -> None:
    assist = _use_index(gateway, built_index)
    question, expected = ASKED[language]
    sid = _session(gateway, language, [question])
    assert assist._kb is None  # the user's messages loaded nothing
    agent = gateway.agent("reader@example.com")
    found = gateway.client.get(f"/api/agent/sessions/{sid}/articles", headers=agent)
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["language"] == language and body["query"] == f"{question}\nhuman"
    articles = body["articles"]
    assert len(articles) == 3 and articles[0]["id"] == expected
    kb = LexicalKnowledgeBase.load(built_index, service_settings())
    for article in articles:
        known = kb.article(article["id"])
        assert known is not None
        assert article["title"] == known.title(language)  # type: ignore[arg-type]
        assert article["answer"] == kb.answer(article["id"], language)  # type: ignore[arg-type]
        assert article["guard"] == gateway.parts.guard.check_agent(article["answer"])
    assert articles[0]["score"] >= articles[1]["score"] >= articles[2]["score"] > 0


def test_only_the_user_s_last_messages_count(gateway: Gateway, built_index: KBSettings) -> None:
    _use_index(gateway, built_index)
    said = ["what is your phone number", "/affirm", "I forgot my password", "I can't log in"]
    sid = _session(gateway, "en", said)
    agent = gateway.agent("reader@example.com")
    body = gateway.client.get(f"/api/agent/sessions/{sid}/articles", headers=agent).json()
    # The three latest, button payloads left out: the phone question has scrolled away.
    assert body["query"] == "I forgot my password\nI can't log in\nhuman"
    assert "phone-support" not in [a["id"] for a in body["articles"]]
    assert body["articles"][0]["id"] in {"password-reset", "login-failure"}


def test_without_an_index_the_agent_is_told_how_to_build_it(
    gateway: Gateway, tmp_path: Path
) -> None:
    _use_index(gateway, KBSettings(index_dir=tmp_path / "nothing"))
    sid = _session(gateway, "en", ["hello"])
    agent = gateway.agent("reader@example.com")
    missing = gateway.client.get(f"/api/agent/sessions/{sid}/articles", headers=agent)
    assert missing.status_code == 503 and "python -m faq_kb build" in missing.json()["detail"]
    assert gateway.client.get("/api/agent/sessions/999/articles", headers=agent).status_code == 404
    assert gateway.client.get(f"/api/agent/sessions/{sid}/articles").status_code == 401


SCRIPT = """
import json, sys
from fastapi.testclient import TestClient
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway
gateway = Gateway(sys.argv[1], FakeRasa())
with gateway.client:
    agent = gateway.agent("solo@example.com")
    user = gateway.visitor("en")
    gateway.say(user, "how do I back up my recovery phrase", language="en")
    gateway.say(user, "human", language="en")
    [session] = gateway.queue(agent)
    found = gateway.client.get(f"/api/agent/sessions/{session['id']}/articles", headers=agent)
    heavy = sorted(m for m in ("torch", "tensorflow", "sentence_transformers", "rasa") if m in sys.modules)
    print(json.dumps({"status": found.status_code, "top": found.json()["articles"][0]["id"], "heavy": heavy}))
"""


def test_the_gateway_suggests_without_loading_a_model(
    built_index: KBSettings, tmp_path: Path
) -> None:
    """In a gateway process of its own: the test process has the model loaded already."""
    env = {**os.environ, "KB_INDEX_DIR": str(built_index.index_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, f"sqlite:///{tmp_path / 'desk.db'}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"status": 200, "top": "seed-phrase-safety", "heavy": []}


def test_the_lexical_side_alone_still_finds_the_right_article_in_the_top_three(
    built_index: KBSettings,
) -> None:
    """The price of keeping the model out of the gateway, measured on the labelled set
    (docs/benchmarks.md, "Knowledge assist: the lexical side alone")."""
    from faq_kb.evaluate import evaluate, read_labelled

    kb = LexicalKnowledgeBase.load(built_index, service_settings())
    scores = evaluate(kb, read_labelled(ROOT / "faq_kb" / "eval" / "questions.tsv"))
    assert set(scores) == {"zh", "en", "es"}
    for language, score in scores.items():
        assert score.as_dict()["hit@3"] >= 0.97, (language, score.misses)


def test_nothing_to_rank_gives_nothing(built_index: KBSettings) -> None:
    kb = LexicalKnowledgeBase.load(built_index, service_settings())
    assert kb.search("") == [] and kb.search("   \n") == []
    long = "zzzz " * 500 + "what are your customer service hours"
    assert kb.search(long)[0].article_id == "service-hours"  # the end is what counts
