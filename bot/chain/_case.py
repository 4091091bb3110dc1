"""What the stolen-funds check found: findings, each with its evidence, and which checks
ran to the end. One shape for every chain; a case file is its ``as_dict()``.

A finding always names what it saw: a transaction hash, or the permission it read.
A check that did not finish is said to be unfinished (``partial`` / ``failed`` /
``no_answer``), never read as "nothing found".
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from bot.chain._result import now_iso

Kind = Literal[
    "owner_permission",  # a key that isn't the account's own, or a raised threshold
    "active_permission",
    "approval",  # a live token allowance
    "outflow",  # an outgoing token transfer in the window
    "poisoning",  # a look-alike address: dust from it, or a payment to it
    "lookalike_pair",  # two look-alike addresses the user typed (nothing read on chain)
]
# hijack: someone else can move the funds (urgent); warning: suspicious; info: listed.
Severity = Literal["hijack", "warning", "info"]
CheckState = Literal["done", "partial", "failed", "no_answer"]
Verdict = Literal["compromised", "suspicious", "clean", "incomplete", "unchecked"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    severity: Severity
    chain: str
    evidence: str  # "tx <hash>" or "owner permission of <address>": what was seen
    tx_hash: str | None = None
    time: str | None = None  # ISO 8601 UTC, when the node said
    token: str | None = None
    amount: str | None = None  # in token units; "unlimited" for an approval
    counterparty: str | None = None  # spender, recipient, sender or the added key
    lookalike_of: str | None = None  # poisoning: the real address it imitates
    allowlisted: bool | None = None  # approvals: the spender is a known router
    threshold: int | None = None  # permissions
    keys: tuple[str, ...] = ()  # permissions: the keys that are not the account's


@dataclass(frozen=True)
class CaseFile:
    """The findings about one address the user gave."""

    address: str
    chains: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    checks: dict[str, CheckState] = field(default_factory=dict)  # "tron:permissions": …
    window: str = ""  # what was read: "last 50000 blocks", "since 2026-11-01"
    checked_at: str = field(default_factory=now_iso)

    @property
    def partial(self) -> bool:
        return any(state != "done" for state in self.checks.values())

    @property
    def verdict(self) -> Verdict:
        if not self.checks:
            return "unchecked"
        if any(f.severity == "hijack" for f in self.findings):
            return "compromised"
        if any(f.severity == "warning" for f in self.findings):
            return "suspicious"
        return "incomplete" if self.partial else "clean"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data |= {"verdict": self.verdict, "partial": self.partial}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseFile:
        """A case file back from its ``as_dict()`` (a slot's value); KeyError or
        TypeError when it isn't one."""
        names = {f.name for f in fields(Finding)}
        findings = []
        for raw in data["findings"]:
            kept: dict[str, Any] = {k: v for k, v in raw.items() if k in names}
            findings.append(Finding(**kept | {"keys": tuple(kept.get("keys") or ())}))
        return cls(
            str(data["address"]),
            tuple(data["chains"]),
            tuple(findings),
            dict(data["checks"]),
            str(data.get("window") or ""),
            str(data.get("checked_at") or now_iso()),
        )

    def keep(self, *kinds: Kind) -> CaseFile:
        return replace(self, findings=tuple(f for f in self.findings if f.kind in kinds))

    def after(self, earlier: CaseFile) -> CaseFile:
        """One case file for the conversation: what *earlier* found, then this."""
        return CaseFile(
            self.address,
            tuple(dict.fromkeys(earlier.chains + self.chains)),
            earlier.findings + self.findings,
            earlier.checks | self.checks,
            "; ".join(w for w in (earlier.window, self.window) if w),
            self.checked_at,
        )


def _body(address: str) -> str:
    """What a user compares: an EVM address without 0x (case is only a checksum)."""
    return address[2:].lower() if address.lower().startswith("0x") else address


def lookalike(first: str, second: str) -> bool:
    """Same first four and last four characters, different address: the shape of an
    address-poisoning vanity address. EVM addresses compare without ``0x`` and case."""
    a, b = _body(first), _body(second)
    return len(a) >= 8 and len(b) >= 8 and a != b and a[:4] == b[:4] and a[-4:] == b[-4:]


def same_address(first: str, second: str) -> bool:
    return _body(first) == _body(second)


def quiet(future: asyncio.Future[Any]) -> None:
    """Done-callback for a call shared by checks that may all be stopped first: its
    error (if any) is then nobody's to report, and asyncio shouldn't log it."""
    if not future.cancelled():
        future.exception()
