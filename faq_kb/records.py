"""Articles as plain records (what the database keeps), validated exactly as a build.

A record is ``{"id", "topic", "texts": {"zh": {"title", "questions", "answer"}, ...}}``.
:func:`validate` runs the same checks as ``python -m faq_kb build`` does on the YAML
files, so the console and the build refuse the same things. :func:`write_dir` and
:func:`read_dir` move records to and from the repository's YAML layout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.language import LANGUAGES
from common.settings import ServiceSettings
from faq_kb.articles import Article, check_duplicates, load_articles, parse_article

Record = dict[str, Any]
FIELDS = ("title", "questions", "answer")


def to_record(article: Article) -> Record:
    return {
        "id": article.id,
        "topic": article.topic,
        "texts": {
            lang: {
                "title": text.title,
                "questions": list(text.questions),
                "answer": text.answer,
            }
            for lang, text in article.texts.items()
        },
    }


def parse(record: Record) -> Article:
    """One record as an Article; :class:`ArticleError` names the field that is wrong."""
    article_id = str(record.get("id") or "")
    texts = record.get("texts")
    raw = {"id": article_id, "topic": record.get("topic")}
    if isinstance(texts, dict):
        raw |= {lang: texts[lang] for lang in LANGUAGES if lang in texts}
    return parse_article(Path(f"{article_id}.yml"), raw, set(ServiceSettings.__fields__))


def validate(records: list[Record]) -> list[Article]:
    """Every record parsed, and no example question in two places."""
    articles = [parse(r) for r in records]
    check_duplicates(articles, Path("."))
    return articles


def normalised(record: Record) -> Record:
    """The record as a build stores it (texts trimmed), so saving twice changes nothing."""
    return to_record(parse(record))


def diff(before: list[Record], after: list[Record]) -> list[Record]:
    """Per-field changes from *before* to *after*: ``{article, field, before, after}``."""
    old = {r["id"]: r for r in before}
    new = {r["id"]: r for r in after}
    changes: list[Record] = []
    for article_id in sorted(old.keys() | new.keys()):
        a, b = old.get(article_id), new.get(article_id)
        if a is None or b is None:
            changes.append(
                {
                    "article": article_id,
                    "field": "*",
                    "before": a and "exists",
                    "after": b and "exists",
                }
            )
            continue
        if a["topic"] != b["topic"]:
            changes.append(
                {"article": article_id, "field": "topic", "before": a["topic"], "after": b["topic"]}
            )
        for lang in LANGUAGES:
            for name in FIELDS:
                was = a["texts"].get(lang, {}).get(name)
                now = b["texts"].get(lang, {}).get(name)
                if was != now:
                    field = f"{lang}.{name}"
                    changes.append(
                        {"article": article_id, "field": field, "before": was, "after": now}
                    )
    return changes


def read_dir(directory: Path) -> list[Record]:
    """The YAML files of *directory*, validated like a build, as records."""
    return [to_record(a) for a in load_articles(directory)]


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Answers read best as blocks, as the hand-written files have them.
    style = (
        "|"
        if "\n" in value and not any(line != line.rstrip() for line in value.split("\n"))
        else None
    )
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def write_dir(records: list[Record], directory: Path) -> int:
    """One ``<id>.yml`` per record (other ``*.yml`` files there are removed)."""
    directory.mkdir(parents=True, exist_ok=True)
    wanted = {f"{r['id']}.yml" for r in records}
    for stale in directory.glob("*.yml"):
        if stale.name not in wanted:
            stale.unlink()
    for record in records:
        body = {"id": record["id"], "topic": record["topic"]}
        body |= {lang: record["texts"][lang] for lang in LANGUAGES}
        text = yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)
        (directory / f"{record['id']}.yml").write_text(text, encoding="utf-8")
    return len(records)
