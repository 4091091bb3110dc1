"""Find recovery phrases, private keys and keystores in a message.

Word lists are BIP39's official ones, shipped by the ``mnemonic`` package. A Latin
(English, Spanish) phrase is caught when a 12-word window holds 10 or more list words,
so a damaged one is too; Chinese phrases, usually written without spaces, are found by
``guard._han``. A 64-hex string is a key unless its context says it is a
transaction hash ("tx", "hash", "交易哈希", an explorer link, or the conversation is
about a transfer); ``0x`` + 64 hex is a hash unless the words call it a key.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import base58
from mnemonic import Mnemonic

from common.language import HAN
from guard._han import WINDOW, WINDOW_HITS, han_phrases

FRAGMENT_WORDS, FRAGMENT_RATIO = 4, 0.8  # a piece of a phrase sent on its own

PHRASE = "recovery phrase"
PRIVATE_KEY = "private key"
KEYSTORE = "keystore"

# Letters, but not Han ones: a phrase glued to a Chinese sentence ("助记词是abandon…")
# must not lose its first word into the Chinese one.
_LATIN_WORD = re.compile(f"[^\\W\\d_{HAN}]+")
_HAN_WORDS = re.compile(f"[{HAN}]+")
_HEX64 = re.compile(r"(?<![0-9a-zA-Z])(0x)?([0-9a-fA-F]{64})(?![0-9a-zA-Z])")
_WIF = re.compile(
    r"(?<![1-9A-HJ-NP-Za-km-z])[5KL][1-9A-HJ-NP-Za-km-z]{50,51}(?![1-9A-HJ-NP-Za-km-z])"
)
_XKEY = re.compile(r"\b[xyzt]prv[1-9A-HJ-NP-Za-km-z]{100,112}\b")
# "tx" as a word: inside "context" or "keys.txt" it says nothing.
_HASH_CONTEXT = re.compile(
    r"((?<![a-z])tx(?:id|n|s)?(?![a-z])|hash|transaction|交易|哈希|转账记录|/tx/|区块)",
    re.IGNORECASE,
)
_KEY_CONTEXT = re.compile(r"(private|私钥|clave privada|密钥|secret|wif)", re.IGNORECASE)
_KEYSTORE = re.compile(r'"(ciphertext|kdf|kdfparams|cipherparams)"\s*:', re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    kind: str  # PHRASE, PRIVATE_KEY or KEYSTORE
    start: int
    end: int
    words: int = 0  # list words, for phrase fragments counted across messages
    complete: bool = True  # False for a lone fragment of a phrase


def normalise(text: str) -> str:
    """NFC: word lists and some keyboards produce decomposed accents ("o" + "´")."""
    return unicodedata.normalize("NFC", text)


def _fold(word: str) -> str:
    """Lower case without accents: Spanish phrases are often typed without them."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=1)
def _lists() -> tuple[dict[str, frozenset[str]], frozenset[str]]:
    latin: dict[str, set[str]] = {}
    for language in ("english", "spanish"):
        for word in Mnemonic(language).wordlist:
            latin.setdefault(_fold(word), set()).add(language)
    han: set[str] = set()
    for language in ("chinese_simplified", "chinese_traditional"):
        han.update(Mnemonic(language).wordlist)
    return {w: frozenset(v) for w, v in latin.items()}, frozenset(han)


