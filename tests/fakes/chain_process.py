"""The fake chain nodes in a process of their own: building and sending a hostile answer
(a gzip bomb, 160 MB of JSON) then never holds the process that measures or tests the
lookup beside it. ``python -m tests.fakes.chain_process MODE`` prints the nodes' URL
and serves until killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.chain import Nodes, gzip_bomb

ROOT = Path(__file__).resolve().parents[2]


def nodes_process(mode: str) -> tuple[subprocess.Popen[str], str]:
    """Nodes answering with *mode* (JSON: chain -> mode), and their URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.chain_process", mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a refused answer leaves the fake a broken pipe
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


if __name__ == "__main__":
    gzip_bomb()  # built before the first request
    nodes = Nodes()
    nodes.mode = json.loads(sys.argv[1])
    print(nodes.url, flush=True)
    while True:
        time.sleep(3600)
