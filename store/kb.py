"""Live knowledge-base articles, their publishes, and which index is live.

Articles are plain records here (``{"id", "topic", "texts"}``); faq_kb validates
them. A publish is one :class:`KBRevision`; the single ``kb_state`` row says which
revision's index every action server should serve and which build is running, and
it is only ever changed by conditional updates, so two publishes at once cannot
both start (the loser is told :class:`Conflict`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from common.clock import utcnow
from store.errors import Conflict, NotFound
from store.kb_tables import KBArticle, KBRevision, KBState

Record = dict[str, Any]
# A build whose process died (a gateway restarted mid-publish) must not block
# publishing forever: after this long another publish may take over.
STALE_BUILD = timedelta(minutes=15)


def record(article: KBArticle) -> Record:
    return {"id": article.id, "topic": article.topic, "texts": article.texts}


def all_articles(db: Session) -> list[KBArticle]:
    return list(db.scalars(select(KBArticle).order_by(KBArticle.id)))


def count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(KBArticle)) or 0)


def get_article(db: Session, article_id: str) -> KBArticle:
    article = db.get(KBArticle, article_id)
    if article is None:
        raise NotFound(f"no article '{article_id}'")
    return article


def snapshot(db: Session) -> list[Record]:
    return [record(a) for a in all_articles(db)]


def create_article(db: Session, data: Record, by: str) -> KBArticle:
    if db.get(KBArticle, data["id"]) is not None:
        raise Conflict(f"an article '{data['id']}' exists already")
    article = KBArticle(id=data["id"], topic=data["topic"], texts=data["texts"], updated_by=by)
    db.add(article)
    db.flush()
    return article


def update_article(db: Session, data: Record, version: int, by: str) -> KBArticle:
    """Save *data* over the article if nobody saved it since *version* (else Conflict)."""
    get_article(db, data["id"])
    changed = db.execute(
        update(KBArticle)
        .where(KBArticle.id == data["id"], KBArticle.version == version)
        .values(
            topic=data["topic"],
            texts=data["texts"],
            version=KBArticle.version + 1,
            updated_by=by,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict(f"'{data['id']}' was changed by someone else since you opened it: reload")
    article = get_article(db, data["id"])
    db.refresh(article)
    return article


def replace_all(db: Session, records: list[Record], by: str) -> None:
    """The whole set of articles becomes *records* (import, restore)."""
    current = {a.id: a for a in all_articles(db)}
    wanted = {r["id"] for r in records}
    gone = [i for i in current if i not in wanted]
    if gone:
        db.execute(delete(KBArticle).where(KBArticle.id.in_(gone)))
    for data in records:
        article = current.get(data["id"])
        if article is None:
            db.add(
                KBArticle(id=data["id"], topic=data["topic"], texts=data["texts"], updated_by=by)
            )
        elif article.topic != data["topic"] or article.texts != data["texts"]:
            article.topic, article.texts = data["topic"], data["texts"]
            article.version = article.version + 1
            article.updated_by, article.updated_at = by, utcnow()
    db.flush()


def state(db: Session) -> KBState:
    row = db.get(KBState, 1)
    if row is None:  # the migration inserts it; a hand-made schema might not
        row = KBState(id=1, progress=0.0)
        db.add(row)
        db.flush()
    return row


def live_version(db: Session) -> tuple[int | None, str | None]:
    """(live revision, its index directory's name): what the action servers poll."""
    row = db.execute(select(KBState.live_revision, KBState.index_version)).first()
    return (row[0], row[1]) if row is not None else (None, None)


def begin_publish(
    db: Session,
    author: str,
    expected_live: int | None,
    articles: list[Record],
    diff: list[Record],
    restored_from: int | None = None,
) -> KBRevision:
    """A new revision in 'building', if no build runs and *expected_live* is still live."""
    state(db)
    revision = KBRevision(
        author=author,
        status="building",
        articles=articles,
        diff=diff,
        restored_from=restored_from,
    )
    db.add(revision)
    db.flush()
    now = utcnow()
    live = (
        KBState.live_revision.is_(None)
        if expected_live is None
        else KBState.live_revision == expected_live
    )
    idle = or_(KBState.building_revision.is_(None), KBState.building_since < now - STALE_BUILD)
    taken = db.execute(
        update(KBState)
        .where(KBState.id == 1, live, idle)
        .values(building_revision=revision.id, building_since=now, progress=0.0)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        raise Conflict("another publish is running or has just finished: reload and try again")
    return revision


def set_progress(db: Session, revision_id: int, progress: float) -> None:
    db.execute(
        update(KBState)
        .where(KBState.id == 1, KBState.building_revision == revision_id)
        .values(progress=progress)
        .execution_options(synchronize_session=False)
    )


def finish_publish(db: Session, revision_id: int, index_version: str) -> None:
    """The revision's index is built: it becomes the live one."""
    revision = get_revision(db, revision_id)
    revision.status, revision.index_version, revision.finished_at = "live", index_version, utcnow()
    db.execute(
        update(KBState)
        .where(KBState.id == 1)
        .values(
            live_revision=revision_id,
            index_version=index_version,
            building_revision=None,
            building_since=None,
            progress=1.0,
        )
        .execution_options(synchronize_session=False)
    )


def fail_publish(db: Session, revision_id: int, error: str) -> None:
    """The build failed: the live index stays what it was."""
    revision = get_revision(db, revision_id)
    revision.status, revision.error, revision.finished_at = "failed", error[:2000], utcnow()
    db.execute(
        update(KBState)
        .where(KBState.id == 1, KBState.building_revision == revision_id)
        .values(building_revision=None, building_since=None, progress=0.0)
        .execution_options(synchronize_session=False)
    )


def get_revision(db: Session, revision_id: int) -> KBRevision:
    revision = db.get(KBRevision, revision_id)
    if revision is None:
        raise NotFound(f"no revision {revision_id}")
    return revision


def revisions(db: Session, limit: int = 50) -> list[KBRevision]:
    return list(db.scalars(select(KBRevision).order_by(KBRevision.id.desc()).limit(limit)))


def last_live_articles(db: Session) -> list[Record] | None:
    """The articles of the live revision (None: nothing published from the database yet)."""
    live, _ = live_version(db)
    return get_revision(db, live).articles if live is not None else None
