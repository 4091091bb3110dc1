"""Pieces shared by the bot, the knowledge base and (later) the desk and connectors."""

from common.language import LANGUAGES, Language, detect_language, normalise_language
from common.settings import KBSettings, ServiceSettings, kb_settings, service_settings

__all__ = [
    "LANGUAGES",
    "KBSettings",
    "Language",
    "ServiceSettings",
    "detect_language",
    "kb_settings",
    "normalise_language",
    "service_settings",
]
