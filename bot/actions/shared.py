"""What every action reads: the user's language, the last message, responses, the KB."""

from __future__ import annotations

import logging
from typing import Any, cast

from rasa_sdk import Tracker

from bot import kb_follow
from bot.kb_hits import hits_from
from common.language import DEFAULT_LANGUAGE, LANGUAGES, Language
from common.settings import service_settings
from faq_kb.search import Hit, KnowledgeBase

logger = logging.getLogger(__name__)


def language_of(tracker: Tracker) -> Language:
    value = tracker.get_slot("language")
    return cast(Language, value) if value in LANGUAGES else DEFAULT_LANGUAGE


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def render_response(domain: dict[str, Any], name: str, language: Language) -> str:
    """The text of response *name* for *language*, from the domain's variations.

    Rasa renders a response with the slots as they were before the action ran;
    an action that changes the language renders the confirmation itself.
    """
    variations = domain.get("responses", {}).get(name, [])
    default = ""
    for variation in variations:
        conditions = variation.get("condition") or []
        if not conditions:
            default = default or variation.get("text", "")
        elif any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return str(variation.get("text", ""))
    return default


def service_kwargs() -> dict[str, Any]:
    """Values for {app_name}, {chat_hours}, ... in responses."""
    return service_settings().placeholders()


_knowledge_base: KnowledgeBase | None = None


def knowledge_base() -> KnowledgeBase:
    """Loaded once per process (at action-server start, see bot.actions); the live
    version published in the console when there is one (bot.kb_follow)."""
    global _knowledge_base
    if _knowledge_base is None:
        _knowledge_base = kb_follow.load_live()
    return _knowledge_base


def use_knowledge_base(kb: KnowledgeBase | None) -> None:
    """Serve answers from *kb* instead (tests; an operator's own implementation)."""
    global _knowledge_base
    _knowledge_base = kb


def search_latest(tracker: Tracker, k: int = 3) -> list[Hit]:
    """The knowledge base's hits for the latest message: those Rasa's NLU found with its
    own embedding of it when they are for this text and this index (bot.kb_hits), else
    a search of our own."""
    text = latest_text(tracker)
    kb = knowledge_base()
    fingerprint = getattr(kb, "fingerprint", None)  # an operator's own KB may have none
    if isinstance(fingerprint, str):
        found = hits_from(tracker.latest_message, text, fingerprint)
        if found is not None:
            return found[:k]
    return kb.search(text, k=k)
