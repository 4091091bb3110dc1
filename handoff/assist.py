"""Knowledge assist: the articles closest to what the user said last, for the agent.

Computed when an agent opens a session (``GET /api/agent/sessions/{id}/articles``),
never per message, so a user's message costs the gateway nothing more. It ranks with
the knowledge base's lexical side in this process (:mod:`faq_kb.lexical_search`):
no embedding model, no TensorFlow, no call to the bot's processes (which may be the
very thing that is down when users reach the desk). The index is read on the first
request, once; a sync endpoint runs this in FastAPI's thread pool, off the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.language import Language, normalise_language
from common.settings import KBSettings, ServiceSettings
from faq_kb.index import IndexNotReady
from faq_kb.lexical_search import LexicalKnowledgeBase
from guard import Guard
from store.models import HandoffSession, Message

RECENT = 3  # user messages read; older ones drift from what is asked now
SUGGESTIONS = 3


class Unavailable(RuntimeError):
    """No knowledge-base index to read (HTTP 503); the message says how to build one."""


class Assist:
    def __init__(
        self,
        settings: KBSettings,
        service: ServiceSettings,
        guard: Guard,
        check: Callable[[str], str | None] | None = None,
    ) -> None:
        self.settings = settings
        self.service = service
        self.guard = guard
        # What the desk would refuse on send (Desk.check_reply), else the bare guard.
        self.check = check or guard.check_agent
        self._kb: LexicalKnowledgeBase | None = None
        self._lock = threading.Lock()

    def knowledge_base(self) -> LexicalKnowledgeBase:
        with self._lock:  # two agents opening sessions at once load it once
            if self._kb is None:
                try:
                    self._kb = LexicalKnowledgeBase.load(self.settings, self.service)
                except IndexNotReady as exc:
                    raise Unavailable(str(exc)) from exc
            return self._kb

    def query(self, db: Session, session: HandoffSession) -> str:
        """The user's last few messages, oldest first (button payloads left out)."""
        rows = db.execute(
            select(Message.text)
            .where(
                Message.conversation_id == session.conversation_id,
                Message.author == "user",
                Message.kind == "message",
            )
            .order_by(Message.id.desc())
            .limit(RECENT * 2)
        ).scalars()
        said = [text for text in rows if text.strip() and not text.startswith("/")][:RECENT]
        return "\n".join(reversed(said))

    def suggest(self, session_language: str, query: str) -> dict[str, Any]:
        """The articles for *query* (from :meth:`query`), in the session's *language*.
        Called outside any transaction: loading and searching the index takes CPU
        seconds, and on SQLite a transaction holds the one write lock meanwhile."""
        language: Language = normalise_language(session_language) or "en"
        kb = self.knowledge_base()
        articles = []
        for hit in kb.search(query, k=SUGGESTIONS):
            article = kb.article(hit.article_id)
            if article is None:
                continue
            answer = kb.answer(hit.article_id, language)
            articles.append(
                {
                    "id": hit.article_id,
                    "title": article.title(language),
                    "answer": answer,
                    "score": round(hit.score, 3),
                    # Said before the agent sends it: the reply would be refused as written.
                    "guard": self.check(answer),
                }
            )
        return {"language": language, "query": query, "articles": articles}
