"""Human handoff: the payload the bot emits (the desk that queues it comes later)."""

from handoff.payload import (
    HANDOFF_KEY,
    HandoffPayload,
    HandoffReason,
    Priority,
    TranscriptLine,
    TransferTime,
)

__all__ = [
    "HANDOFF_KEY",
    "HandoffPayload",
    "HandoffReason",
    "Priority",
    "TranscriptLine",
    "TransferTime",
]
