"""Knowledge-base articles: one human-editable YAML file per article.

Schema (see README, "Editing the knowledge base")::

    id: service-hours          # stable, equals the file name
    topic: contact
    zh: {title: ..., questions: [...], answer: ...}
    en: {...}
    es: {...}

Answers may use ``{placeholder}`` names from :class:`common.ServiceSettings`;
a typo there fails the build instead of reaching a user.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common.language import LANGUAGES, Language
from common.settings import ServiceSettings

TOPICS = frozenset({"contact", "tickets", "account", "transfers", "security", "general"})
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Far above the longest article (about 1,300 characters): a chat answer longer than
# this is a pasted document, and the console refuses it rather than the user reading it.
MAX_ANSWER_CHARS = 4000
MAX_TITLE_CHARS = 200
MAX_QUESTION_CHARS = 500
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?？!！.。,，;；:：¿¡]+$")


class ArticleError(ValueError):
    """An article file is malformed; the message names the file and the field."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        super().__init__(f"{path}: field '{field}': {problem}")
        self.path = path
        self.field = field


@dataclass(frozen=True)
class LocalisedArticle:
    title: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Article:
    id: str
    topic: str
    texts: dict[Language, LocalisedArticle]

    def answer(self, language: Language, service: ServiceSettings) -> str:
        """The answer in *language*, with the service's configured facts filled in."""
        return self.texts[language].answer.format_map(service.placeholders()).strip()

    def title(self, language: Language) -> str:
        return self.texts[language].title


def _text(path: Path, data: dict[str, Any], key: str, field: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ArticleError(path, field, "missing or empty text")
    return value.strip()


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def parse_article(path: Path, raw: object, allowed_placeholders: set[str]) -> Article:
    if not isinstance(raw, dict):
        raise ArticleError(path, "<root>", "expected a mapping with id, topic, zh, en, es")
    article_id = _text(path, raw, "id", "id")
    if not _ID.match(article_id):
        raise ArticleError(path, "id", f"'{article_id}' is not lowercase-kebab-case")
    if article_id != path.stem:
        raise ArticleError(path, "id", f"'{article_id}' must equal the file name '{path.stem}'")
    topic = _text(path, raw, "topic", "topic")
    if topic not in TOPICS:
        raise ArticleError(path, "topic", f"'{topic}' is not one of {sorted(TOPICS)}")
    texts: dict[Language, LocalisedArticle] = {}
    for lang in LANGUAGES:
        section = raw.get(lang)
        if not isinstance(section, dict):
            raise ArticleError(path, lang, "missing language section")
        questions = section.get("questions")
        if not isinstance(questions, list) or not questions:
            raise ArticleError(path, f"{lang}.questions", "needs at least one example question")
        if not all(isinstance(q, str) and q.strip() for q in questions):
            raise ArticleError(path, f"{lang}.questions", "every question must be non-empty text")
        if any(len(q) > MAX_QUESTION_CHARS for q in questions):
            raise ArticleError(
                path,
                f"{lang}.questions",
                f"a question is longer than {MAX_QUESTION_CHARS} characters",
            )
        answer = _text(path, section, "answer", f"{lang}.answer")
        if len(answer) > MAX_ANSWER_CHARS:
            raise ArticleError(
                path, f"{lang}.answer", f"{len(answer)} characters; at most {MAX_ANSWER_CHARS}"
            )
        title = _text(path, section, "title", f"{lang}.title")
        if len(title) > MAX_TITLE_CHARS:
            raise ArticleError(path, f"{lang}.title", f"longer than {MAX_TITLE_CHARS} characters")
        try:
            unknown = _placeholders(answer) - allowed_placeholders
        except ValueError as exc:
            raise ArticleError(path, f"{lang}.answer", f"bad braces: {exc}") from exc
        if unknown:
            raise ArticleError(path, f"{lang}.answer", f"unknown placeholders {sorted(unknown)}")
        texts[lang] = LocalisedArticle(
            title=title,
            questions=tuple(q.strip() for q in questions),
            answer=answer,
        )
    return Article(id=article_id, topic=topic, texts=texts)


def article_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yml"))


def load_articles(directory: Path) -> list[Article]:
    """Load and validate every article; raise :class:`ArticleError` on the first bad one."""
    files = article_files(directory)
    if not files:
        raise ArticleError(directory, "<files>", "no *.yml article files found")
    allowed = set(ServiceSettings.__fields__)
    articles = []
    for path in files:
        try:
            # libyaml's safe loader: the same documents, parsed about ten times faster
            # (make run's up-to-date checks read every article twice).
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except yaml.YAMLError as exc:
            raise ArticleError(path, "<yaml>", str(exc)) from exc
        articles.append(parse_article(path, raw, allowed))
    check_duplicates(articles, directory)
    return articles


def question_key(question: str) -> str:
    """What makes two example questions the same: case, spacing, end punctuation aside."""
    return _TRAILING.sub("", _SPACES.sub(" ", question.casefold().strip()))


def check_duplicates(articles: list[Article], directory: Path) -> None:
    """An example question in two places would teach the index both answers."""
    seen: dict[str, str] = {}
    for article in articles:
        for lang, localised in article.texts.items():
            for question in localised.questions:
                key = question_key(question)
                other = seen.setdefault(key, article.id)
                if other != article.id or key in _duplicates_within(localised.questions, key):
                    raise ArticleError(
                        directory / f"{article.id}.yml",
                        f"{lang}.questions",
                        f"'{question}' is already an example question of '{other}'",
                    )


def _duplicates_within(questions: tuple[str, ...], key: str) -> set[str]:
    return {key} if sum(question_key(q) == key for q in questions) > 1 else set()


def content_hash(directory: Path) -> str:
    """Hash of every article file's name and bytes: the index is stale when it changes."""
    digest = hashlib.sha256()
    for path in article_files(directory):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
