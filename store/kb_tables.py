"""The knowledge base's tables (migration 0014): articles, revisions, the live row."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Float, Integer, String, Text

from common.clock import utcnow
from store.models import Base, UtcDateTime


class KBArticle(Base):
    """An article as the editors have it now: what the next publish builds."""

    __tablename__ = "kb_articles"

    id = Column(String(100), primary_key=True)
    topic = Column(String(30), nullable=False)
    # {"zh": {"title": …, "questions": […], "answer": …}, "en": {…}, "es": {…}}
    texts = Column(JSON, nullable=False)
    # Bumped by every save: an edit based on an older version is refused (409).
    version = Column(Integer, nullable=False, default=1)
    updated_by = Column(String(100), nullable=True)
    updated_at = Column(UtcDateTime(), nullable=False, default=utcnow)


class KBRevision(Base):
    """One publish: the articles it built, whom by, and what changed since the last."""

    __tablename__ = "kb_revisions"

    id = Column(Integer, primary_key=True)
    author = Column(String(100), nullable=False)
    status = Column(String(10), nullable=False)  # building | live | failed
    articles = Column(JSON, nullable=False)  # [{"id", "topic", "texts"}], sorted by id
    diff = Column(JSON, nullable=False)  # [{"article", "field", "before", "after"}]
    restored_from = Column(Integer, nullable=True)
    index_version = Column(String(100), nullable=True)  # the index directory's name
    error = Column(Text, nullable=True)
    created_at = Column(UtcDateTime(), nullable=False, default=utcnow)
    finished_at = Column(UtcDateTime(), nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('building', 'live', 'failed')", name="kb_status"),
    )


class KBState(Base):
    """One row (id 1): the live index every action server polls, and the build running."""

    __tablename__ = "kb_state"

    id = Column(Integer, primary_key=True)
    live_revision = Column(Integer, nullable=True)
    index_version = Column(String(100), nullable=True)
    building_revision = Column(Integer, nullable=True)
    building_since = Column(UtcDateTime(), nullable=True)
    progress = Column(Float, nullable=False, default=0.0)
