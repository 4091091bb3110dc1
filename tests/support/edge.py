"""Helpers of the edge's attack tests (tests/security/test_edge.py): a gateway process
on its own SQLite database, raw HTTP for bodies a normal client won't send, and a
password hasher that counts how many checks run at once."""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from tests.support.processes import Process, free_port, spawn, wait_until_up

SECRET = "edge-test-secret-of-at-least-32-bytes"


@contextlib.contextmanager
def gateway_process(workdir: Path, **extra: str) -> Iterator[Process]:
    """``python -m gateway`` on a fresh SQLite database; Rasa is never reached."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DESK_", "REDIS_URL", "TELEGRAM_", "WECHAT_"))
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'desk.db'}",
            "DESK_SECRET": SECRET,
            "DESK_RASA_URL": f"http://127.0.0.1:{free_port()}",
            **extra,
        }
    )
    command = [sys.executable, "-m", "gateway", "--port", str(port)]
    process = spawn("gateway", command, port, env, workdir / "gateway.log")
    try:
        wait_until_up(process, "/health", timeout=120)
        yield process
    finally:
        process.stop()


def raw_post(
    port: int, path: str, headers: dict[str, str], chunks: Iterable[bytes] = ()
) -> tuple[int, bytes]:
    """POST with exactly *headers*, then *chunks* as written (chunk-encode them
    yourself for ``Transfer-Encoding: chunked``); the status and body of the answer.

    The server may answer and close before the body is all sent: that is the point.
    """
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in headers.items()
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + b"\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for chunk in chunks:
                sock.sendall(chunk)
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n\r\n" not in answer or not _complete(answer):
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def chunked(total: int, size: int = 8192) -> Iterator[bytes]:
    """*total* bytes of a JSON-ish body in ``Transfer-Encoding: chunked`` framing."""
    sent = 0
    yield b"1\r\n{\r\n"
    while sent < total:
        piece = b"a" * min(size, total - sent)
        sent += len(piece)
        yield f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    yield b"0\r\n\r\n"


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting how many hashes or checks run at once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.checks = 0

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        with self._lock:
            self.running += 1
            self.checks += 1
            self.peak = max(self.peak, self.running)
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._counted():
            return super().verify(hash, password)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        with self._counted():
            return super().hash(password, salt=salt)
