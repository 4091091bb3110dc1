"""A fresh stack's first form turns through the gateway's web chat. Markdown.

Each run starts Rasa, the action server and the gateway (``running_servers``, on free
ports and a fresh desk database), then three new visitors open the missing-transfer
form at once as their very first message (zh, then en, then es), the zh visitor
answers one question, and each turn's seconds are printed with the reply's last line.
The worst case is the first: nothing has been parsed or validated since the start.
With ``--tree DIR`` the code of another checkout runs (an export with its ``var/``).

    .venv/bin/python scripts/bench_first_turn.py [--runs 2] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import ROOT
from tests.support.servers import running_servers

TURNS = [  # (visitor's language, message)
    ("zh", "我的USDT没到账"),
    ("zh", "波场"),
    ("en", "my USDT never arrived"),
    ("es", "mis USDT no llegaron"),
]


def visitor(gateway: str, language: str) -> Callable[[str], tuple[float, str]]:
    token = httpx.post(f"{gateway}/webchat/api/visitors", json={"language": language})
    headers = {"authorization": f"Bearer {token.json()['token']}"}

    def say(text: str) -> tuple[float, str]:
        started = time.monotonic()
        sent = httpx.post(
            f"{gateway}/webchat/api/messages",
            json={"text": text, "language": language},
            headers=headers,
            timeout=60,
        )
        replies = [r["text"] for r in sent.json().get("replies", [])]
        return time.monotonic() - started, replies[-1].splitlines()[-1] if replies else "-"

    return say


def run(tree: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as work:
        started = time.monotonic()
        with running_servers(Path(work), with_gateway=True, tree=tree) as servers:
            up = time.monotonic() - started
            people = {lang: visitor(servers.gateway_url, lang) for lang in ("zh", "en", "es")}
            cells = [f"{up:.1f}"]
            for language, text in TURNS:
                took, last = people[language](text)
                cells.append(f"{took:.2f} ({last[:20]})")
            return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--tree", type=Path, default=ROOT)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}, tree {args.tree}\n")
    head = ["run", "servers up s", *(f"{lang} {text!r} s" for lang, text in TURNS)]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n in range(1, args.runs + 1):
        print(f"| {n} | " + " | ".join(run(args.tree.resolve())) + " |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
