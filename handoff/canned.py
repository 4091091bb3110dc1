"""Canned replies: what an agent may save, and a reply filled in for one session.

A text's placeholders are ``{name}`` with a name from :data:`PLACEHOLDERS`; anything
else in braces is refused when the reply is saved, so a typo never reaches a user.
When a session has no value for a placeholder, the filled text keeps a visible
marker (``[[tx_hash]]``) in its place, and :func:`unfilled` finds it, so the reply
API refuses a text that still has one: an agent never sends a silent gap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from common.language import LANGUAGES, Language
from common.messages import MAX_TEXT
from store.models import Agent, HandoffSession

# name -> where its value comes from, as the management panel explains it
PLACEHOLDERS: dict[str, str] = {
    "ticket": "the session's ticket number",
    "agent_name": "your display name",
    "user_name": "the user's name, when the channel gave one",
    "chain": "network the user named",
    "token": "token",
    "amount": "amount",
    "tx_hash": "transaction hash",
    "to_address": "destination address",
    "transfer_time": "when the user says they sent it",
    "counterparty": "the other party (disputes)",
    "description": "the user's description (disputes)",
}
FALLBACK: Language = "en"
_BRACES = re.compile(r"\{([^{}]*)\}")
_SHORTCUT = re.compile(r"[\w-]{1,32}")
_MARKER = re.compile(r"\[\[(" + "|".join(PLACEHOLDERS) + r")\]\]")


class Invalid(ValueError):
    """A canned reply that can't be saved (HTTP 422); the message says why."""


def marker(name: str) -> str:
    return f"[[{name}]]"


def clean_shortcut(raw: str) -> str:
    """Lower-case, without a leading "/"; letters (any script), digits, "-" and "_"."""
    shortcut = raw.strip().removeprefix("/").lower()
    if not _SHORTCUT.fullmatch(shortcut):
        raise Invalid(
            f"the shortcut '{raw}' must be 1 to 32 letters, digits, '-' or '_' (no spaces)"
        )
    return shortcut


def placeholders(text: str) -> list[str]:
    return [name.strip() for name in _BRACES.findall(text)]


def clean_variants(raw: dict[str, str]) -> dict[Language, str]:
    """The variants to store: known languages, none empty, at least one, known placeholders."""
    unknown_languages = sorted(set(raw) - set(LANGUAGES))
    if unknown_languages:
        raise Invalid(f"unknown language {', '.join(unknown_languages)}: use zh, en or es")
    variants: dict[Language, str] = {}
    for lang in LANGUAGES:
        if lang not in raw:
            continue
        text = raw[lang].strip()
        if not text:
            raise Invalid(f"the {lang} variant is empty: write it or leave it out")
        if len(text) > MAX_TEXT:
            raise Invalid(f"the {lang} variant is over {MAX_TEXT} characters")
        unknown = [name for name in placeholders(text) if name not in PLACEHOLDERS]
        if unknown:
            names = ", ".join("{" + name + "}" for name in dict.fromkeys(unknown))
            raise Invalid(
                f"unknown placeholder {names} in the {lang} variant; "
                f"known: {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
            )
        variants[lang] = text
    if not variants:
        raise Invalid("write at least one variant (zh, en or es)")
    return variants


def session_values(session: HandoffSession, agent: Agent) -> dict[str, str | None]:
    """Each placeholder's value in *session*, None where there is none."""
    payload: dict[str, Any] = session.payload or {}
    details: dict[str, Any] = payload.get("details") or {}
    values: dict[str, str | None] = {
        "ticket": session.ticket,
        "agent_name": agent.display_name,
        "user_name": payload.get("user_name"),
    }
    for name in PLACEHOLDERS:
        if name in values:
            continue
        value = details.get(name)
        if isinstance(value, dict):  # transfer_time: {"raw": what the user said, "parsed": …}
            value = value.get("raw")
        # "unknown" is what the user answered "I don't know" with: not a value to quote.
        values[name] = str(value) if value not in (None, "", "unknown") else None
    return values


@dataclass(frozen=True)
class Filled:
    language: Language  # the variant used: the session's, else English, else the first
    text: str
    missing: list[str]  # placeholders left as markers, in order of appearance


def pick_language(variants: dict[Language, str], wanted: str) -> Language:
    if wanted in variants:
        return wanted
    if FALLBACK in variants:
        return FALLBACK
    return next(iter(variants))


def fill(variants: dict[Language, str], wanted: str, values: dict[str, str | None]) -> Filled:
    language = pick_language(variants, wanted)
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        value = values.get(name)
        if value is None:
            missing.append(name)
            return marker(name)
        return value

    # One pass: a value that itself holds braces (a user's description) stays as written.
    text = _BRACES.sub(one, variants[language])
    return Filled(language, text, list(dict.fromkeys(missing)))


def unfilled(text: str) -> list[str]:
    """Markers of placeholders an agent has not filled in yet."""
    return list(dict.fromkeys(_MARKER.findall(text)))
