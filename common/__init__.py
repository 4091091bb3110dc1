"""What every package shares and nothing project-specific imports back.

The message types and the connector interface every channel speaks
(:mod:`common.messages`, :mod:`common.channel`), the handoff payload the bot and the
desk agree on (:mod:`common.payload`), typed settings, the clock, language
detection, user-facing texts in zh/en/es, Prometheus metrics and HTTP helpers.
"""

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