def _latin_phrases(text: str) -> list[Finding]:
    latin, _ = _lists()
    tokens = [(m.start(), m.end(), _fold(m.group())) for m in _LATIN_WORD.finditer(text)]
    listed = [w in latin for _, _, w in tokens]
    n = len(tokens)
    # Every window of 12 tokens (or the whole message, if shorter) with 10 list words
    # is part of a phrase: a misspelt or missing word doesn't hide the rest.
    size = min(WINDOW, n)
    prefix = [0]
    for hit in listed:
        prefix.append(prefix[-1] + hit)
    marked = [False] * n
    if n >= WINDOW_HITS:
        for k in range(n - size + 1):
            if prefix[k + size] - prefix[k] >= WINDOW_HITS:
                marked[k : k + size] = [True] * size
    findings = [
        Finding(PHRASE, tokens[i][0], tokens[j - 1][1], prefix[j] - prefix[i])
        for i, j in _spans(marked, listed)
    ]
    if not findings:  # a piece of a phrase, sent on its own
        chinese = len(_HAN_WORDS.findall(text))  # "Gas Limit和Gas Price有啥区别" is a question
        for i, j in _spans(listed, listed):
            hits = prefix[j] - prefix[i]
            if hits >= FRAGMENT_WORDS and hits / max(n + chinese, 1) >= FRAGMENT_RATIO:
                findings.append(Finding(PHRASE, tokens[i][0], tokens[j - 1][1], hits, False))
    return findings


def _spans(marked: list[bool], listed: list[bool]) -> list[tuple[int, int]]:
    """Runs of marked tokens, trimmed to start and end on a list word."""
    spans, i = [], 0
    while i < len(marked):
        if not marked[i]:
            i += 1
            continue
        j = i
        while j < len(marked) and marked[j]:
            j += 1
        first, last = i, j
        while first < last and not listed[first]:
            first += 1
        while last > first and not listed[last - 1]:
            last -= 1
        if last > first:
            spans.append((first, last))
        i = j
    return spans


def _keys(text: str, hash_expected: Expectation) -> list[Finding]:
    findings: list[Finding] = []
    for match in _HEX64.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 20]
        in_link = bool(re.search(r"https?://\S*$", before))
        said_key = bool(_KEY_CONTEXT.search(before))
        said_hash = bool(_HASH_CONTEXT.search(before) or _HASH_CONTEXT.search(after))
        # EVM transaction hashes are always written with 0x, and wallets export raw
        # keys without it; so 0x + 64 hex is a key only when the words say so. A bare
        # 64-hex string (a TRON hash looks the same as a key) needs context to pass.
        prefixed = match.group(1) is not None
        if said_key or not (prefixed or in_link or said_hash or _expected(hash_expected)):
            findings.append(Finding(PRIVATE_KEY, match.start(), match.end()))
    for match in _WIF.finditer(text):
        try:
            raw = base58.b58decode_check(match.group())
        except ValueError:
            continue
        if raw[:1] in (b"\x80", b"\xef"):  # mainnet / testnet private key versions
            findings.append(Finding(PRIVATE_KEY, match.start(), match.end()))
    findings += [Finding(PRIVATE_KEY, m.start(), m.end()) for m in _XKEY.finditer(text)]
    return findings


def _keystores(text: str) -> list[Finding]:
    if len(_KEYSTORE.findall(text)) < 2:
        return []
    start = text.find("{")
    end = text.rfind("}")
    if start == -1 or end < start:
        return [Finding(KEYSTORE, 0, len(text))]
    try:
        json.loads(text[start : end + 1])
    except ValueError:
        return [Finding(KEYSTORE, 0, len(text))]  # a damaged keystore is still one
    return [Finding(KEYSTORE, start, end + 1)]


Expectation = bool | Callable[[], bool]


def _expected(hash_expected: Expectation) -> bool:
    """Asked lazily: only a bare 64-hex string needs the conversation's context."""
    return hash_expected() if callable(hash_expected) else hash_expected


def find_secrets(text: str, hash_expected: Expectation = False) -> list[Finding]:
    """Every secret in *text* (NFC-normalised: see :func:`normalise`), non-overlapping."""
    found = _keystores(text) + _keys(text, hash_expected) + _latin_phrases(text)
    found += [Finding(PHRASE, start, end, words) for start, end, words in han_phrases(text)]
    found.sort(key=lambda f: (f.start, -(f.end - f.start)))
    merged: list[Finding] = []
    for finding in found:
        if merged and finding.start < merged[-1].end:
            continue  # inside a span already found (a key inside a keystore)
        merged.append(finding)
    return merged
