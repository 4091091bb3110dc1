"""A follow-up that names a chain ("¿y en Ethereum?", "那TRON上呢") after an article that
covers several: the article's lines about that chain, rather than the whole article a
second time, word for word."""

from __future__ import annotations

import re
from functools import cache

from bot.nlu.vocabulary import CHAIN_NAMES, CHAINS, NATIVE_TOKEN, TOKENS

# What the articles say of every EVM chain at once ("EVM链", "en las redes EVM").
_EVM = {"ethereum", "bsc", "polygon", "arbitrum", "optimism", "base"}
_NUMBERED = re.compile(r"^\s*\d+[.、)]\s*")


def _pattern(terms: list[str]) -> re.Pattern[str]:
    # Latin terms must stand alone ("eth" is not in "method"), also beside Chinese text,
    # where \b doesn't separate ("以太坊用ETH支付").
    parts = [
        rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t)
        for t in sorted(terms, key=len, reverse=True)
    ]
    return re.compile("|".join(parts), re.IGNORECASE)


@cache
def _named() -> dict[str, re.Pattern[str]]:
    """What names each chain in a user's message (its aliases, and its plain name)."""
    return {chain: _pattern([*aliases, chain]) for chain, aliases in CHAINS.items()}


@cache
def _about(chain: str) -> re.Pattern[str]:
    """What makes a line of an article about *chain*."""
    terms = [*CHAINS[chain], chain]
    native = NATIVE_TOKEN.get(chain)  # a line about "ETH" is about Ethereum
    if native is not None:
        terms += [native.lower(), *TOKENS.get(native, ())]
    if chain in _EVM:
        terms.append("evm")
    return _pattern(terms)


def chain_named(text: str) -> str | None:
    """The one chain *text* names, if it names exactly one."""
    found = [chain for chain, pattern in _named().items() if pattern.search(text)]
    return found[0] if len(found) == 1 else None


def lines_about(answer: str, chain: str) -> list[str]:
    """The lines of *answer* (after its opening line) about *chain*, unnumbered; none
    when no line or every line is about it (then the whole answer is the answer)."""
    lines = [line for line in answer.splitlines()[1:] if line.strip()]
    about = _about(chain)
    matched = [_NUMBERED.sub("", line) for line in lines if about.search(line)]
    return matched if len(matched) < len(lines) else []


def names_no_chain(answer: str) -> bool:
    """Whether *answer* says nothing about any chain in particular (so it holds on all)."""
    return not any(_about(chain).search(answer) for chain in CHAINS)


def chain_title(chain: str) -> str:
    return CHAIN_NAMES.get(chain, chain)
