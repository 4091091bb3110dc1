"""Does a turn cost more late in a long conversation? The curve, per block of turns.

One conversation of ``--messages`` FAQ questions (three languages, in turn) straight to
Rasa's REST channel and one through the gateway's web chat API, turn by turn, the paths
taking turns going first; ``--repeat`` such conversations per path run in lockstep, so
a block's median covers ``repeat × block`` turns. With ``--before REV`` a second whole
stack runs REV's code (``git archive``, with this checkout's trained model and KB index
copied in when its inputs are the same) beside this one, in the same loop: the before
and after curves come from one run. The gateway's per-visitor message limit is lifted
(one visitor sends every message). Prints Markdown.

    .venv/bin/python scripts/bench_long_conversation.py [--messages 120] [--block 10]
        [--repeat 2] [--before REV]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_revisions import archive
from scripts.bench_throughput import ask
from tests.support import ROOT
from tests.support.servers import Servers, running_servers

ENV = {"DESK_LIMIT_MESSAGES_PER_VISITOR": "1000000/minute", "KB_TORCH_THREADS": "1"}
WARM_UP = 6  # turns on a conversation of their own, not measured


def export(revision: str, into: Path) -> Path:
    """*revision*'s files, with this checkout's model, generated NLU data and KB index."""
    archive(revision, into)
    for part in ("models", "nlu_generated", "faq_kb"):
        if (ROOT / "var" / part).exists():
            shutil.copytree(ROOT / "var" / part, into / "var" / part)
    return into


class Route:
    """One way in (``direct`` or ``gateway``) to one stack, and its conversations."""

    def __init__(self, name: str, servers: Servers, via_gateway: bool) -> None:
        self.name = name
        self.servers = servers
        self.via_gateway = via_gateway
        self.senders: list[str] = []
        self.took: list[list[float]] = []  # [turn][conversation] milliseconds
        self.fresh: list[str] = []  # the short conversations beside the long ones
        self.fresh_took: list[list[float]] = []

    async def new_sender(self, client: httpx.AsyncClient) -> str:
        if self.via_gateway:
            visitor = await client.post(f"{self.servers.gateway_url}/webchat/api/visitors", json={})
            return str(visitor.json()["token"])
        return f"long-{uuid.uuid4().hex[:12]}"

    async def open(self, client: httpx.AsyncClient, count: int) -> None:
        self.senders = [await self.new_sender(client) for _ in range(count)]
        self.fresh = [await self.new_sender(client) for _ in range(count)]

    async def say(self, client: httpx.AsyncClient, sender: str, turn: int) -> float:
        url = self.servers.gateway_url if self.via_gateway else self.servers.rasa_url
        return await ask(client, url, self.via_gateway, sender, turn)


async def drive(paths: list[Route], messages: int, repeat: int, block: int) -> None:
    async with httpx.AsyncClient(timeout=120) as client:
        for path in paths:
            await path.open(client, repeat + 1)
            for turn in range(WARM_UP):  # the last conversation only warms caches up
                await path.say(client, path.senders[-1], turn)
        for turn in range(messages):
            rotated = paths[turn % len(paths) :] + paths[: turn % len(paths)]
            row: dict[str, list[float]] = {p.name: [] for p in paths}
            fresh: dict[str, list[float]] = {p.name: [] for p in paths}
            for conversation in range(repeat):
                for path in rotated:
                    if turn % block == 0 and turn:
                        path.fresh[conversation] = await path.new_sender(client)
                    pair = [path.senders[conversation], path.fresh[conversation]]
                    if turn % 2:  # neither side always goes first
                        pair.reverse()
                    for sender in pair:
                        took = await path.say(client, sender, turn)
                        long = sender == path.senders[conversation]
                        (row if long else fresh)[path.name].append(took)
            for path in paths:
                path.took.append(row[path.name])
                path.fresh_took.append(fresh[path.name])


def table(paths: list[Route], messages: int, block: int) -> list[str]:
    def median(path: Route, first: int, last: int, fresh: bool = False) -> float:
        took = path.fresh_took if fresh else path.took
        return statistics.median(t for turn in took[first:last] for t in turn)

    heads = [f"{p.name} p50 ms | beside it, messages 1–{block} | long / short" for p in paths]
    out = ["| messages | " + " | ".join(heads) + " |", "|---|" + "---:|" * 3 * len(paths)]
    for first in range(0, messages, block):
        last = min(messages, first + block)
        cells = " | ".join(
            f"{median(p, first, last):.0f} | {median(p, first, last, True):.0f} | "
            f"{median(p, first, last) / median(p, first, last, True):.2f}"
            for p in paths
        )
        out.append(f"| {first + 1}–{last} | {cells} |")
    out.append("")
    late = min(100, messages)  # the block holding message 100, against the one with message 5
    late_first = (late - 1) // block * block
    for path in paths:
        late_median = median(path, late_first, late_first + block)
        ratio = late_median / median(path, 0, block)
        beside = late_median / median(path, late_first, late_first + block, True)
        out.append(
            f"- {path.name}: median of messages {late_first + 1}–{late_first + block} / "
            f"messages 1–{block} = **{ratio:.2f}×** (minutes apart); / messages 1–{block} "
            f"of the short conversations at the same moment = **{beside:.2f}×**"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=120)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--before", help="a revision to run beside this checkout")
    parser.add_argument("--direct-only", action="store_true", help="leave the gateway out")
    args = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        (work / "this").mkdir()
        this = stack.enter_context(
            running_servers(work / "this", ENV, with_gateway=not args.direct_only)
        )
        gateway = not args.direct_only
        paths = [Route("this direct", this, False)] + (
            [Route("this gateway", this, True)] if gateway else []
        )
        if args.before:
            tree = export(args.before, work / "tree")
            (work / "before").mkdir()
            before = stack.enter_context(
                running_servers(work / "before", ENV, with_gateway=gateway, tree=tree)
            )
            paths += [Route(f"{args.before} direct", before, False)]
            paths += [Route(f"{args.before} gateway", before, True)] if gateway else []
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        asyncio.run(drive(paths, args.messages, args.repeat, args.block))
    flags = f" --before {args.before}" if args.before else ""
    flags += " --direct-only" if args.direct_only else ""
    print(
        f"Measured at {when} by `scripts/bench_long_conversation.py --messages "
        f"{args.messages} --block {args.block} --repeat {args.repeat}{flags}`; load average "
        f"{load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} "
        f"cores). {args.repeat} conversation(s) per path.\n"
    )
    print("\n".join(table(paths, args.messages, args.block)))


if __name__ == "__main__":
    main()
