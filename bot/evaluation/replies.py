"""What a user was shown, read back into what the bot did: the article it answered, the
flow it started, a clarifying question, a miss, and whether the scam warning came too.

Black-box on purpose: it reads the texts a user sees (the web chat's replies) and
recognises them against the articles' answers and the domain's responses, so it
judges the whole path, not what any one part believes it did.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from common import texts
from common.language import LANGUAGES
from common.settings import ROOT, ServiceSettings
from faq_kb.articles import Article

RESPONSES = ROOT / "bot" / "domain" / "responses.yml"
# A flow is recognised by the first thing the bot says when it starts it.
FLOW_RESPONSES = {
    "missing_transfer": ("utter_missing_transfer_intro",),
    "dispute": ("utter_dispute_intro",),
    "stolen_funds": ("utter_stolen_funds_intro",),
    "password_reset": ("utter_password_reset",),
    "complaint": ("utter_handoff_complaint",),
    "human": ("utter_handoff",),
    "callback": ("utter_callback_intro",),
    "ticket_status": (
        "utter_ticket_none",
        "utter_ticket_waiting",
        "utter_ticket_assigned",
        "utter_ticket_resolved",
        "utter_ticket_unavailable",
    ),
}
CLARIFY_RESPONSES = ("utter_clarify",)
MISS_RESPONSES = ("utter_default", "utter_kb_miss", "utter_out_of_scope", "utter_offer_human")
# Articles whose questions a flow answers better: starting the flow is right too.
ARTICLE_FLOWS = {
    "missing-transfer": "missing_transfer",
    "password-reset": "password_reset",
    "transaction-dispute": "dispute",
    "complaint-feedback": "complaint",
    "stolen-funds": "stolen_funds",
}


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


class _Known(dict[str, str]):
    """Service facts fill their placeholders; any other stays, marked, where it is."""

    def __missing__(self, key: str) -> str:
        return "\x00"


def _prefix(template: str, facts: dict[str, str] | None = None) -> str:
    """What a response always starts with: up to its first placeholder we can't fill."""
    filled = template.format_map(_Known(facts or {})) if "{" in template else template
    return normalise(filled.split("\x00", 1)[0])


@dataclass
class Seen:
    """What one turn showed the user."""

    articles: list[str] = field(default_factory=list)
    flows: list[str] = field(default_factory=list)
    clarified: bool = False
    missed: bool = False
    scam_warning: bool = False

    @property
    def kind(self) -> str:
        if self.flows:
            return "flow"
        if self.clarified:
            return "clarify"
        if self.articles:
            return "article"
        return "fallback"


class ReplyReader:
    def __init__(self, articles: list[Article], service: ServiceSettings) -> None:
        self.answers: dict[str, str] = {}
        for article in articles:
            for language in LANGUAGES:
                self.answers[normalise(article.answer(language, service))] = article.id
        responses: dict[str, Any] = yaml.safe_load(RESPONSES.read_text())["responses"]
        facts = service.placeholders()
        self.prefixes: dict[str, list[str]] = {
            name: [_prefix(v.get("text", ""), facts) for v in variations if v.get("text")]
            for name, variations in responses.items()
        }
        marker = "\x00"  # where the configured channels go
        self.scam = [
            normalise(texts.text(language, "scam", channels=marker).split(marker)[0])
            for language in LANGUAGES
        ]

    def _starts(self, text: str, names: tuple[str, ...]) -> bool:
        return any(
            prefix and text.startswith(prefix)
            for name in names
            for prefix in self.prefixes.get(name, [])
        )

    def read(self, replies: list[str]) -> Seen:
        seen = Seen()
        for raw in replies:
            text = normalise(raw)
            if text in self.answers:
                seen.articles.append(self.answers[text])
            if any(text.startswith(prefix) for prefix in self.scam):
                seen.scam_warning = True
            for flow, names in FLOW_RESPONSES.items():
                if self._starts(text, names):
                    seen.flows.append(flow)
            seen.clarified |= self._starts(text, CLARIFY_RESPONSES)
            seen.missed |= self._starts(text, MISS_RESPONSES)
        return seen


def verdict(expect: str, seen: Seen) -> str:
    """``right``, ``wrong_article``, ``wrong_flow``, ``clarify`` or ``fallback``.

    *expect* is an article id (``a|b``: either), ``flow:<name>``,
    ``scam:<article>`` (the warning and that article, both), or ``none`` (nothing
    answers it: no article and no flow is right).
    """
    if expect == "none":
        wrong = "wrong_flow" if seen.flows else "wrong_article" if seen.articles else None
        return wrong or ("clarify" if seen.clarified else "right")
    if expect.startswith("scam:"):
        if not seen.scam_warning:
            return "no_warning"
        expect = expect.removeprefix("scam:")
    if expect.startswith("flow:"):
        flow = expect.removeprefix("flow:")
        if flow in seen.flows:
            return "right"
    else:
        wanted = set(expect.split("|"))
        if wanted & set(seen.articles) or {ARTICLE_FLOWS.get(a) for a in wanted} & set(seen.flows):
            return "right"
    if seen.flows:
        return "wrong_flow"
    if seen.clarified:
        return "clarify"
    if seen.articles:
        return "wrong_article"
    return "fallback"


def load_cases(path: Path) -> list[tuple[str, str, str]]:
    """(language, expect, question) rows of a labelled TSV file with a header."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        if line.strip():
            language, expect, question = line.split("\t")
            rows.append((language, expect, question))
    return rows
