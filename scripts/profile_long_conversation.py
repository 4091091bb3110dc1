"""Where a turn's time goes late in a long conversation: cProfile inside Rasa's own code.

Runs Rasa's agent in this process (the model, ``endpoints.yml``'s SQLite tracker store,
``bot.rasa_server``'s fixes), the action server beside it, and one conversation of
``--turns`` FAQ messages. The turns of two blocks (``--early`` and ``--late``, 1-based,
inclusive) are profiled apart; prints each block's median turn and the functions whose
cumulative time per turn grew the most from the early block to the late one.

    .venv/bin/python scripts/profile_long_conversation.py [--turns 120] [--top 40]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_gateway import QUESTIONS
from tests.support import ROOT
from tests.support.model import trained_model
from tests.support.processes import BIN, free_port, spawn, wait_until_up


def per_turn(stats: pstats.Stats, turns: int) -> dict[tuple[str, int, str], tuple[float, float]]:
    """(own, cumulative) seconds per turn of each function."""
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    return {key: (value[2] / turns, value[3] / turns) for key, value in raw.items()}


def label(key: tuple[str, int, str]) -> str:
    path, line, name = key
    short = path.split("site-packages/")[-1].split("wt-longconv/")[-1]
    return f"{short}:{line}({name})"


async def converse(turns: int, blocks: dict[str, range]) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot import rasa_server

    configure_logging_and_warnings(logging.INFO, warn_only_once=True, filter_repeated_logs=True)
    configure_structlog(logging.INFO)  # as `rasa run` does: debug lines are dropped
    rasa_server.install()
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    agent = await load_agent(model_path=str(trained_model()), endpoints=endpoints)
    timings: list[float] = []
    profiles = {name: cProfile.Profile() for name in blocks}
    sender = "long-conversation"
    for turn in range(1, turns + 1):
        language, text = QUESTIONS[turn % len(QUESTIONS)]
        message = UserMessage(
            text,
            CollectingOutputChannel(),
            sender,
            input_channel="rest",
            metadata={"language": language, "channel": "webchat"},
        )
        profile = next((profiles[n] for n, r in blocks.items() if turn in r), None)
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        await agent.handle_message(message)
        if profile is not None:
            profile.disable()
        timings.append((time.perf_counter() - started) * 1000)
    tracker = await agent.tracker_store.retrieve(sender)
    assert tracker is not None
    sizes: dict[str, list[int]] = {}
    for event in tracker.events:
        sizes.setdefault(event.type_name, []).append(len(json.dumps(event.as_dict())))
    return {"timings": timings, "profiles": profiles, "events": len(tracker.events), "sizes": sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=120)
    parser.add_argument("--early", default="6-20", help="first-last turn of the early block")
    parser.add_argument("--late", default="101-120", help="first-last turn of the late block")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", type=Path, help="directory for early.prof and late.prof")
    args = parser.parse_args()

    def span(text: str) -> range:
        first, last = (int(v) for v in text.split("-"))
        return range(first, last + 1)

    blocks = {"early": span(args.early), "late": span(args.late)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        os.environ.update(
            {
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{port}/webhook",
                "RASA_TRACKER_DB": str(work / "tracker.db"),
                "DATABASE_URL": f"sqlite:///{work / 'desk.db'}",
                "KB_TORCH_THREADS": "1",
            }
        )
        command = [str(BIN / "rasa"), "run", "actions", "--actions", "bot.actions"]
        actions = spawn("actions", [*command, "--port", str(port)], port, os.environ, None)
        try:
            wait_until_up(actions, "/health")
            found = asyncio.run(converse(args.turns, blocks))
        finally:
            actions.stop()
    timings = found["timings"]
    print(f"{args.turns} turns, {found['events']} events in the tracker at the end")
    for kind, sizes in sorted(found["sizes"].items(), key=lambda i: -sum(i[1])):
        print(f"  {kind}: {len(sizes)} events, {statistics.mean(sizes):.0f} bytes of JSON each")
    for name, turns in blocks.items():
        block = [timings[t - 1] for t in turns]
        print(
            f"{name} block (turns {turns[0]}-{turns[-1]}): median {statistics.median(block):.1f} ms"
        )
    stats = {name: pstats.Stats(profile) for name, profile in found["profiles"].items()}
    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        for name, each in stats.items():
            each.dump_stats(str(args.dump / f"{name}.prof"))
    early = per_turn(stats["early"], len(blocks["early"]))
    late = per_turn(stats["late"], len(blocks["late"]))
    growth = sorted(late, key=lambda k: late[k][1] - early.get(k, (0.0, 0.0))[1], reverse=True)[
        : args.top
    ]
    print("\nms per turn, early -> late (cumulative; own), by cumulative growth:")
    show(growth, early, late)
    own = sorted(late, key=lambda k: late[k][0] - early.get(k, (0.0, 0.0))[0], reverse=True)
    print("\n... by own-time growth:")
    show(own[: args.top], early, late)


def show(keys: list[Any], early: dict[Any, Any], late: dict[Any, Any]) -> None:
    for key in keys:
        e_own, e_cum = early.get(key, (0.0, 0.0))
        l_own, l_cum = late[key]
        print(
            f"{1000 * e_cum:8.2f} -> {1000 * l_cum:8.2f}  (own {1000 * e_own:6.2f} -> "
            f"{1000 * l_own:6.2f})  {label(key)}"
        )


if __name__ == "__main__":
    main()
