"""The knowledge base's own answers: an agent may send them as they are.

The agent guard refuses a reply that asks for a secret or links off the official
domains. Several official answers *talk about* secrets ("your wallet password only
unlocks the app", "support never asks for your recovery phrase") and read to it like
asks: 19 of the 78 answers (26 articles in zh, en and es) were refused when an agent
inserted them from knowledge assist. So the lines that are word for word an official
answer's are taken out before the guard reads a reply; whatever the agent wrote around
them, or changed in them, is checked as before.
"""

from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

from common.settings import ServiceSettings
from faq_kb.articles import load_articles

# Shorter lines ("1.", "注意：") say nothing the guard could object to, and taking them
# out of an agent's own text would only blur what it reads.
MIN_CHARS = 8


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


class OfficialText:
    def __init__(self, articles_dir: Path, service: ServiceSettings) -> None:
        self.articles_dir = articles_dir
        self.service = service
        self._lines: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    def lines(self) -> tuple[str, ...]:
        """Every line of every answer in every language, longest first."""
        with self._lock:
            if self._lines is None:
                found = {
                    _norm(line)
                    for article in load_articles(self.articles_dir)
                    for language in article.texts
                    for line in article.answer(language, self.service).splitlines()
                }
                self._lines = tuple(
                    sorted((x for x in found if len(x) >= MIN_CHARS), key=len, reverse=True)
                )
            return self._lines

    def strip(self, text: str) -> str:
        """*text* without the official lines it quotes (each replaced by a line break,
        so what is left on either side is never joined into one sentence)."""
        rest = "\n".join(_norm(line) for line in text.splitlines())
        for line in self.lines():
            if line in rest:
                rest = rest.replace(line, "\n")
        return rest
