"""Custom Rasa NLU components: tokens from :mod:`bot.nlu.pipelines`, entities from
:mod:`bot.nlu.extraction`.

Registered through Rasa's ``DefaultV1Recipe`` and referenced from ``config.yml``
by their dotted path. Neither is trainable: the knowledge is in the patterns.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.extraction import extract
from bot.nlu.pipelines import tokens


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MultilingualTokenizer(Tokenizer):
    """spaCy blank tokenizers: jieba segmentation for Chinese, rule-based for en/es."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_",
                "token_pattern": None, "prefix_separator_symbol": None}  # fmt: skip

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MultilingualTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        return [Token(word, start) for word, start in tokens(text)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class WalletEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Chains, tokens, amounts and times (spaCy EntityRuler), hashes and addresses."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> WalletEntityExtractor:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            found = [f.as_rasa(self.name) for f in extract(message.get(TEXT) or "")]
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages
