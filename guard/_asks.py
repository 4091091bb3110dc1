"""Does an agent's message ask the user for a recovery phrase, key or the like?

A message is cut into clauses ("Don't worry, | just send me your phrase") and each
clause is judged alone, so a "never" only excuses the ask it governs. A clause asks
when it names a secret and either hands it over ("send", "发给我", "envíame"), puts it
somewhere that isn't the user's own app ("type it here", "to verify"), or nudges
("please", "just", "?"). It is excused when a negation governs the ask verb ("we will
never ask for"), when somebody else is the one asking ("anyone who asks is a
scammer"), or when it asks *about* the secret ("did you share it?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from common.language import HAN
from guard import _ask_words as words
from guard._fold import fold

_SENTENCE = re.compile(r"(?<=[.!?;])(?=\s|$)|(?<=[。！？；!?])|\n+")
# Clause breaks: punctuation, and conjunctions that start a new thought.
_CLAUSE = re.compile(
    r"[,，、:：|()（）\[\]]+|(?=\b(?:but|just|so|then|now|however|anyway|instead|pero|"
    r"solo|asi\s+que|entonces|ahora|sin\s+embargo|mejor)\b)|(?=但是|不过|只要|只需|然后|现在|那就|所以)"
)
_ME = re.compile(r"\b(me|us|nos)\b|给我|发我|告诉我")
# "…only to me", "solo a mí", "只告诉我": after "don't tell anyone", the ask itself.
_ONLY_ME = re.compile(
    r"\b(only|just)\s+(to\s+)?(me|us)\b|\bsolo\s+a\s+(mi|nosotros)\b|只(告诉|发给|给)我"
)
_FILLER = re.compile(
    r"\b(your|ur|yr|the|my|tu|tus|su|sus|la|las|el|los|de|please|por\s+favor|and|then|also|"
    r"plus|now|y|luego|ahora)\b|你的|您的|请|然后|还有|再|[?？\"“”]"
)


def _table(table: dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{table[lang]})" for lang in ("en", "es", "zh")))


@lru_cache(maxsize=1)
def _compiled() -> dict[str, re.Pattern[str]]:
    tables = {
        name: _table(getattr(words, name))
        for name in (
            "HAND_OVER",
            "PUT_IN",
            "BAD_PLACE",
            "OWN_APP",
            "OTHERS_ASK",
            "ASKS_ABOUT",
            "NEGATION",
            "IDIOMS",
            "OVERRIDE",
            "NUDGE",
            "WE_NEED",
            "ADVICE",
            "HARMLESS",
            "PRONOUN",
        )
    }
    for kind, per_language in words.SECRETS.items():
        tables[f"secret:{kind}"] = re.compile(
            "|".join(f"(?:{p})" for lang in ("en", "es", "zh") for p in per_language[lang])
        )
    return tables


@dataclass(frozen=True)
class Ask:
    kind: str  # "recovery phrase", "private key", "keystore file", "password", "signature"
    clause: str  # the clause that asks, folded, for the reason shown to the agent


def _secret(clause: str) -> str | None:
    tables = _compiled()
    for kind in words.SECRETS:
        if tables[f"secret:{kind}"].search(clause):
            return kind
    return None


def _excused(clause: str) -> bool:
    t = _compiled()
    if t["NEGATION"].search(clause) or t["ASKS_ABOUT"].search(clause):
        return True
    return bool(t["OTHERS_ASK"].search(clause)) and not _ME.search(clause)


def _asks(clause: str) -> bool:
    """Whether a clause that names a secret asks for it."""
    t = _compiled()
    if t["OVERRIDE"].search(clause):
        return True
    if _excused(clause):
        return False
    if t["HAND_OVER"].search(clause) or t["WE_NEED"].search(clause):
        return True
    if t["PUT_IN"].search(clause):
        return bool(t["BAD_PLACE"].search(clause)) or not t["OWN_APP"].search(clause)
    return bool(t["NUDGE"].search(clause)) and not t["ADVICE"].search(clause)


def _asks_by_pronoun(clause: str) -> bool:
    """Asks by "it": "…, just send it to me", the secret named in an earlier clause."""
    t = _compiled()
    if not t["PRONOUN"].search(clause) or _excused(clause):
        return False
    if t["HAND_OVER"].search(clause):
        return True
    return bool(t["PUT_IN"].search(clause) and t["BAD_PLACE"].search(clause))


def clauses(text: str) -> list[str]:
    """The folded text cut into clauses, with the misleading negations taken out."""
    folded = _compiled()["IDIOMS"].sub("|", fold(text))
    found: list[str] = []
    for sentence in _SENTENCE.split(folded):
        if sentence:
            parts = _CLAUSE.split(sentence)
            found.extend(p.strip() for p in parts if p and p.strip() and len(p.strip()) > 1)
    return found


def _fragment(clause: str, kind: str) -> bool:
    """A clause that is little more than the secret's name: "Your 24 words, quickly"."""
    rest = _compiled()[f"secret:{kind}"].sub(" ", clause)
    rest = _FILLER.sub(" ", rest)
    return not re.search(rf"[a-z]+|[{HAN}]", rest)


def find_ask(text: str) -> Ask | None:
    """The first clause of *text* that asks for a secret, or None."""
    t = _compiled()
    folded = fold(text)
    if _secret(folded) is None and not _ONLY_ME.search(folded):
        return None  # one pass over the whole text spares most replies the clause work
    recent: str | None = None  # the secret last named, for "send it"
    warned = False  # the clause before said "don't share…", for "…except me"
    parts = clauses(text)
    for i, clause in enumerate(parts):
        kind = _secret(clause)
        following = parts[i + 1] if i + 1 < len(parts) else ""
        if kind is not None:
            if _asks(clause):
                return Ask(kind, clause)
            if (
                _fragment(clause, kind)
                and not _excused(following)
                and not t["ADVICE"].search(following)
            ):
                return Ask(kind, clause)
            recent = kind
        elif recent is not None and t["HARMLESS"].search(clause):
            recent = None
        elif recent is not None and _asks_by_pronoun(clause):
            return Ask(recent, clause)
        elif warned and _ONLY_ME.search(clause):
            return Ask(recent or "recovery phrase", clause)
        warned = bool(t["NEGATION"].search(clause))
    return None
