"""One embedding per message: Rasa's NLU searches the knowledge base with the sentence
vector it computed for the intent, and the action server answers from those hits
without embedding the message again (bot.kb_hits). The answer must be the one the
action server's own search would give."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.respond import ActionRespond
from bot.actions.shared import use_knowledge_base
from bot.kb_hits import KNOWLEDGE_BASE, as_parse_data
from bot.nlu.featurizers import SentenceEmbeddingFeaturizer
from bot.nlu.kb_search import KnowledgeBaseSearch
from common.settings import KBSettings, service_settings
from faq_kb.embedder import Embedder, shared_embedder
from faq_kb.index import load_index
from faq_kb.live import LiveKnowledgeBase
from faq_kb.search import Hit, HybridKnowledgeBase
from tests.support.trackers import load_domain, tracker

QUESTIONS = [
    "how much is the network fee to send USDT?",
    "my app closes by itself when I open it",
    "转账一直在确认中怎么办",
    "客服几点上班",
    "¿cuánto cuesta la comisión de red?",
    "alguien que dice ser soporte me pidió mi frase",
]


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self._inner.encode(texts)


@pytest.fixture(scope="module")
def counted(built_index: KBSettings) -> Any:
    embedder = CountingEmbedder(shared_embedder(built_index.resolved_model_path(), 1))
    index = load_index(built_index.index_dir, built_index.articles_dir)
    live = LiveKnowledgeBase(HybridKnowledgeBase(index, embedder, service_settings()), None)
    use_knowledge_base(live)
    yield live, embedder
    use_knowledge_base(None)


def nlu(live: LiveKnowledgeBase, text: str) -> Message:
    """The message as Rasa's NLU leaves it: embedded once, then searched."""
    message = Message(data={TEXT: text})
    featurizer = SentenceEmbeddingFeaturizer(
        SentenceEmbeddingFeaturizer.get_default_config(), "embed"
    )
    featurizer.process([message])
    KnowledgeBaseSearch(live, 3).process([message])
    return message


def respond(text: str, parse_extra: dict[str, Any]) -> list[dict[str, Any]]:
    t = tracker(text, "ask_faq", confidence=0.95)
    t.latest_message.update(parse_extra)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionRespond().run(dispatcher, t, load_domain()))
    return dispatcher.messages


def answered(messages: list[dict[str, Any]]) -> str | None:
    for m in messages:
        custom = m.get("custom") or m.get("json_message") or {}
        if custom.get("outcome") == "answer":
            return str(custom.get("article"))
    return None


@pytest.mark.parametrize("text", QUESTIONS)
def test_the_nlu_finds_exactly_what_the_knowledge_base_would(counted: Any, text: str) -> None:
    live, embedder = counted
    message = nlu(live, text)
    embedder.texts.clear()
    found = message.get(KNOWLEDGE_BASE)
    assert found == as_parse_data(text, live.fingerprint, live.search(text, 3))
    assert found["hits"], "every question here has candidates"
    assert KNOWLEDGE_BASE in message.as_dict(only_output_properties=True)
    assert "sentence_vector" not in message.as_dict(only_output_properties=True)


def test_the_action_answers_from_the_nlu_hits_without_embedding_again(counted: Any) -> None:
    live, embedder = counted
    text = "how much is the network fee to send USDT?"
    found = nlu(live, text).get(KNOWLEDGE_BASE)
    embedder.texts.clear()
    messages = respond(text, {KNOWLEDGE_BASE: found})
    assert answered(messages) == "network-fees"
    assert embedder.texts == []  # before: the action server embedded it a second time


def test_the_hits_are_really_the_ones_used(counted: Any) -> None:
    """Not a coincidence of two searches agreeing: hits saying another article win."""
    live, _embedder = counted
    text = "how much is the network fee to send USDT?"
    planted = as_parse_data(text, live.fingerprint, [Hit("service-hours", 0.97)])
    assert answered(respond(text, {KNOWLEDGE_BASE: planted})) == "service-hours"


@pytest.mark.parametrize(
    "change",
    [
        {"index": "another-index"},  # a publish one process has and the other not yet
        {"text": "something else"},  # hits for another text
        {"hits": [{"id": "service-hours"}]},  # malformed
    ],
)
def test_hits_for_another_index_or_text_are_not_trusted(
    counted: Any, change: dict[str, Any]
) -> None:
    live, embedder = counted
    text = "how much is the network fee to send USDT?"
    stale = {**as_parse_data(text, live.fingerprint, [Hit("service-hours", 0.97)]), **change}
    embedder.texts.clear()
    assert answered(respond(text, {KNOWLEDGE_BASE: stale})) == "network-fees"
    assert embedder.texts == [text]  # it searched on its own


def test_without_nlu_hits_the_action_searches_itself(counted: Any) -> None:
    _live, embedder = counted
    embedder.texts.clear()
    assert answered(respond("客服几点上班", {})) == "service-hours"
    assert embedder.texts == ["客服几点上班"]
