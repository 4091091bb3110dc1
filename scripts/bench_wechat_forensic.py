"""The stolen-funds flow's last turn over WeChat at N users at once (docs/benchmarks.md,
issue 20): how many get the findings as a passive reply inside WeChat's 5 seconds, the
answer times, and what happens to the rest (``success``, then customer-service messages).

Real Rasa, action server and gateway (scripts' usual :func:`running_servers`), the local
chain nodes of tests/fakes/chain.py in a process of their own, and the WeChat API played
by tests/fakes/wechat.py. Each user first walks the form (network, then address) a few
at a time; then all of them answer the last question ("when?") at the same moment, and
that turn runs the chain checks. Prints Markdown.

    .venv/bin/python scripts/bench_wechat_forensic.py [--users 50] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench_chain import RemoteNodes, pct
from tests.fakes import chain_forensic as acct
from tests.fakes.wechat import APP_ID, WeChatApi, signed, unique_nonce, xml
from tests.fakes.wechat import TOKEN as WECHAT_TOKEN
from tests.support.servers import running_servers

WECHAT_LIMIT = 5.0  # seconds WeChat waits for a passive reply
# What users bring, round-robin: drained (urgent handoff), poisoned, clean (EVM);
# hijacked (urgent handoff), clean, poisoned via the indexer (TRON).
ACCOUNTS = [
    ("以太坊", acct.DRAINED),
    ("以太坊", acct.POISONED),
    ("以太坊", acct.CLEAN),
    ("波场", acct.TRON_HIJACKED),
    ("波场", acct.TRON_CLEAN),
    ("波场", acct.TRON_POISONED),
]
OPENING = "我的U被盗了"
LAST_ANSWER = "昨晚"
ASKS_CHAIN = re.compile(r"哪条链|网络")
ASKS_ADDRESS = re.compile(r"哪个地址")
ASKS_TIME = re.compile(r"什么时候")
# A last turn whose reply holds one of these told the user what the chain showed.
FINDINGS = re.compile(r"我在链上看到|没有发现可疑|只能部分检查|未能完整检查|地址投毒|权限")
BUTTON = re.compile(r"^\d+\. |（回复数字即可）")
SETUP_AT_ONCE = 5  # users walking the form's first turns together


def env(nodes: str, api: str) -> dict[str, str]:
    return {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": "bench-app-secret",
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_API_BASE": api,
        "CHAIN_EVM_ENDPOINTS": json.dumps({"ethereum": f"{nodes}/evm/ethereum"}),
        "CHAIN_TRON_ENDPOINT": f"{nodes}/tron",
        "CHAIN_TRON_INDEXER_ENDPOINT": f"{nodes}/tron-index",
        "CHAIN_SPENDER_ALLOWLIST": json.dumps({"ethereum": [acct.ROUTER]}),
    }


def push(openid: str, text: str, tag: str) -> tuple[dict[str, str], bytes]:
    """A signed text push as WeChat's servers send it (new MsgId and nonce each time)."""
    timestamp, nonce = str(int(time.time())), unique_nonce()
    params = {"signature": signed(timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    body = xml("text", zlib.crc32(f"{tag}:{openid}".encode()), openid=openid, Content=text)
    return params, body.encode()


def content(reply: str) -> str:
    match = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", reply, re.DOTALL)
    return match.group(1) if match else ""


def cs_texts(api: WeChatApi, openid: str) -> list[str]:
    return [m["text"]["content"] for m in list(api.sent) if m.get("touser") == openid]


async def say(
    client: httpx.AsyncClient, gateway: str, api: WeChatApi, openid: str, text: str, tag: str
) -> str:
    """One setup turn: the passive reply, or the customer-service messages it became."""
    before = len(cs_texts(api, openid))
    params, body = push(openid, text, tag)
    response = await client.post(f"{gateway}/wechat", params=params, content=body)
    if response.text.startswith("<xml>"):
        return content(response.text)
    for _ in range(300):  # late: wait for the customer-service messages
        sent = cs_texts(api, openid)
        if len(sent) > before:
            await asyncio.sleep(0.5)  # the rest of that turn's messages
            return "\n".join(cs_texts(api, openid)[before:])
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{openid}: no reply to {text!r}")


async def walk_form(gateway: str, api: WeChatApi, openid: str, chain: str, address: str) -> None:
    """Up to the form's last question (the time), answering what it asks."""
    async with httpx.AsyncClient(timeout=60) as client:
        shown = await say(client, gateway, api, openid, OPENING, "open")
        for turn in range(4):
            # WeChat shows buttons as numbered lines and a hint: the question is above them.
            lines = [line for line in shown.splitlines() if line.strip() and not BUTTON.match(line)]
            last = lines[-1] if lines else ""
            if ASKS_TIME.search(last):
                return
            answer = (
                chain if ASKS_CHAIN.search(last) else address if ASKS_ADDRESS.search(last) else None
            )
            if answer is None:
                raise RuntimeError(f"{openid}: unexpected question {shown!r}")
            shown = await say(client, gateway, api, openid, answer, f"a{turn}")
    raise RuntimeError(f"{openid}: the form never asked for the time")


async def setup(gateway: str, api: WeChatApi, openids: list[str]) -> list[str]:
    """The users whose form now waits for its last answer (a failed walk is reported)."""
    gate = asyncio.Semaphore(SETUP_AT_ONCE)

    async def one(index: int, openid: str) -> str | None:
        chain, address = ACCOUNTS[index % len(ACCOUNTS)]
        async with gate:
            try:
                await walk_form(gateway, api, openid, chain, address)
            except (RuntimeError, httpx.HTTPError) as exc:
                print(f"setup failed: {exc}", file=sys.stderr)
                return None
        return openid

    ready = await asyncio.gather(*(one(i, o) for i, o in enumerate(openids)))
    return [openid for openid in ready if openid]


async def last_turn(gateway: str, api: WeChatApi, openids: list[str]) -> dict[str, Any]:
    """Every user answers "when?" at once: the turn that reads the chain."""
    before = {o: len(cs_texts(api, o)) for o in openids}
    connector = aiohttp.TCPConnector(limit=len(openids) + 10, force_close=True)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=60)
    ) as client:

        async def one(openid: str) -> tuple[str, float, str]:
            params, body = push(openid, LAST_ANSWER, "last")
            started = time.perf_counter()
            async with client.post(f"{gateway}/wechat", params=params, data=body) as response:
                text = await response.text()
            return openid, time.perf_counter() - started, text

        pushed = time.perf_counter()
        results = await asyncio.gather(*(one(o) for o in openids))
    late = [o for o, took, text in results if took > WECHAT_LIMIT or not text.startswith("<xml>")]
    arrived: dict[str, float] = {}
    while len(arrived) < len(late) and time.perf_counter() - pushed < 60:
        for openid in late:
            if openid not in arrived and len(cs_texts(api, openid)) > before[openid]:
                arrived[openid] = time.perf_counter() - pushed
        await asyncio.sleep(0.05)
    passive = [
        (took, content(text))
        for _, took, text in results
        if took <= WECHAT_LIMIT and text.startswith("<xml>")
    ]
    return {
        "users": len(openids),
        "times": [took for _, took, _ in results],
        "passive": len(passive),
        "passive_findings": sum(bool(FINDINGS.search(c)) for _, c in passive),
        "success": sum(text == "success" for _, _, text in results),
        "over_5s": sum(took > WECHAT_LIMIT for _, took, _ in results),
        "late_delivered": len(arrived),
        "late_after": sorted(arrived.values()),
        # Replies that didn't fit one passive reply (2,048 bytes) follow as CS messages.
        "cs_after_passive": sum(
            len(cs_texts(api, o)) > before[o] for o, took, t in results if t.startswith("<xml>")
        ),
    }


