"""Each action server follows the published knowledge base: no restart after a Publish.

At start the live version named in the database (``kb_state``) is loaded, else the
index built from the repository's files. A daemon thread then asks the database
every ``KB_POLL_SECONDS`` which version is live, loads a newer one beside the one
serving (the embedding model is shared, not reloaded) and swaps it in.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from common.settings import kb_settings, service_settings
from faq_kb.index import IndexNotReady
from faq_kb.live import LiveKnowledgeBase
from faq_kb.search import HybridKnowledgeBase
from faq_kb.versions import load_version
from store import kb as kb_store
from store import make_engine, session_factory

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _sessions() -> sessionmaker[Session]:
    return session_factory(make_engine())


def live_version() -> str | None:
    """The published version the database names live (None: none, or no such table)."""
    try:
        with _sessions()() as db:
            return kb_store.live_version(db)[1]
    except SQLAlchemyError as exc:  # not migrated yet, or the database is down
        log.debug("knowledge base: no live version readable: %s", exc)
        return None


def _published(version: str, like: HybridKnowledgeBase) -> HybridKnowledgeBase:
    index = load_version(kb_settings().index_dir, version)
    return HybridKnowledgeBase(index, like.embedder, like.service, like.min_confidence)


def load_live() -> LiveKnowledgeBase:
    built_in = HybridKnowledgeBase.load(kb_settings(), service_settings())
    live = LiveKnowledgeBase(built_in, None)
    refresh(live)
    return live


def refresh(live: LiveKnowledgeBase) -> bool:
    """Swap in the version the database names live if it is new; whether it swapped."""
    version = live_version()
    if version is None or version == live.version:
        return False
    try:
        fresh = _published(version, live.current)
    except (OSError, ValueError, IndexNotReady) as exc:
        log.warning("knowledge base: cannot load published version %s: %s", version, exc)
        return False
    fresh.search("warm up", k=1)
    live.swap(fresh, version)
    log.info("knowledge base: now serving published version %s", version)
    return True


def follow(live: LiveKnowledgeBase) -> threading.Thread:
    """Poll for new versions in a daemon thread for as long as the process runs."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(kb_settings().poll_seconds):
            try:
                refresh(live)
            except Exception:  # the server keeps serving the old one
                log.exception("knowledge base: refresh failed; trying again")

    thread = threading.Thread(target=loop, name="kb-follow", daemon=True)
    thread.start()
    return thread
