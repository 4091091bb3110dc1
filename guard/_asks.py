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

from guard import _ask_words as words
from guard._fold import fold

_SENTENCE = re.compile(r"(?<=[.!?;])(?=\s|$)|(?<=[。！？；!?])|\n+")
# Clause breaks: punctuation, and conjunctions that start a new thought.
_CLAUSE = re.compile(
    r"[,，、:：|()（）\[\]\"“”]+|(?=\b(?:but|just|so|then|now|however|anyway|instead|pero|"
    r"solo|asi\s+que|entonces|ahora|sin\s+embargo|mejor)\b)|(?=但是|不过|只要|只需|然后|现在|那就|所以)"
)
_ME = re.compile(r"\b(me|us|nos)\b|给我|发我|告诉我")


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
    if t["HAND_OVER"].search(clause):
        return True
    if t["PUT_IN"].search(clause):
        return bool(t["BAD_PLACE"].search(clause)) or not t["OWN_APP"].search(clause)
    return bool(t["NUDGE"].search(clause)) and not t["ADVICE"].search(clause)


def _asks_by_pronoun(clause: str) -> bool:
    """"…, just send it to me" after the secret was named in an earlier clause."""
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


def find_ask(text: str) -> Ask | None:
    """The first clause of *text* that asks for a secret, or None."""
    recent: str | None = None  # the secret last named, for "send it"
    harmless = _compiled()["HARMLESS"]
    for clause in clauses(text):
        kind = _secret(clause)
        if kind is not None:
            if _asks(clause):
                return Ask(kind, clause)
            recent = kind
        elif recent is not None:
            if harmless.search(clause):
                recent = None
            elif _asks_by_pronoun(clause):
                return Ask(recent, clause)
    return None
