"""The secret guard: every inbound message passes here before it is stored, logged or
sent to Rasa; every agent message passes here before it reaches a user.

    verdict = guard.inspect(conversation_id, text, hash_expected=...)
    verdict.text        # what may be stored, logged and sent on (secrets redacted)
    verdict.secrets     # kinds found: "recovery phrase", "private key", "keystore"
    verdict.scam        # the user reports fake support, a fee to unfreeze, an APK…

Pieces of a phrase sent over several messages are counted per conversation, once the
message is stored (:meth:`Guard.count`: a retried delivery the store finds to be a
duplicate is never counted twice), in a :class:`FragmentCounts` store: this process's
memory by default, Redis when the gateway has it. Only counts and message ids are kept,
never the words.

A message that is itself a piece (two or three list words and nothing else, say) is
held back from the bot (:attr:`Verdict.piece`): Rasa's tracker keeps every message it
gets, and no later redaction reaches it. Short messages of list words that read as
ordinary ("thank you", "human agent": ``guard._pieces``) still go to the bot, unless
they come inside a run of pieces.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from common.language import HAN, HAN_CHAR
from guard._agent import agent_violation
from guard._asks import Ask, find_ask
from guard._links import Link, foreign_links
from guard._pieces import PAIRS as ORDINARY_PAIRS
from guard._pieces import neighbour_pairs, ordinary, phrase_runs
from guard._scam import reports_scam, scam_signals, unsafe_links
from guard._secrets import (
    KEYSTORE,
    PHRASE,
    PRIVATE_KEY,
    Expectation,
    Finding,
    _fold,
    _lists,
    find_secrets,
    normalise,
)
from guard.fragments import (
    SPLIT_MESSAGES,
    SPLIT_WINDOW_SECONDS,
    FragmentCounts,
    MemoryCounts,
    Piece,
    within_window,
)

SPLIT_WORDS = 10  # list words over recent fragment messages that make a phrase


@dataclass
class Verdict:
    text: str
    secrets: list[str] = field(default_factory=list)
    scam: bool = False
    # Which signs of a scam (guard._scam.SIGNALS' names, "link"): names only, never text.
    scam_signals: list[str] = field(default_factory=list)
    # Messages earlier in the conversation that turned out to be pieces of a phrase.
    earlier_fragments: list[int] = field(default_factory=list)
    # For :meth:`Guard.count`: list words of a phrase-like piece; list words of a short
    # message that reads as ordinary ("thank you": a piece only inside a run of them);
    # or whether the message is an ordinary one that breaks a run of pieces.
    fragment_words: int = 0
    ordinary_words: int = 0
    breaks_run: bool = False

    @property
    def leaked(self) -> bool:
        return bool(self.secrets)

    @property
    def piece(self) -> bool:
        """A piece of a phrase, not (yet) the whole: it must not reach the bot."""
        return bool(self.fragment_words) and not self.secrets


def redact(text: str, findings: list[Finding]) -> str:
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        text = f"{text[: finding.start]}[redacted: {finding.kind}]{text[finding.end :]}"
    return text


def _short_fragment_words(text: str) -> int:
    """List words in a message made of nothing else (a 2- or 3-word piece of a phrase)."""
    latin, han = _lists()
    words = re.findall(r"[^\W\d_]+", text)
    if 2 <= len(words) <= 3 and all(_fold(w) in latin for w in words):
        return len(words)
    chars = HAN_CHAR.findall(text)
    if 2 <= len(chars) <= 6 and re.fullmatch(f"[\\s{HAN}]+", text.strip()):
        spaced = " " in text.strip()
        if spaced and all(c in han for c in chars):
            return len(chars)
    return 0


class Guard:
    def __init__(
        self, official_domains: tuple[str, ...], counts: FragmentCounts | None = None
    ) -> None:
        self.domains = official_domains
        agent_violation("", official_domains)  # compile the tables now, not on a reply
        self.counts: FragmentCounts = counts or MemoryCounts()

    def inspect(
        self, conversation_id: str, text: str, hash_expected: Expectation = False
    ) -> Verdict:
        """What may be stored, and the secrets in this message alone; pieces of a phrase
        are added up by :meth:`count` once the message is stored."""
        text = normalise(text)
        findings = find_secrets(text, hash_expected)
        if not findings:  # half a phrase inside a question is still half a phrase
            findings = [Finding(PHRASE, a, b, n, complete=False) for a, b, n in phrase_runs(text)]
        verdict = Verdict(redact(text, findings))
        complete = [f for f in findings if f.complete]
        fragments = [f for f in findings if not f.complete]
        verdict.secrets = sorted({f.kind for f in complete})
        words = sum(f.words for f in fragments) or (0 if findings else _short_fragment_words(text))
        if words and ordinary(text):
            verdict.ordinary_words = words
        else:
            verdict.fragment_words = words
        if verdict.fragment_words and not findings:
            # Stored, logged and shown redacted from the start: if this piece comes after
            # a phrase was recognised, no later count may add up to redact it.
            verdict.text = f"[redacted: {PHRASE}]"
        verdict.breaks_run = not words and not findings
        if not verdict.secrets:
            verdict.scam_signals = scam_signals(verdict.text, self.domains)
        verdict.scam = bool(verdict.scam_signals)
        return verdict

    def count(self, conversation_id: str, message_id: int, verdict: Verdict) -> Verdict:
        """Add the stored message *message_id* to the conversation's run of pieces; when
        the run adds up to a phrase, *verdict* says so and names the earlier pieces.

        Called only for a message the store kept (not a duplicate): counting after the
        store, rather than in :meth:`inspect`, is what keeps a retried delivery from
        being counted twice."""
        if verdict.breaks_run:
            self.counts.clear(conversation_id)  # an ordinary message breaks the run
            return verdict
        if verdict.ordinary_words and not verdict.fragment_words:
            # "thank you" on its own is for the bot; between pieces, it is one more.
            if not within_window(self.counts.recent(conversation_id)):
                return verdict
            verdict.fragment_words = verdict.ordinary_words
        if not verdict.fragment_words:
            return verdict
        recent = within_window(
            self.counts.add(conversation_id, Piece(time.time(), verdict.fragment_words, message_id))
        )
        # A retry the store didn't catch (or a second count) must not add up twice.
        pieces = {p.message_id: p.words for p in recent}
        if sum(pieces.values()) >= SPLIT_WORDS:
            verdict.secrets = sorted({*verdict.secrets, PHRASE})
            verdict.earlier_fragments = [m for m in pieces if m != message_id]
            verdict.scam = False
            verdict.scam_signals = []
            self.counts.clear(conversation_id)
        return verdict

    def scrub(self, text: str) -> str:
        """Redact without counting pieces: for text that doesn't come through the router
        (edits, notes, an agent's own message)."""
        text = normalise(text)
        return redact(text, find_secrets(text, hash_expected=True))

    def check_name(self, name: str) -> Verdict:
        """A file's name, redacted like any text and not counted as a piece of a phrase.
        A bare 64-hex name counts as a key: a name has no context to call it a hash."""
        name = normalise(name)
        findings = find_secrets(name)
        return Verdict(redact(name, findings), sorted({f.kind for f in findings if f.complete}))

    def check_agent(self, text: str) -> str | None:
        """Why an agent's reply must not reach the user (shown to the agent), or None.

        The reason quotes the ask, which may hold a user's phrase or key the agent
        pasted: it is redacted like any text that is stored, logged or shown."""
        violation = agent_violation(normalise(text), self.domains)
        return None if violation is None else self.scrub(violation)


__all__ = [
    "KEYSTORE",
    "ORDINARY_PAIRS",
    "PHRASE",
    "PRIVATE_KEY",
    "SPLIT_MESSAGES",
    "SPLIT_WINDOW_SECONDS",
    "Ask",
    "FragmentCounts",
    "Guard",
    "Link",
    "MemoryCounts",
    "Piece",
    "Verdict",
    "agent_violation",
    "find_ask",
    "find_secrets",
    "foreign_links",
    "neighbour_pairs",
    "redact",
    "reports_scam",
    "scam_signals",
    "unsafe_links",
]
