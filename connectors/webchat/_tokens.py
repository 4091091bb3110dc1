"""Web chat visitors: a random id and an HMAC-signed token the page keeps.

The in-app chat this page stands in for would use the app's own login; here the
token only proves that a caller is the visitor the id was issued to.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from common.settings import ROOT


def load_secret(configured: str, path: Path = ROOT / "var" / "desk_secret") -> bytes:
    """``DESK_SECRET``, or a random one generated once and kept under ``var/``."""
    if configured:
        return configured.encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


class VisitorTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, user_id: str) -> str:
        return hmac.new(self._secret, user_id.encode(), hashlib.sha256).hexdigest()

    def issue(self) -> tuple[str, str]:
        user_id = "v" + secrets.token_hex(12)
        return user_id, f"{user_id}.{self._sign(user_id)}"

    def verify(self, token: str) -> str | None:
        """The visitor's id, or None for a forged or malformed token."""
        user_id, _, signature = token.rpartition(".")
        if not user_id or not hmac.compare_digest(signature, self._sign(user_id)):
            return None
        return user_id
