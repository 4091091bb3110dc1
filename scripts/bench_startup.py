"""Start-up: seconds from ``make run`` to the first web chat answer. Markdown.

Runs ``make run`` (``--command`` for another, e.g. ``scripts/run.sh``) in its own
process group on free ports, with a trained model and a built index already present
(``make setup`` first), and fresh databases in a temporary directory: the first run is
a first start (the desk's migrations, the first agent), each further run (``--runs``) a
restart on the same databases. Meanwhile it polls each server's readiness (the paths
``scripts/run.sh`` waits for) and, once all three answer, asks a knowledge-base question
on the web chat as a new visitor, until a reply comes back. Per run: seconds to each
server's readiness and to the first answer, and the CPU seconds each process spent
(``/proc``, sampled; several processes share 2 cores, so CPU is where start-up goes).
Only its own process group is stopped.

    .venv/bin/python scripts/bench_startup.py [--runs 2] [--command "make run"]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_throughput import cpu_seconds
from tests.support import ROOT
from tests.support.processes import free_port
from tests.support.services import LOOPBACK_LIMITS

QUESTION = "how do I back up my wallet?"
TIMEOUT = 300
# A process of the group, by what its command line contains; the first match names it.
ROLES = [
    ("faq_kb build", "kb (make setup)"),
    ("bot.train", "model (make setup)"),
    ("run actions", "actions"),
    ("bot.rasa_server", "rasa"),
    ("agents bootstrap", "desk bootstrap"),
    ("-m gateway", "gateway"),
]


def role_of(pid: int) -> str | None:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None
    return next((role for needle, role in ROLES if needle in command), None)


def group_members(group: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(stat[2]) == group:  # field 5, pgrp
                    members.append(int(entry.name))
    return members


def answers(url: str, path: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url + path, timeout=2).status_code == 200
    return False


def first_answer(gateway: str) -> bool:
    """A new visitor's knowledge-base question gets a reply with text."""
    with contextlib.suppress(httpx.HTTPError):
        visitor = httpx.post(f"{gateway}/webchat/api/visitors", json={}, timeout=10)
        headers = {"Authorization": f"Bearer {visitor.json()['token']}"}
        reply = httpx.post(
            f"{gateway}/webchat/api/messages", json={"text": QUESTION}, headers=headers, timeout=60
        )
        return reply.status_code == 200 and any(r.get("text") for r in reply.json()["replies"])
    return False


def stop(group: int) -> None:
    """SIGTERM to the group (run.sh stops its servers), then SIGKILL to what is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def one_start(command: str, work: Path, run: int) -> dict[str, float]:
    """Seconds from the command's start to each milestone, and CPU seconds per role."""
    ports = {"RASA_PORT": free_port(), "ACTIONS_PORT": free_port(), "DESK_PORT": free_port()}
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        **LOOPBACK_LIMITS,
        "HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{work / 'support.db'}",
        "RASA_TRACKER_DB": str(work / "tracker.db"),
        "LOG_DIR": str(work / f"log-{run}"),
    }
    rasa = f"http://127.0.0.1:{ports['RASA_PORT']}"
    actions = f"http://127.0.0.1:{ports['ACTIONS_PORT']}"
    gateway = f"http://127.0.0.1:{ports['DESK_PORT']}"
    checks = {
        "actions ready": (actions, "/health"),
        "rasa ready": (rasa, "/webhooks/rest/"),
        "gateway ready": (gateway, "/health"),
    }
    output = (work / f"command-{run}.log").open("wb")
    started = time.monotonic()
    popen = subprocess.Popen(
        shlex.split(command),
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as one
    )
    output.close()
    found: dict[str, float] = {}
    cpu: dict[str, float] = {}
    try:
        while "first answer" not in found:
            if popen.poll() is not None:
                log = (work / f"command-{run}.log").read_text(errors="replace")
                raise SystemExit(f"{command} exited with {popen.returncode}:\n{log[-3000:]}")
            if time.monotonic() - started > TIMEOUT:
                raise SystemExit(f"no answer within {TIMEOUT} s; logs in {work}")
            for pid in group_members(popen.pid):
                role = role_of(pid)
                if role is not None:
                    found.setdefault(f"{role} started", time.monotonic() - started)
                    with contextlib.suppress(OSError):
                        cpu[f"{role}:{pid}"] = cpu_seconds(pid)
            for name, (url, path) in checks.items():
                if name not in found and answers(url, path):
                    found[name] = time.monotonic() - started
            if all(name in found for name in checks) and first_answer(gateway):
                found["first answer"] = time.monotonic() - started
            time.sleep(0.2)
    finally:
        stop(popen.pid)
    for key, seconds in cpu.items():
        role = key.split(":")[0]
        found[f"{role} CPU s"] = found.get(f"{role} CPU s", 0.0) + seconds
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--command", default="make -s run")
    args = parser.parse_args()
    load_before = os.getloadavg()
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            results.append(one_start(args.command, Path(tmp), run))
            print(f"run {run + 1}: {results[-1]}", file=sys.stderr, flush=True)
    load_after = os.getloadavg()
    print(
        f"Measured at {when} by `scripts/bench_startup.py --runs {args.runs} --command "
        f"'{args.command}'` on {os.cpu_count()} cores; load average {load_before[0]:.1f} "
        f"before, {load_after[0]:.1f} after (the machine is shared). Seconds from the "
        "command's start; CPU seconds each process had spent when the first answer came "
        "(sampled every 0.2 s, so a short-lived one may show less).\n"
    )
    for found in results:
        found["all processes CPU s"] = sum(v for k, v in found.items() if k.endswith("CPU s"))
    # Milestones in the order the first run reached them, then the CPU per process.
    names = sorted({k for r in results for k in r}, key=lambda k: (k.endswith("CPU s"), k))
    names.sort(key=lambda k: (k.endswith("CPU s"), results[0].get(k, 0.0) if "CPU" not in k else 0))
    kinds = ["first start" if i == 0 else "restart" for i in range(len(results))]
    print("| | " + " | ".join(kinds) + " |")
    print("|---" * (len(results) + 1) + "|")
    for name in names:
        cells = [f"{r[name]:.1f}" if name in r else "–" for r in results]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
