"""Links in an agent's message, and which of them leave the official domains.

Telegram and WeChat turn a bare ``acmewallet-support.com/app`` into a link, and a user
copies ``hxxps://evil[.]com`` into a browser without thinking, so anything that reads
as an address counts: with or without a scheme, with the dots written ``[.]``,
``(dot)``, ``．`` or ``。``, in punycode or with look-alike letters. Only hosts on the
allowlist (``SUPPORT_OFFICIAL_DOMAINS`` plus the configured block explorers) pass.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

from guard._fold import skeleton

# Top-level domains that a bare name must end with to count as an address (Telegram
# links the same way): the generic ones scammers favour, and every two-letter country.
_GENERIC = (
    "com|net|org|info|biz|io|xyz|top|vip|cc|app|site|online|tk|link|club|pro|live|shop|"
    "store|finance|exchange|wallet|support|help|icu|cyou|buzz|work|tech|cloud|digital|"
    "services|network|money|cash|trade|market|zip|mov|page|dev|ltd|group|fun|website|space|"
    "world|today|asia|mobi|name|gov|edu|example|lat|rest|bond|click|download|win|bid|loan|"
    "crypto|dao|eth|nft|token|coin|pay|test|local|invalid"
)
_TLD = rf"(?:{_GENERIC}|xn--[a-z0-9-]+|[a-z]{{2}})"
# Letters that may sit in a host: Latin (with accents), Greek and Cyrillic, so that a
# look-alike ``аcmewallet.example`` is found as a host and then refused.
_LETTER = "a-z0-9\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
_LABEL = rf"[{_LETTER}](?:[{_LETTER}-]{{0,61}}[{_LETTER}])?"
_HOST = rf"(?:{_LABEL}\.)+{_TLD}"
_IP = r"(?:\d{1,3}\.){3}\d{1,3}"
_SCHEMED = re.compile(r"\b[a-z][a-z0-9+.-]{1,9}://[^\s<>\"'，。）)」】\]]+", re.IGNORECASE)
# Han characters may touch an address ("访问acme.cc验证"), so the edges are ASCII-word ones.
_BARE = re.compile(
    rf"(?<![{_LETTER}_@./\-])(?:{_HOST}|{_IP}(?=[:/]))(?::\d{{2,5}})?"
    rf"(?:/[^\s<>\"'，。）)」】]*)?(?![{_LETTER}_-])",
    re.IGNORECASE,
)
_EMAIL_HOST = re.compile(rf"(?<=@){_HOST}(?![{_LETTER}_-])", re.IGNORECASE)
_ORIGIN = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#]*", re.IGNORECASE)

# Ways of writing a dot or a scheme so that filters (and autolinkers) miss them.
_DOTS = re.compile(
    r"\s*(?:\[\s*(?:\.|dot|点)\s*\]|\(\s*(?:\.|dot|点)\s*\)|\{\s*(?:\.|dot|点)\s*\}|"
    r"<\s*(?:\.|dot)\s*>)\s*",
    re.IGNORECASE,
)
_WORD_DOT = re.compile(
    r"(?<=[a-z])(?:\s+(?:dot|punto)\s+|\s*点\s*|\s+\.\s*)(?=(?:com|net|org|io|xyz|top|vip|cc|"
    r"app|site|online|info|cn|ru|tk|icu|cyou|buzz|shop|finance|exchange|wallet)(?![a-z]))",
    re.IGNORECASE,
)
# "。" and "｡" between Latin labels: only before an all-lower or all-upper label, so
# that "iPhone。App版本" (a sentence end) stays text.
_IDEO_DOT = re.compile(r"(?<=[a-zA-Z0-9])[。｡·•∙・](?=(?:[a-z]{2,}|[A-Z]{3,})(?![a-zA-Z]))")
_SCHEME = re.compile(
    r"\bh[a-z*_.\-x ]{1,6}?p\s?(s?)\s*\[?[:;]\]?\s*[/\\]\s?[/\\]|\bh[tx*]{2}p(s?)//|\bwww\s*\.\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Link:
    shown: str  # as found (after undoing the disguise)
    host: str  # lower case, punycode decoded
    lookalike: str | None  # the official domain it imitates, if any


def reveal(text: str) -> str:
    """The text with disguised dots and schemes written plainly."""
    text = unicodedata.normalize("NFKC", text).replace("\u200b", "")
    text = _IDEO_DOT.sub(".", text)
    text = _DOTS.sub(".", text)
    text = _WORD_DOT.sub(".", text)

    def scheme(match: re.Match[str]) -> str:
        if match.group(0).lower().startswith("www"):
            return "www."
        return "https://" if (match.group(1) or match.group(2)) else "http://"

    return _SCHEME.sub(scheme, text)


def _host_of(found: str) -> str:
    try:
        host = urlsplit(found if "://" in found else f"http://{found}").hostname or ""
    except ValueError:  # a malformed port or bracket: judge the text before it
        host = re.split(r"[:/?#]", found.split("://")[-1])[0]
    host = host.lower().rstrip(".").removeprefix("www.")
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):
                label = label.encode("ascii").decode("idna")
        labels.append(label)
    return ".".join(labels)


def _ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def is_official(host: str, domains: tuple[str, ...]) -> bool:
    """On an allowlisted domain or a subdomain of one, compared in ASCII form so a
    Cyrillic "а" or a punycode label never equals the Latin name."""
    if not host.isascii():
        return False
    ascii_domains = (_ascii(d.lower()) for d in domains)
    return any(host == d or host.endswith(f".{d}") for d in ascii_domains)


def imitates(host: str, domains: tuple[str, ...]) -> str | None:
    """The official domain *host* is dressed up as (``acmewallet-support.com``,
    ``acmewaIlet.com``, ``аcmewallet.example``), if any."""
    shape = skeleton(host)
    for domain in domains:
        brand = skeleton(domain.split(".")[0])
        if len(brand) >= 4 and (brand in shape or _near(brand, skeleton(host.split(".")[0]))):
            return domain
    return None


def _near(a: str, b: str) -> bool:
    """At most one edit apart (``acmewalet``, ``acmewallett``)."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return a == b
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i:] == b[i + 1 :] or a[i + 1 :] == b[i:]


def links(text: str) -> list[str]:
    """Every address in *text*, schemes and disguises included, in order."""
    shown = reveal(text)
    found = [m.group(0).rstrip(".,;!?") for m in _SCHEMED.finditer(shown)]
    # A scheme's own host is judged above; its path and query are searched like text,
    # so that "https://acmewallet.example/r?to=evil.cc" still shows "evil.cc".
    rest = _SCHEMED.sub(lambda m: " " + _ORIGIN.sub("", m.group(0)).replace("://", " "), shown)
    return found + [m.group(0).rstrip(".,;!?") for m in _BARE.finditer(rest)]


def foreign_links(text: str, domains: tuple[str, ...]) -> list[Link]:
    """Addresses off the allowlist, and e-mail hosts imitating ours. (An ``.apk`` on
    an official host is on the allowlist: refusing it is ``agent_violation``'s, with
    its own reason, not "outside the official domains".)"""
    bad: list[Link] = []
    for found in links(text):
        host = _host_of(found)
        if not host or not is_official(host, domains):
            bad.append(Link(found, host, imitates(host, domains)))
    for match in _EMAIL_HOST.finditer(reveal(text)):
        host = _host_of(match.group(0))
        like = imitates(host, domains)
        if like and not is_official(host, domains):
            bad.append(Link(match.group(0), host, like))
    return bad
