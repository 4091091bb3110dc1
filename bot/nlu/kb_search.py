"""A Rasa NLU component that searches the knowledge base with the NLU's own embedding.

See bot.kb_hits: the hits go into the parse data, and the action server uses them
instead of embedding the message a second time. Not trainable, so ``rasa train``
never loads the index; the served model loads the live version at start and follows
what the console publishes, like the action server does (bot.kb_follow).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import kb_follow
from bot.kb_hits import KNOWLEDGE_BASE, SENTENCE_VECTOR, as_parse_data
from faq_kb.index import IndexNotReady
from faq_kb.live import LiveKnowledgeBase
from faq_kb.search import query_text

log = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class KnowledgeBaseSearch(GraphComponent):
    def __init__(self, live: LiveKnowledgeBase | None, k: int) -> None:
        self._live = live
        self._k = k

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"k": 3}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KnowledgeBaseSearch:
        try:
            live = kb_follow.load_live()
        except (OSError, ValueError, IndexNotReady) as exc:
            # The action server then searches on its own: slower, not wrong.
            log.warning("knowledge base not searched in the NLU: %s", exc)
            return cls(None, int(config["k"]))
        kb_follow.follow(live)
        return cls(live, int(config["k"]))

    def process(self, messages: list[Message]) -> list[Message]:
        if self._live is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text or text.startswith("/"):  # a button's payload is not a question
                continue
            current = self._live.current  # one index for the search and its fingerprint
            # The NLU embedded the whole text; the search embeds query_text(text).
            vector = message.get(SENTENCE_VECTOR) if query_text(text) == text else None
            hits = current.search(text, self._k, vector)
            found = as_parse_data(text, current.fingerprint, hits)
            message.set(KNOWLEDGE_BASE, found, add_to_output=True)
        return messages
