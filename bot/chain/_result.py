"""What a lookup found: the one shape every chain adapter returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

Status = Literal["confirmed", "pending", "failed", "not_found", "unavailable"]


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class TxCheck:
    """A transaction as a node reported it. ``unavailable`` means we could not ask:
    the bot then says so and never guesses a status."""

    chain: str
    status: Status
    tx_hash: str
    block: int | None = None
    confirmations: int | None = None
    sender: str | None = None
    recipient: str | None = None
    token: str | None = None  # "USDT", or the chain's coin ("ETH", "TRX")
    amount: str | None = None  # decimal string in token units
    fee: str | None = None  # in the chain's coin
    checked_at: str = field(default_factory=now_iso)
    error: str | None = None  # why it is unavailable
    # The chains that were asked (for "not found on TRON and Ethereum"), and where the
    # user says they saw the hash, when they told us.
    searched: tuple[str, ...] = ()
    seen_in: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# What users, agents and stored payloads are told of a failed call: the transport
# error names the node's URL, and providers put their API keys in it.
UNREACHABLE = "the node could not be reached"


class NodeError(RuntimeError):
    """A node timed out, refused (429/5xx) or answered nonsense; its text is shown
    to agents, so it never carries the node's URL or the transport error."""


def units(raw: int, decimals: int) -> str:
    """An integer amount in base units as a plain decimal string (no float rounding)."""
    sign = "-" if raw < 0 else ""
    whole, fraction = divmod(abs(raw), 10**decimals)
    text = f"{whole}.{fraction:0{decimals}d}".rstrip("0").rstrip(".") if decimals else str(whole)
    return sign + text
