"""The secret guard: every inbound message passes here before it is stored, logged or
sent to Rasa; every agent message passes here before it reaches a user.

    verdict = guard.inspect(conversation_id, text, hash_expected=...)
    verdict.text        # what may be stored, logged and sent on (secrets redacted)
    verdict.secrets     # kinds found: "recovery phrase", "private key", "keystore"
    verdict.scam        # the user reports fake support, a fee to unfreeze, an APK…

Pieces of a phrase sent over several messages are counted per conversation in memory
only: the words themselves are never kept.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from common.language import HAN, HAN_CHAR
from guard._agent import agent_violation
from guard._asks import Ask, find_ask
from guard._links import Link, foreign_links
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

SPLIT_WINDOW_SECONDS = 600
SPLIT_MESSAGES = 6
SPLIT_WORDS = 10  # list words over recent fragment messages that make a phrase


@dataclass
class Verdict:
    text: str
    secrets: list[str] = field(default_factory=list)
    scam: bool = False
    # Messages earlier in the conversation that turned out to be pieces of a phrase.
    earlier_fragments: list[int] = field(default_factory=list)

    @property
    def leaked(self) -> bool:
        return bool(self.secrets)


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
    def __init__(self, official_domains: tuple[str, ...]) -> None:
        self.domains = official_domains
        agent_violation("", official_domains)  # compile the tables now, not on a reply
        # conversation -> (time, list words, message id) of recent phrase-like messages
        self._recent: defaultdict[str, deque[tuple[float, int, int | None]]] = defaultdict(
            lambda: deque(maxlen=SPLIT_MESSAGES)
        )

    def inspect(
        self, conversation_id: str, text: str, hash_expected: Expectation = False
    ) -> Verdict:
        text = normalise(text)
        findings = find_secrets(text, hash_expected)
        verdict = Verdict(redact(text, findings))
        complete = [f for f in findings if f.complete]
        fragments = [f for f in findings if not f.complete]
        verdict.secrets = sorted({f.kind for f in complete})
        words = sum(f.words for f in fragments) or (0 if findings else _short_fragment_words(text))
        if words:
            recent = self._recent[conversation_id]
            now = time.monotonic()
            while recent and now - recent[0][0] > SPLIT_WINDOW_SECONDS:
                recent.popleft()
            if sum(w for _, w, _ in recent) + words >= SPLIT_WORDS:
                verdict.secrets = sorted({*verdict.secrets, PHRASE})
                verdict.earlier_fragments = [m for _, _, m in recent if m is not None]
                recent.clear()
            else:
                recent.append((now, words, None))
        elif not findings:
            self._recent.pop(conversation_id, None)  # an ordinary message breaks the run
        verdict.scam = not verdict.secrets and reports_scam(verdict.text, self.domains)
        return verdict

    def remember_message(self, conversation_id: str, message_id: int) -> None:
        """Tie the latest counted fragment to its stored message, for later redaction."""
        recent = self._recent.get(conversation_id)
        if recent and recent[-1][2] is None:
            at, words, _ = recent[-1]
            recent[-1] = (at, words, message_id)

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
    "PHRASE",
    "PRIVATE_KEY",
    "Ask",
    "Guard",
    "Link",
    "Verdict",
    "agent_violation",
    "find_ask",
    "find_secrets",
    "foreign_links",
    "redact",
    "reports_scam",
    "scam_signals",
    "unsafe_links",
]
