"""Which of the supported languages a text is written in.

Short support messages defeat statistical detectors ("ok", "100u", a tx hash),
so this is a deliberately small scorer: CJK characters decide Chinese, and
Spanish vs English is decided by marker characters and function words. When
there is no signal it says so (``None``) and the caller keeps the language
the conversation already has.
"""

from __future__ import annotations

import re
from typing import Literal, cast, get_args

Language = Literal["zh", "en", "es"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"

# Han characters (CJK Extension A, Unified Ideographs, Compatibility Ideographs): the
# body of a character class, for every pattern in the project that looks for Chinese.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_OTHER_SCRIPTS = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0590-\u05ff\u0e00-\u0e7f\u0900-\u097f]")
_WORD = re.compile(r"[a-záéíóúüñ]+")
_ES_MARKS = re.compile(r"[ñ¿¡áéíóú]")

_ES_WORDS = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "de",
        "del",
        "que",
        "mi",
        "mis",
        "por",
        "para",
        "como",
        "cómo",
        "no",
        "sí",
        "si",
        "hola",
        "gracias",
        "tengo",
        "tiene",
        "está",
        "esta",
        "estoy",
        "es",
        "son",
        "un",
        "una",
        "unos",
        "con",
        "al",
        "se",
        "lo",
        "le",
        "me",
        "te",
        "su",
        "qué",
        "que",
        "cuando",
        "cuándo",
        "donde",
        "dónde",
        "quiero",
        "puedo",
        "puede",
        "necesito",
        "ayuda",
        "dinero",
        "cuenta",
        "contraseña",
        "contrasena",
        "transferencia",
        "olvidé",
        "olvide",
        "billetera",
        "cartera",
        "llegó",
        "llego",
        "hablar",
        "agente",
        "persona",
        "humano",
        "favor",
        "buenos",
        "buenas",
        "días",
        "dias",
        "tardes",
        "noches",
        "adiós",
        "adios",
        "pero",
        "muy",
        "ya",
        "hace",
        "ayer",
        "hoy",
        "mañana",
        "manana",
        "enviado",
        "envié",
        "envie",
        "recibido",
        "recibí",
        "recibi",
        "todavía",
        "todavia",
        "aún",
        "aun",
        "nada",
        "bien",
        "mal",
        "también",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "my",
        "i",
        "i'm",
        "is",
        "are",
        "was",
        "were",
        "to",
        "you",
        "your",
        "how",
        "what",
        "why",
        "when",
        "where",
        "can",
        "could",
        "would",
        "it",
        "of",
        "and",
        "have",
        "has",
        "not",
        "did",
        "do",
        "does",
        "with",
        "for",
        "please",
        "hello",
        "hi",
        "hey",
        "thanks",
        "thank",
        "yes",
        "no",
        "this",
        "that",
        "me",
        "help",
        "money",
        "account",
        "password",
        "transfer",
        "wallet",
        "forgot",
        "arrived",
        "received",
        "sent",
        "still",
        "yet",
        "talk",
        "agent",
        "person",
        "human",
        "want",
        "need",
        "get",
        "got",
        "be",
        "been",
        "an",
        "a",
        "at",
        "on",
        "in",
        "from",
        "send",
    ]
)

_ALIASES: dict[str, Language] = {
    "zh": "zh", "cn": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "普通话": "zh",
    "简体中文": "zh", "繁體中文": "zh", "chino": "zh",
    "en": "en", "english": "en", "英文": "en", "英语": "en", "inglés": "en", "ingles": "en",
    "es": "es", "spanish": "es", "español": "es", "espanol": "es", "西班牙语": "es",
    "西语": "es", "castellano": "es",
}  # fmt: skip


def normalise_language(value: object) -> Language | None:
    """Map a locale or language name ("zh-CN", "es_419", "English") to a code."""
    if not isinstance(value, str) or not value.strip():
        return None
    key = value.strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    base = re.split(r"[-_]", key, maxsplit=1)[0]
    return _ALIASES.get(base) if base in LANGUAGES else None


def detect_language(text: str) -> Language | None:
    """Guess the language of *text*; ``None`` when the text gives no signal."""
    han = len(HAN_CHAR.findall(text))
    if _KANA_HANGUL.search(text):
        return None
    if han >= 2 or (han == 1 and len(text.strip()) <= 3):
        return "zh"
    lowered = text.lower()
    if _OTHER_SCRIPTS.search(lowered) and not _WORD.search(lowered):
        return None
    words = _WORD.findall(lowered)
    es = 2 * len(_ES_MARKS.findall(lowered)) + sum(w in _ES_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if es == en:
        return None
    return cast(Language, "es" if es > en else "en")


_MENTION = re.compile(
    "|".join(
        sorted(
            (re.escape(a) for a in _ALIASES if len(a) > 2 or HAN_CHAR.search(a)),
            key=len,
            reverse=True,
        )
    )
)


def find_language(text: str) -> Language | None:
    """The language a user names in a request ("说中文", "in English please")."""
    match = _MENTION.search(text.lower())
    return _ALIASES[match.group()] if match else None
