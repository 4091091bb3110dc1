"""Web chat visitors: a random id and an HMAC-signed token the page keeps.

The in-app chat this page stands in for would use the app's own login; here the
token only proves that a caller is the visitor the id was issued to, until it
expires. A token reads ``<key id>.<visitor id>.<expires, unix seconds>.<HMAC>``:

- the key id names the secret that signed it, so ``DESK_SECRET_PREVIOUS`` still
  verifies the tokens of the secret before while keys rotate;
- an expired token is refused everywhere but ``/renew``, which gives the same
  visitor a fresh one for a while after (the page renews halfway through);
- a token from before expiry existed (``<visitor id>.<HMAC>``) is accepted by
  ``/renew`` only, so pages open at the upgrade keep their conversation.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from common.settings import ROOT, ConfigurationError

MIN_SECRET_BYTES = 32


def _checked(secret: bytes, where: str) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise ConfigurationError(
            f"{where} is {'empty' if not secret else f'{len(secret)} bytes'}: web chat tokens "
            f"need a secret of at least {MIN_SECRET_BYTES} bytes (openssl rand -hex 32)"
        )
    return secret


def load_secret(configured: str, path: Path = ROOT / "var" / "desk_secret") -> bytes:
    """``DESK_SECRET``, or a random one generated once and kept under ``var/``.

    The file appears whole or not at all: it is written under a temporary name and
    linked into place, and a link never replaces an existing file, so of two
    processes starting together one writes it and both read the same key.
    """
    if configured:
        return _checked(configured.encode(), "DESK_SECRET")
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_hex(32).encode())
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first
                os.link(draft, path)
        finally:
            draft.unlink()
    return _checked(path.read_bytes().strip(), str(path))


def key_id(secret: bytes) -> str:
    """A short public name for *secret* (it reveals nothing of the secret)."""
    return hashlib.sha256(b"webchat-key-id:" + secret).hexdigest()[:8]


@dataclass(frozen=True)
class Issued:
    user_id: str
    token: str
    expires_at: int  # unix seconds
    renew_after: int  # the page renews from then on


class VisitorTokens:
    def __init__(
        self,
        secret: bytes,
        previous: Sequence[bytes] = (),
        lifetime: int = 24 * 3600,
        renew_grace: int = 30 * 86400,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = {key_id(key): key for key in (secret, *previous)}
        self._current = key_id(secret)
        # The current secret first: what else the desk signs (fan-out events, media
        # links) uses the same secrets and accepts the previous ones while keys rotate.
        self.secrets: tuple[bytes, ...] = (secret, *previous)
        self.lifetime = lifetime
        self.renew_grace = renew_grace
        self._clock = clock

    @staticmethod
    def _mac(key: bytes, text: str) -> str:
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def issue(self, user_id: str | None = None) -> Issued:
        """A token for *user_id* (a new visitor when None), signed with the current key."""
        user_id = user_id or "v" + secrets.token_hex(12)
        now = int(self._clock())
        expires = now + self.lifetime
        body = f"{self._current}.{user_id}.{expires}"
        token = f"{body}.{self._mac(self._keys[self._current], body)}"
        return Issued(user_id, token, expires, now + self.lifetime // 2)

    def _signed(self, token: str) -> tuple[str, int] | None:
        """(visitor id, expiry) of a well-signed token, expired or not."""
        parts = token.split(".")
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        kid, user_id, expires, signature = parts
        key = self._keys.get(kid)
        body = f"{kid}.{user_id}.{expires}"
        if key is None or not user_id or not hmac.compare_digest(signature, self._mac(key, body)):
            return None
        return user_id, int(expires)

    def verify(self, token: str) -> str | None:
        """The visitor's id, or None for a forged, malformed or expired token."""
        signed = self._signed(token)
        if signed is None or signed[1] <= self._clock():
            return None
        return signed[0]

    def renewable(self, token: str) -> str | None:
        """The visitor's id if *token* may be exchanged for a fresh one."""
        signed = self._signed(token)
        if signed is not None:
            return signed[0] if self._clock() < signed[1] + self.renew_grace else None
        user_id, _, signature = token.rpartition(".")  # a token from before expiry existed
        if not user_id or "." in user_id:
            return None
        for key in self._keys.values():
            expected = hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()
            if hmac.compare_digest(signature, expected):
                return user_id
        return None