def report(runs: list[dict[str, Any]], when: str, users: int) -> list[str]:
    times = sorted(t for run in runs for t in run["times"])
    total = sum(run["users"] for run in runs)
    passive = sum(run["passive"] for run in runs)
    findings = sum(run["passive_findings"] for run in runs)
    late = [t for run in runs for t in run["late_after"]]
    success = sum(run["success"] for run in runs)
    return [
        f"Measured by `scripts/bench_wechat_forensic.py --users {users} --runs {len(runs)}` "
        f"at {when}.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| last turns pushed at once | {users} users × {len(runs)} runs = {total} "
        f"({sum(run['setup_failed'] for run in runs)} more failed the form's first turns) |",
        f"| **passive replies inside 5 s** | **{passive} of {total} "
        f"({100 * passive / total:.0f}%)**; {findings} of them hold the findings |",
        f"| HTTP answer p50 / p95 / max | {statistics.median(times):.2f} / {pct(times, 0.95):.2f}"
        f" / {times[-1]:.2f} s |",
        f"| answered `success` (the reply goes as a customer-service message) | {success} |",
        f"| HTTP answers after 5 s (WeChat would have retried) | "
        f"{sum(run['over_5s'] for run in runs)} |",
        f"| late replies delivered as customer-service messages | {len(late)} of "
        f"{total - passive}"
        + (
            f", {statistics.median(late):.1f} s (median) / {late[-1]:.1f} s (last) after the push"
            if late
            else ""
        )
        + " |",
        f"| passive replies continued by customer-service messages (over 2,048 bytes) | "
        f"{sum(run['cs_after_passive'] for run in runs)} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    nodes = RemoteNodes({})
    api = WeChatApi()
    runs: list[dict[str, Any]] = []
    try:
        with (
            tempfile.TemporaryDirectory() as workdir,
            running_servers(Path(workdir), env(nodes.url, api.url), with_gateway=True) as servers,
        ):
            gateway = servers.gateway_url
            # Rasa's first turns load lazily: longer than the gateway waits on a busy host.
            servers.say("warm-up", OPENING, {"language": "zh"})
            asyncio.run(setup(gateway, api, ["oWarm"]))
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            for run in range(args.runs):
                openids = [f"oForensic{run}x{i}" for i in range(args.users)]
                ready = asyncio.run(setup(gateway, api, openids))
                time.sleep(2)  # setup's stragglers done
                runs.append(asyncio.run(last_turn(gateway, api, ready)))
                runs[-1]["setup_failed"] = len(openids) - len(ready)
                time.sleep(3)
    finally:
        nodes.close()
        api.close()
    print("\n".join(report(runs, when, args.users)))
    print("\nper run:", json.dumps([{k: v for k, v in r.items() if k != "times"} for r in runs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
