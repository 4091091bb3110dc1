"""The stolen-funds case file (issue 20, "Then" 6): rendered from a real check against
the local nodes, in zh/en/es, passed by the guard, and served to agents by the desk
(in-process gateway, SQLite and PostgreSQL) for download or to send to the user."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from bot.chain import ChainSettings, Forensics
from common.casefile import render
from common.payload import HandoffPayload
from common.settings import service_settings
from gateway.assembly import trusted_domains
from guard import Guard
from tests.fakes import chain_forensic as acct
from tests.fakes.chain import Nodes
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway


def checked(address: str, chain: str | None = None) -> dict[str, Any]:
    nodes = Nodes()
    forensics = Forensics(
        ChainSettings(
            evm_endpoints={"ethereum": f"{nodes.url}/evm/ethereum"},
            tron_endpoint=f"{nodes.url}/tron",
            tron_indexer_endpoint=f"{nodes.url}/tron-index",
            call_timeout_seconds=1.0,
            forensic_budget_seconds=2.5,
        )
    )

    async def go() -> dict[str, Any]:
        try:
            return (await forensics.check(address, chain)).as_dict()
        finally:
            await forensics.close()

    try:  # in a thread of its own: a browser test's page already runs an event loop here
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, go()).result()
    finally:
        nodes.close()


@pytest.fixture(scope="module")
def drained() -> dict[str, Any]:
    return {
        "affected_address": acct.DRAINED,
        "chain": "ethereum",
        "transfer_time": {"raw": "last night", "parsed": None},
        "forensic": checked(acct.DRAINED, "ethereum"),
    }


def test_the_case_file_names_each_finding_with_tx_link_time_and_amount(
    drained: dict[str, Any],
) -> None:
    text = render(drained, "en")
    assert text.startswith("# Case file: suspected theft")
    assert "COMPROMISED" in text and acct.DRAINED in text and "last night" in text
    assert f"https://etherscan.io/tx/0x{'f2' * 32}" in text  # the drainer's approval
    assert f"https://etherscan.io/tx/0x{'f5' * 32}" in text  # the outflow to the thief
    outflow = next(line for line in text.splitlines() if "Sent 500 USDT" in line)
    assert "2025-" in outflow or "2026-" in outflow  # the block's time, from the node
    assert "no recovery phrase" in text


def test_the_case_file_speaks_the_users_language(drained: dict[str, Any]) -> None:
    assert "案件记录" in render(drained, "zh") and "无限额" in render(drained, "zh")
    assert "Expediente" in render(drained, "es") and "ilimitado" in render(drained, "es")


def test_a_partial_check_says_so_in_the_file() -> None:
    case = {
        "affected_address": acct.TRON_CLEAN,
        "forensic": {
            "address": acct.TRON_CLEAN,
            "chains": ["tron"],
            "findings": [],
            "checks": {"tron:permissions": "done", "tron:transfers": "no_answer"},
            "verdict": "incomplete",
        },
    }
    text = render(case, "en")
    assert "Partial" in text and "tron:transfers (no_answer)" in text


@pytest.mark.parametrize(
    "address", [acct.DRAINED, acct.POISONED, acct.TRON_HIJACKED, acct.TRON_POISONED]
)
def test_the_guard_lets_the_case_file_through_unchanged(address: str) -> None:
    guard = Guard(trusted_domains(service_settings()))
    details = {"affected_address": address, "forensic": checked(address)}
    for language in ("zh", "en", "es"):
        text = render(details, language)  # type: ignore[arg-type]
        assert guard.check_agent(text) is None
        # Hashes read as hashes here, not keys; no run of Chinese words reads as a phrase.
        assert guard.scrub(text) == text


def test_a_hostile_field_is_shown_as_data_and_never_as_a_link(drained: dict[str, Any]) -> None:
    hostile = json.loads(json.dumps(drained))
    hostile["forensic"]["findings"][0]["counterparty"] = "visit evil-refund.com now"
    assert Guard(trusted_domains(service_settings())).check_agent(render(hostile, "en")) is not None


class ForensicRasa(FakeRasa):
    """Rasa whose "stolen" hands off the drained account's case file."""

    def __init__(self, details: dict[str, Any]) -> None:
        super().__init__()
        self.details = details

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["message"] != "stolen":
            return super().__call__(request)
        payload = HandoffPayload(
            conversation_id=body["sender"],
            reason="stolen_funds",
            priority="urgent",
            language="es",
            sla_hours=1,
            details=self.details,
            summary="stolen funds",
        )
        return httpx.Response(
            200, json=[{"recipient_id": body["sender"], "custom": payload.as_message()}]
        )


def test_the_desk_serves_the_case_file_to_agents(
    database_url: str, drained: dict[str, Any]
) -> None:
    gateway = Gateway(database_url, ForensicRasa(drained))
    with gateway.client:
        alice = gateway.agent("alice@example.com")
        user = gateway.visitor()
        gateway.say(user, "stolen", language="es")
        [session] = gateway.queue(alice)
        assert session["priority"] == "urgent"
        url = f"/api/agent/sessions/{session['id']}/case-file"
        served = gateway.client.get(url, headers=alice).json()
        assert served["language"] == "es" and served["refused"] is None
        assert served["filename"] == f"case-{session['ticket']}.md"
        assert "Expediente" in served["text"] and f"0x{'f2' * 32}" in served["text"]
        english = gateway.client.get(url, params={"language": "en"}, headers=alice).json()
        assert "Case file" in english["text"]
        assert gateway.client.get(url).status_code == 401
        gateway.say(gateway.visitor(), "human", language="en")
        other = next(s for s in gateway.queue(alice) if s["reason"] == "user_request")
        missing = gateway.client.get(f"/api/agent/sessions/{other['id']}/case-file", headers=alice)
        assert missing.status_code == 404
