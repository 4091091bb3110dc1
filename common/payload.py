"""The handoff payload: the one contract between the bot and the human desk.

The bot's ``action_handoff`` sends it as a Rasa custom message, so over the REST
channel a reply looks like::

    {"recipient_id": "u1", "custom": {"handoff": {
        "version": 1,
        "conversation_id": "u1",
        "reason": "missing_transfer",        # see HandoffReason
        "priority": "normal",                # normal | high | urgent
        "language": "zh",                    # zh | en | es
        "sla_hours": 48,                     # when the user was told to expect a reply
        "details": {"chain": "tron", "token": "USDT", "amount": "100 USDT",
                    "tx_hash": "…", "to_address": "T…",
                    "transfer_time": {"raw": "昨天下午三点", "parsed": "2026-11-22T15:00:00"},
                    "counterparty": null, "description": null},
        "summary": "Missing transfer: 100 USDT on tron …",
        "transcript": [{"role": "user", "text": "…", "at": "2026-11-23T10:00:00+00:00"}, …],
        "created_at": "2026-11-23T10:01:00+00:00"}}}

Values the user did not know are the string ``"unknown"``; values never asked
are ``null``. The desk keeps the payload whole, so adding an optional field is
backwards compatible; renaming one is not (bump ``version``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field

HANDOFF_KEY = "handoff"
SCHEMA_VERSION = 1


class HandoffReason(str, Enum):
    USER_REQUEST = "user_request"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    MISSING_TRANSFER = "missing_transfer"
    PASSWORD_LOST = "password_lost"
    ACCOUNT_LOCKED = "account_locked"
    NO_ANSWER = "no_answer"  # the knowledge base had nothing good enough
    FAILED_SELF_SERVICE = "failed_self_service"
    SECURITY = "security"
    # Stolen funds / a compromised account: urgent when the chain shows a hijacked
    # permission or a drainer's approval (details.forensic).
    STOLEN_FUNDS = "stolen_funds"
    BOT_UNAVAILABLE = "bot_unavailable"  # Rasa or the action server was down
    EMAIL = "email"  # an email: a ticket from the start
    CALLBACK = "callback"  # a phone callback booked: a ticket, due at the slot's end
    # Set by the gateway, never by the bot: a turn that failed every retry, and a
    # reply that could not be delivered after every retry (dead letters).
    BOT_FAILED = "bot_failed"
    DELIVERY_FAILED = "delivery_failed"


class Priority(str, Enum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TransferTime(BaseModel):
    raw: str
    parsed: str | None = None  # ISO 8601, when the raw text could be read


class Details(BaseModel):
    chain: str | None = None
    token: str | None = None
    amount: str | None = None
    tx_hash: str | None = None
    to_address: str | None = None
    transfer_time: TransferTime | None = None
    counterparty: str | None = None
    description: str | None = None
    # The transaction as a node reported it: chain, status, block, confirmations, sender,
    # recipient, token, amount, fee, checked_at (see bot/chain). None when not checked.
    chain_check: dict[str, Any] | None = None
    # Stolen funds: the address the user says was robbed, and the case file the chain
    # checks made of it (bot/chain/_case.py: findings with their evidence, which checks
    # finished, the verdict). common/casefile.py renders it for agents and users.
    affected_address: str | None = None
    forensic: dict[str, Any] | None = None
    # A callback: {"phone": "[phone …8000]" (masked: the number itself is on the desk's
    # callback record only), "start": ISO 8601, "end": ISO 8601}.
    callback: dict[str, str] | None = None


class TranscriptLine(BaseModel):
    role: Literal["user", "bot"]
    text: str
    at: str | None = None


class HandoffPayload(BaseModel):
    version: int = SCHEMA_VERSION
    conversation_id: str
    reason: HandoffReason
    priority: Priority = Priority.NORMAL
    language: Literal["zh", "en", "es"]
    sla_hours: int | None = None
    details: Details = Field(default_factory=Details)
    summary: str
    transcript: list[TranscriptLine] = Field(default_factory=list)
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    class Config:
        use_enum_values = True

    def as_message(self) -> dict[str, Any]:
        """The custom-message body, ready for ``dispatcher.utter_message(json_message=...)``."""
        return {HANDOFF_KEY: self.dict()}

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> HandoffPayload:
        """Parse a custom message (or raise ``pydantic.ValidationError``)."""
        return cls.parse_obj(message[HANDOFF_KEY])
