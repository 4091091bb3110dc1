"""What an agent may not send a user: an ask for a secret, or a link off our domains.

A compromised or fake agent account is the most direct way to reach a user with a
"verify your wallet" scam, so every reply passes :func:`agent_violation` before the
desk delivers it; the reason it returns is shown to the agent as is.
"""

from __future__ import annotations

import re

from guard._asks import find_ask
from guard._links import foreign_links

_APK = re.compile(r"\.apk\b", re.IGNORECASE)
_QUOTE_CHARS = 80


def _quote(clause: str) -> str:
    return clause if len(clause) <= _QUOTE_CHARS else clause[: _QUOTE_CHARS - 1] + "…"


def agent_violation(text: str, domains: tuple[str, ...]) -> str | None:
    """Why an agent's message must not go out, in words for the agent, or None."""
    ask = find_ask(text)
    if ask is not None:
        return (
            f"it asks the user for their {ask.kind} (“{_quote(ask.clause)}”); "
            "support never asks for a recovery phrase, private key, keystore, password "
            "or a photo of them"
        )
    bad = foreign_links(text, domains)
    if bad:
        named = []
        for link in bad[:3]:
            note = f", imitating {link.lookalike}" if link.lookalike else ""
            shown = link.shown if link.host in link.shown.lower() else f"{link.shown} = {link.host}"
            named.append(f"{shown}{note}")
        return (
            f"it links outside the official domains ({'; '.join(named)}); "
            f"only {', '.join(domains)} may be linked"
        )
    if _APK.search(text):
        # Even on an official domain: an app file sent in a chat teaches users to
        # install what support sends them, which is how repackaged wallets spread.
        return (
            "it offers an .apk file; support never sends app files, even from the official "
            "domain: point the user to the official download page or the app stores"
        )
    return None
