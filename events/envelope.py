"""Signed envelopes for events between gateway processes.

Redis is shared infrastructure: anything that can reach it (a leaked password, a
compromised neighbour, a misconfigured firewall) could otherwise publish a fake
"agent" message straight into a user's chat page, past the agent-message guard.
Every event is therefore sealed with an HMAC-SHA256 keyed by the desk secret
(``DESK_SECRET``), which Redis never sees::

    {"from": "<origin>", "v": 1, "kid": "<key id>", "sig": "<hex HMAC of body>",
     "body": "<JSON text>"}

``body`` is the JSON text that was signed, carried as is, so verifying never
depends on how a JSON library orders or spaces keys. It holds the sender's origin,
the topic, the event, its outbox id (none for a mere hint such as a presence change)
and the time it was sealed; a stale envelope (a replay of a recorded one) is refused.

``from`` comes first, unsigned, so that a process recognises the envelopes it sealed
itself by their first bytes (:func:`own_prefix`) and drops them unopened: every event
comes back to its sender on the shared channel, and opening them (two JSON parses
and an HMAC) was wasted work. It can only make a receiver skip an envelope, never
accept one: whatever a receiver delivers is read from the signed body. Envelopes
without it (from a gateway before it) are opened as before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

VERSION = 1
# The fan-out key is derived, never the secret itself: a key that leaked from here
# could not sign visitor tokens, and the other way round.
_PURPOSE = b"wallet-support/fanout/v1"
MAX_AGE_SECONDS = 120.0  # generous for clock skew between hosts; replays older fail


class Rejected(ValueError):
    """Why an envelope was refused: a short, fixed reason (counted and logged once)."""


def derive_key(secret: bytes) -> bytes:
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A public label for *key*: which secret signed, without revealing it."""
    return hashlib.sha256(b"kid:" + key).hexdigest()[:12]


def own_prefix(origin: str) -> bytes:
    """The first bytes of every envelope *origin* seals (see ``from`` above)."""
    return json.dumps({"from": origin})[:-1].encode()


@dataclass(frozen=True)
class Opened:
    origin: str
    topic: str
    event: dict[str, Any]
    id: int | None = None  # the outbox row: receivers deliver each id once


class Sealer:
    """Seals with the first secret, opens with any of them (old ones during a rotation)."""

    def __init__(self, secrets: Sequence[bytes], clock: Callable[[], float] = time.time) -> None:
        if not secrets or not all(secrets):
            raise ValueError("the fan-out needs the desk secret to sign events")
        keys = [derive_key(s) for s in secrets]
        self._signing = (key_id(keys[0]), keys[0])
        self._keys = {key_id(k): k for k in keys}
        self._clock = clock

    def seal(
        self, origin: str, topic: str, event: dict[str, Any], event_id: int | None = None
    ) -> str:
        contents = {"origin": origin, "topic": topic, "event": event, "at": self._clock()}
        if event_id is not None:
            contents["id"] = event_id
        body = json.dumps(
            contents,
            default=str,
            ensure_ascii=False,
        )
        kid, key = self._signing
        signature = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        outer = {"from": origin, "v": VERSION, "kid": kid, "sig": signature, "body": body}
        return json.dumps(outer)

    def open(self, data: Any) -> Opened:
        """The envelope's contents, or :class:`Rejected` saying why not."""
        try:
            envelope = json.loads(data)
        except (TypeError, ValueError):
            raise Rejected("not JSON") from None
        if not isinstance(envelope, dict) or "sig" not in envelope:
            raise Rejected("unsigned")
        if envelope.get("v") != VERSION:
            raise Rejected("unknown envelope version")
        key = self._keys.get(str(envelope.get("kid")))
        if key is None:
            raise Rejected("unknown key id")
        body, signature = envelope.get("body"), envelope.get("sig")
        if not isinstance(body, str) or not isinstance(signature, str):
            raise Rejected("malformed envelope")
        expected = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected("bad signature")
        return self._contents(body)

    def _contents(self, body: str) -> Opened:
        try:
            inner = json.loads(body)
            origin, topic, event, at = inner["origin"], inner["topic"], inner["event"], inner["at"]
            event_id = inner.get("id")
        except (TypeError, ValueError, KeyError, AttributeError):
            raise Rejected("malformed body") from None
        if not (isinstance(origin, str) and isinstance(topic, str) and isinstance(event, dict)):
            raise Rejected("malformed body")
        if event_id is not None and (type(event_id) is not int or event_id <= 0):
            raise Rejected("malformed body")
        if not isinstance(at, int | float) or abs(self._clock() - at) > MAX_AGE_SECONDS:
            raise Rejected("stale or replayed")
        return Opened(origin, topic, event, event_id)
