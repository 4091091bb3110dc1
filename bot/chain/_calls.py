"""Token transfers read from a transaction's call data and from its ``Transfer`` logs,
for EVM chains and TRON alike (TRON's VM is the EVM's, with 41-prefixed addresses).

Decoding is lenient on purpose: an ABI word holding an address is read as its last 20
bytes, whatever the 12 bytes of padding hold. Real TRON mainnet transfers carry
non-zero padding (java-tron issues #3133, #3182) and the contract accepts them, so a
strict decoder would call a confirmed transfer unreadable. Addresses here are 40
lower-case hex characters, no prefix; each adapter formats them for its chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TRANSFER = "a9059cbb"  # transfer(address,uint256)
TRANSFER_FROM = "23b872dd"  # transferFrom(address,address,uint256)
TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class TokenMove:
    """A token transfer: which contract, from whom (None: the caller), to whom, how much."""

    token: str
    sender: str | None
    recipient: str
    raw_amount: int


def _hex(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    text = text.lower().removeprefix("0x")
    return text if set(text) <= _HEX else None


def decode_call(contract: str, data: Any) -> TokenMove | None:
    """``transfer`` / ``transferFrom`` to *contract* (40 hex), or None for any other call."""
    body = _hex(data)
    if body is None or len(body) < 8:
        return None
    selector, words = body[:8], [body[i : i + 64] for i in range(8, len(body), 64)]
    if selector == TRANSFER and len(words) >= 2 and all(len(w) == 64 for w in words[:2]):
        return TokenMove(contract, None, words[0][-40:], int(words[1], 16))
    if selector == TRANSFER_FROM and len(words) >= 3 and all(len(w) == 64 for w in words[:3]):
        return TokenMove(contract, words[0][-40:], words[1][-40:], int(words[2], 16))
    return None


def transfer_logs(logs: Any) -> list[TokenMove]:
    """The well-formed ``Transfer(from, to, value)`` logs; anything else is skipped."""
    moves = []
    for log in logs if isinstance(logs, list) else []:
        if not isinstance(log, dict):
            continue
        topics = [_hex(t) for t in log.get("topics") or [] if isinstance(t, str)]
        address, data = _hex(log.get("address")), _hex(log.get("data") or "0")
        if (
            len(topics) != 3
            or topics[0] != TRANSFER_TOPIC
            or address is None
            or len(address) < 40
            or data is None
            or any(t is None or len(t) < 40 for t in topics)
        ):
            continue
        moves.append(
            TokenMove(
                address[-40:],
                str(topics[1])[-40:],
                str(topics[2])[-40:],
                int(data[:64] or "0", 16),
            )
        )
    return moves


def matching_log(call: TokenMove | None, caller: str, logs: list[TokenMove]) -> TokenMove | None:
    """The log that shows *call* happened: same token, sender, recipient and amount.

    Logs exist only for an execution that did not revert, so this log is evidence the
    transfer took effect even when a node's status field is missing or unreadable.
    """
    if call is None:
        return None
    sender = call.sender or caller
    for log in logs:
        if (log.token, log.sender, log.recipient, log.raw_amount) == (
            call.token,
            sender,
            call.recipient,
            call.raw_amount,
        ):
            return log
    return None
