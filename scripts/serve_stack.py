"""A whole stack (action server, Rasa, gateway) of a checkout, as the CI quality gate runs
it, for ``python -m bot.evaluate --url``: prints the gateway's URL, runs until Ctrl-C or ``kill``.

    .venv/bin/python scripts/serve_stack.py [--tree /path/to/another/checkout] [--work DIR]

*--tree* is another revision's files (``git archive REV | tar -x -C DIR``, with its
``var/`` built): the before side of a before/after measurement, run beside this one.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ROOT
from tests.support.servers import running_servers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--work", type=Path, help="logs and databases (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="stack-"))
    work.mkdir(parents=True, exist_ok=True)
    # `kill PID` stops the servers too (SystemExit runs the context manager's cleanup).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with running_servers(work, with_gateway=True, tree=args.tree.resolve()) as servers:
        print(servers.gateway_url, servers.rasa_url, work, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
