"""Start the project's servers as subprocesses, and wait until they answer.

Every test that starts a gateway, a Rasa server, an action server or nginx goes
through :func:`spawn` and :func:`wait_until_up`: a process that exits while we wait
fails the test at once with the end of its log, and one that never answers fails it
with a message saying which process and which URL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import ROOT
from tests.support.waiting import wait_until

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 300  # Rasa loads TensorFlow and the model; on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    role: str
    port: int
    popen: subprocess.Popen[bytes]
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self, size: int = 3000) -> str:
        if self.log is None or not self.log.exists():
            return "(no log)"
        return self.log.read_text(errors="replace")[-size:]

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


def spawn(
    role: str,
    command: Sequence[str],
    port: int,
    env: Mapping[str, str],
    log: Path | None,
    cwd: Path = ROOT,
) -> Process:
    """Start *command*; its output goes to *log* (or nowhere)."""
    output = log.open("wb") if log is not None else None
    try:
        popen = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdout=output if output is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
    finally:
        if output is not None:
            output.close()  # the child has its own copy
    return Process(role, port, popen, log)


def wait_until_up(
    process: Process,
    path: str,
    timeout: float = STARTUP_SECONDS,
    watch: Iterable[Process] = (),
) -> None:
    """Until ``GET <process.url><path>`` answers 200.

    Fails at once if *process*, or any process in *watch* (the others it needs),
    exits meanwhile.
    """
    others = [p for p in watch if p is not process]

    def up() -> bool:
        for each in (process, *others):
            code = each.popen.poll()
            if code is not None:
                raise AssertionError(
                    f"{each.role} (port {each.port}) exited with {code} while waiting for "
                    f"{process.role} to answer {path}:\n{each.tail()}"
                )
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{process.url}{path}", timeout=2).status_code == 200
        return False

    wait_until(
        up,
        timeout,
        lambda: f"{process.role} on port {process.port} never answered {path}:\n{process.tail()}",
        interval=0.5,
    )


def stop_all(processes: Iterable[Process], timeout: float = 20) -> None:
    """Terminate them all, then wait for each (``kill -9`` what doesn't stop)."""
    running = list(processes)
    for process in running:
        if process.popen.poll() is None:
            process.popen.terminate()
    for process in running:
        process.stop(timeout)
