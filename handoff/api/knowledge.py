"""The knowledge base in the console (``/kb/…``): articles, Try it, Publish, History.

Every agent reads; only supervisors and admins (:func:`kb_editor`) change articles,
publish or restore. A refused article is 422 with ``detail.field`` naming the field
(``en.answer``, ``es``…); an edit or a publish based on something that changed
since the caller loaded it is 409 (reload).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from common.language import normalise_language
from faq_kb.articles import ArticleError
from handoff.api.auth import current_agent, desk_of, errors, require_role
from handoff.knowledge import Knowledge
from store import kb as kb_store
from store.kb_tables import KBArticle, KBRevision
from store.models import Agent

api = APIRouter(prefix="/kb")


# Supervisors and admins edit; agents read.
kb_editor = require_role("supervisor")


def knowledge_of(request: Request) -> Knowledge:
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


@contextlib.contextmanager
def refusals() -> Iterator[None]:
    """An invalid article as 422 naming the field; the store's refusals as usual."""
    try:
        with errors():
            yield
    except ArticleError as exc:
        detail = {"article": exc.path.stem, "field": exc.field, "message": str(exc)}
        raise HTTPException(422, detail) from exc


class ArticleIn(BaseModel):
    topic: str = ""
    texts: dict[str, Any] = Field(..., description='{"zh": {"title", "questions", "answer"}, …}')
    version: int | None = Field(None, description="the version loaded; a stale one is 409")


class NewArticleIn(ArticleIn):
    id: str


class TryIn(BaseModel):
    question: str = Field(..., max_length=1000)
    language: str = "en"


class PublishIn(BaseModel):
    expected_live: int | None = Field(None, description="the live revision the caller saw")


def _article(article: KBArticle) -> dict[str, Any]:
    return {
        **kb_store.record(article),
        "version": article.version,
        "updated_by": article.updated_by,
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
    }


def _summary(article: KBArticle) -> dict[str, Any]:
    texts = article.texts
    return {
        "id": article.id,
        "topic": article.topic,
        "titles": {lang: (text or {}).get("title") for lang, text in texts.items()},
        "questions": sum(len((text or {}).get("questions") or []) for text in texts.values()),
        "version": article.version,
        "updated_by": article.updated_by,
    }


def _matches(article: KBArticle, query: str) -> bool:
    words = [article.id, article.topic]
    for text in article.texts.values():
        words += [text.get("title") or "", text.get("answer") or "", *(text.get("questions") or [])]
    return query in " ".join(str(w) for w in words).casefold()


def _revision(revision: KBRevision, with_diff: bool = False) -> dict[str, Any]:
    out = {
        "id": revision.id,
        "author": revision.author,
        "status": revision.status,
        "changes": len(revision.diff),
        "restored_from": revision.restored_from,
        "error": revision.error,
        "created_at": revision.created_at.isoformat(),
        "finished_at": revision.finished_at.isoformat() if revision.finished_at else None,
    }
    return out | ({"diff": revision.diff} if with_diff else {})


@api.get("/articles")
def list_articles(request: Request, q: str = "", agent: Agent = Depends(current_agent)) -> Any:
    query = q.strip().casefold()
    with desk_of(request).database() as db:
        found = [a for a in kb_store.all_articles(db) if not query or _matches(a, query)]
        return {
            "articles": [_summary(a) for a in found],
            "can_edit": agent.role in ("supervisor", "admin"),
        }


@api.get("/articles/{article_id}", responses={404: {}})
def get_article(article_id: str, request: Request, _: Agent = Depends(current_agent)) -> Any:
    with errors(), desk_of(request).database() as db:
        return _article(kb_store.get_article(db, article_id))


@api.put("/articles/{article_id}", responses={403: {}, 404: {}, 409: {}, 422: {}})
def save_article(
    article_id: str, body: ArticleIn, request: Request, editor: Agent = Depends(kb_editor)
) -> Any:
    knowledge = knowledge_of(request)
    record = {"id": article_id, "topic": body.topic, "texts": body.texts}
    with refusals(), knowledge.database.begin() as db:
        current = kb_store.get_article(db, article_id)
        clean = knowledge.checked(db, record)
        version = body.version if body.version is not None else current.version
        return _article(kb_store.update_article(db, clean, version, editor.display_name))


@api.post("/articles", status_code=201, responses={403: {}, 409: {}, 422: {}})
def create_article(body: NewArticleIn, request: Request, editor: Agent = Depends(kb_editor)) -> Any:
    knowledge = knowledge_of(request)
    record = {"id": body.id.strip(), "topic": body.topic, "texts": body.texts}
    with refusals(), knowledge.database.begin() as db:
        clean = knowledge.checked(db, record)
        return _article(kb_store.create_article(db, clean, editor.display_name))


@api.post("/try")
def try_it(body: TryIn, request: Request, _: Agent = Depends(current_agent)) -> Any:
    """The question through the drafts' index and the live one: top 3 and the bot's move."""
    language = normalise_language(body.language) or "en"
    with refusals():
        return knowledge_of(request).try_question(body.question, language)


@api.get("/status")
def status(request: Request, _: Agent = Depends(current_agent)) -> Any:
    with desk_of(request).database() as db:
        state = kb_store.state(db)
        last = kb_store.revisions(db, 1)
        return {
            "live_revision": state.live_revision,
            "index_version": state.index_version,
            "building_revision": state.building_revision,
            "progress": state.progress,
            "last": _revision(last[0]) if last else None,
        }


@api.post("/publish", status_code=202, responses={403: {}, 409: {}, 422: {}})
def publish(body: PublishIn, request: Request, editor: Agent = Depends(kb_editor)) -> Any:
    """Build the drafts in the background; poll ``/kb/status`` for progress."""
    publisher = knowledge_of(request).publisher
    with refusals():
        revision = publisher.start(editor.display_name, body.expected_live)
    return {"revision": revision}


@api.get("/revisions")
def revisions(request: Request, _: Agent = Depends(current_agent)) -> Any:
    with desk_of(request).database() as db:
        return {"revisions": [_revision(r) for r in kb_store.revisions(db)]}


@api.get("/revisions/{revision_id}", responses={404: {}})
def revision(revision_id: int, request: Request, _: Agent = Depends(current_agent)) -> Any:
    with errors(), desk_of(request).database() as db:
        return _revision(kb_store.get_revision(db, revision_id), with_diff=True)


@api.post(
    "/revisions/{revision_id}/restore", status_code=202, responses={403: {}, 404: {}, 409: {}}
)
def restore(
    revision_id: int, body: PublishIn, request: Request, editor: Agent = Depends(kb_editor)
) -> Any:
    """The drafts become that revision's articles, published as a new revision."""
    knowledge = knowledge_of(request)
    with errors(), knowledge.database() as db:
        articles = kb_store.get_revision(db, revision_id).articles
    with refusals():
        new = knowledge.publisher.start(
            editor.display_name, body.expected_live, articles, restored_from=revision_id
        )
    return {"revision": new}
