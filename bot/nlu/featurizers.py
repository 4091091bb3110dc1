"""Featurizers and classifier settings chosen by measurement (docs/benchmarks.md).

* ``TfidfFeaturizer``: sublinear TF-IDF over character 1–4-grams and word
  tokens. Character n-grams carry Chinese and typos; Rasa's own
  CountVectorsFeaturizer has no IDF weighting, which cost 2–4 points here.
* ``SentenceEmbeddingFeaturizer``: frozen sentence-transformers embeddings
  (the same local model as the knowledge base), strong on English phrasing.
* ``TunedLogisticRegressionClassifier``: Rasa's classifier with ``C`` exposed.
"""

from __future__ import annotations

import logging
from typing import Any

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.kb_hits import SENTENCE_VECTOR
from bot.nlu.pipelines import tokens

logger = logging.getLogger(__name__)
_FILE = "tfidf.joblib"


def word_tokens(text: str) -> list[str]:
    return [word.lower() for word, _ in tokens(text)]


def _texts(messages: list[Message]) -> list[str]:
    return [m.get(TEXT) or "" for m in messages]


def _with_text(messages: list[Message]) -> list[Message]:
    """Messages that carry user text, even empty text: an empty message still needs
    features, or the classifier has nothing to score and the turn fails."""
    return [m for m in messages if m.get(TEXT) is not None]


class _FeaturizesText:
    """Training and inference both add features with ``_featurize``."""

    def _featurize(self, messages: list[Message]) -> None:
        raise NotImplementedError

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class TfidfFeaturizer(_FeaturizesText, SparseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SparseFeaturizer.get_default_config(), "min_ngram": 1, "max_ngram": 4}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if not 1 <= config["min_ngram"] <= config["max_ngram"]:
            raise ValueError("TfidfFeaturizer needs 1 <= min_ngram <= max_ngram")

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vectorizers: tuple[TfidfVectorizer, TfidfVectorizer] | None = None,
    ) -> None:
        SparseFeaturizer.__init__(self, execution_context.node_name, config)
        self._storage = model_storage
        self._resource = resource
        self._vectorizers = vectorizers

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [t for t in _texts(training_data.training_examples) if t]
        chars = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(self._config["min_ngram"], self._config["max_ngram"]),
            sublinear_tf=True,
        )
        words = TfidfVectorizer(analyzer=word_tokens, sublinear_tf=True)
        self._vectorizers = (chars.fit(texts), words.fit(texts))
        with self._storage.write_to(self._resource) as directory:
            joblib.dump(self._vectorizers, directory / _FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfFeaturizer:
        with model_storage.read_from(resource) as directory:
            vectorizers = joblib.load(directory / _FILE)
        return cls(config, model_storage, resource, execution_context, vectorizers)

    def _featurize(self, messages: list[Message]) -> None:
        if self._vectorizers is None:
            return
        present = _with_text(messages)
        if not present:
            return
        texts = _texts(present)
        chars, words = self._vectorizers
        matrix = hstack([chars.transform(texts), words.transform(texts)]).tocsr()
        for i, message in enumerate(present):
            self.add_features_to_message(None, matrix[i].tocoo(), TEXT, message)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(_FeaturizesText, DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # weight: relative to the unit-length TF-IDF rows, measured best at 2.
        return {**DenseFeaturizer.get_default_config(), "model_path": "", "weight": 2.0}

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config["weight"]) <= 0:
            raise ValueError("SentenceEmbeddingFeaturizer needs a positive weight")

    def __init__(self, config: dict[str, Any], name: str) -> None:
        DenseFeaturizer.__init__(self, name, config)
        from common.settings import kb_settings
        from faq_kb.embedder import shared_embedder

        settings = kb_settings()
        path = config.get("model_path") or settings.resolved_model_path()
        self._embedder = shared_embedder(path, settings.torch_threads)
        self._weight = float(config["weight"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        return cls(config, execution_context.node_name)

    def _featurize(self, messages: list[Message]) -> None:
        self._embed(messages)

    def _embed(self, messages: list[Message]) -> list[tuple[Message, np.ndarray]]:
        """Each message with its unit-length embedding (the features are scaled)."""
        present = _with_text(messages)
        if not present:
            return []
        vectors = self._embedder.encode(_texts(present))
        for message, vector in zip(present, vectors, strict=True):
            scaled = vector[np.newaxis, :] * self._weight
            self.add_features_to_message(None, scaled, TEXT, message)
        return list(zip(present, vectors, strict=True))

    def process(self, messages: list[Message]) -> list[Message]:
        # A message being served keeps its embedding for the knowledge base's search
        # (bot.nlu.kb_search): one encode per message. Not kept in training, where the
        # data's fingerprint would have to hash it.
        for message, vector in self._embed(messages):
            message.set(SENTENCE_VECTOR, vector)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TunedLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression with the regularisation strength exposed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(
        self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource
    ) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.C = float(self.config["C"])
