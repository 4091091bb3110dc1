"""The stolen-funds checks (issue 20, "Then" 1–5) against the local nodes of
:mod:`tests.fakes.chain` playing the accounts of :mod:`tests.fakes.chain_forensic`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from bot.chain import CaseFile, ChainSettings, Forensics, lookalike
from common.casefile import finding_line
from tests.fakes import chain_forensic as acct
from tests.fakes.chain import Nodes


@pytest.fixture
def nodes() -> Iterator[Nodes]:
    nodes = Nodes()
    yield nodes
    nodes.close()


def check(nodes: Nodes, address: str, chain: str | None = None, **extra: Any) -> CaseFile:
    values: dict[str, Any] = {
        "evm_endpoints": {"ethereum": f"{nodes.url}/evm/ethereum"},
        "tron_endpoint": f"{nodes.url}/tron",
        "tron_indexer_endpoint": f"{nodes.url}/tron-index",
        "spender_allowlist": {"ethereum": [acct.ROUTER]},
        "call_timeout_seconds": 1.0,  # a loaded test host is slow; hangs last 3 s
        "forensic_budget_seconds": 2.5,
        **extra,
    }
    forensics = Forensics(ChainSettings(**values))

    async def go() -> CaseFile:
        try:
            return await forensics.check(address, chain)
        finally:
            await forensics.close()

    return asyncio.run(go())


def test_a_hijacked_owner_permission_is_named_with_its_update(nodes: Nodes) -> None:
    case = check(nodes, acct.TRON_HIJACKED, "tron")
    assert case.verdict == "compromised" and not case.partial
    owner = next(f for f in case.findings if f.kind == "owner_permission")
    assert owner.severity == "hijack" and owner.keys == (acct.TRON_ATTACKER,)
    assert owner.tx_hash == acct.UPDATE_TX and owner.time == "2025-11-24T16:00:00+00:00"
    assert acct.TRON_ATTACKER in owner.evidence and "owner permission" in owner.evidence
    assert {f.kind for f in case.findings} == {"owner_permission", "active_permission"}


def test_a_multisig_added_to_active_only(nodes: Nodes) -> None:
    case = check(nodes, acct.TRON_ACTIVE_ONLY, "tron")
    assert [(f.kind, f.severity, f.threshold) for f in case.findings] == [
        ("active_permission", "hijack", 2)
    ]
    assert case.findings[0].keys == (acct.TRON_ATTACKER,)
    assert case.verdict == "compromised"


def test_a_raised_threshold_alone_is_a_takeover(nodes: Nodes) -> None:
    # No foreign key, but the owner's own weight (1) no longer reaches the threshold (2).
    case = check(nodes, acct.TRON_LOCKED, "tron")
    [owner] = case.findings
    assert (owner.kind, owner.severity, owner.threshold, owner.keys) == (
        "owner_permission",
        "hijack",
        2,
        (),
    )
    assert "threshold 2" in owner.evidence and case.verdict == "compromised"
    line = finding_line(case.as_dict()["findings"][0], "en")
    assert "threshold raised to 2" in line and "can no longer sign alone" in line


def test_unlimited_approval_to_an_unknown_spender_and_a_limited_one_to_the_router(
    nodes: Nodes,
) -> None:
    case = check(nodes, acct.DRAINED, "ethereum")
    approvals = {f.counterparty.lower(): f for f in case.findings if f.kind == "approval"}
    assert set(approvals) == {acct.DRAINER, acct.ROUTER}  # the revoked one is gone
    drainer, router = approvals[acct.DRAINER], approvals[acct.ROUTER]
    assert (drainer.severity, drainer.amount, drainer.token, drainer.allowlisted) == (
        "hijack",
        "unlimited",
        "USDT",
        False,
    )
    assert drainer.tx_hash == "0x" + "f2" * 32 and drainer.tx_hash in drainer.evidence
    assert (router.severity, router.amount, router.token, router.allowlisted) == (
        "info",
        "50",
        "USDC",
        True,
    )
    outflow = next(f for f in case.findings if f.kind == "outflow")
    assert (outflow.amount, outflow.token, outflow.counterparty.lower()) == (
        "500",
        "USDT",
        acct.THIEF,
    )
    assert outflow.time and outflow.tx_hash == "0x" + "f5" * 32
    assert case.verdict == "compromised" and case.checks == {
        "ethereum:approvals": "done",
        "ethereum:transfers": "done",
    }


def test_a_poisoning_pair_on_ethereum(nodes: Nodes) -> None:
    case = check(nodes, acct.POISONED)
    poison = [f for f in case.findings if f.kind == "poisoning"]
    assert {f.tx_hash for f in poison} == {"0x" + "f7" * 32, "0x" + "f8" * 32}
    assert all(f.counterparty.lower() == acct.LOOKALIKE for f in poison)
    assert all(f.lookalike_of.lower() == acct.FRIEND for f in poison)
    assert case.verdict == "suspicious"


def test_a_poisoning_pair_and_an_unlimited_trc20_approval_on_tron(nodes: Nodes) -> None:
    case = check(nodes, acct.TRON_POISONED, "tron")
    kinds = {(f.kind, f.severity, f.counterparty) for f in case.findings}
    assert ("poisoning", "warning", acct.TRON_LOOKALIKE) in kinds
    assert ("approval", "hijack", acct.TRON_SPENDER) in kinds
    assert ("outflow", "info", acct.TRON_FRIEND) in kinds
    assert not case.partial


def test_a_clean_account_is_clean_and_complete(nodes: Nodes) -> None:
    for address in (acct.CLEAN, acct.TRON_CLEAN):
        case = check(nodes, address)
        assert case.verdict == "clean", case
        assert all(f.severity == "info" for f in case.findings)


def test_a_node_hanging_half_way_gives_a_partial_result_in_budget(nodes: Nodes) -> None:
    nodes.hang_on = {"eth_call"}  # the logs answer, the allowance() calls don't
    case = check(nodes, acct.DRAINED, "ethereum")
    assert case.checks == {"ethereum:approvals": "partial", "ethereum:transfers": "done"}
    assert not any(f.kind == "approval" for f in case.findings)  # unconfirmed: not said
    assert case.partial and case.verdict == "incomplete"
    assert any(f.kind == "outflow" for f in case.findings)


def test_a_hanging_indexer_still_reads_tron_permissions(nodes: Nodes) -> None:
    nodes.mode = {"tron-index": "hang"}
    case = check(nodes, acct.TRON_HIJACKED, "tron")
    assert case.verdict == "compromised" and case.partial
    assert case.checks["tron:permissions"] == "partial"  # no update time
    assert {case.checks["tron:approvals"], case.checks["tron:transfers"]} == {"failed"}


def test_the_whole_check_stops_at_its_budget(nodes: Nodes) -> None:
    nodes.hang_on = {"eth_getLogs"}  # longer than the budget: the checks are stopped
    case = check(nodes, acct.DRAINED, "ethereum", call_timeout_seconds=5)
    assert set(case.checks.values()) == {"no_answer"} and case.verdict == "incomplete"


@pytest.mark.parametrize("mode", ["huge", "garbage", "500"])
def test_hostile_nodes_give_failed_checks_never_a_crash(nodes: Nodes, mode: str) -> None:
    nodes.mode = {"ethereum": mode, "tron": mode, "tron-index": mode}
    for address in (acct.DRAINED, acct.TRON_HIJACKED):
        case = check(nodes, address, max_response_bytes=100_000)
        assert case.findings == () and case.verdict == "incomplete"
        assert set(case.checks.values()) <= {"failed", "no_answer"}


def test_wrong_types_are_failed_checks(nodes: Nodes) -> None:
    assert set(check(nodes, acct.WRONG_TYPES).checks.values()) == {"failed"}
    hostile = check(nodes, acct.TRON_HOSTILE, "tron")
    assert hostile.checks["tron:permissions"] == "failed" and hostile.verdict == "incomplete"
    # The indexer's junk events are dropped (said to be partial), never shown.
    assert hostile.checks["tron:transfers"] == "partial" and hostile.findings == ()


def test_only_the_address_given_is_asked_about(nodes: Nodes) -> None:
    check(nodes, acct.POISONED)
    asked = " ".join(nodes.calls + nodes.bodies).lower()
    assert acct.FRIEND[2:] not in asked and acct.LOOKALIKE[2:] not in asked


def test_lookalike_compares_first_and_last_four() -> None:
    assert lookalike(acct.FRIEND, acct.LOOKALIKE)
    assert lookalike(acct.FRIEND.upper().replace("0X", "0x"), acct.LOOKALIKE)
    assert not lookalike(acct.FRIEND, acct.FRIEND.upper().replace("0X", "0x"))
    assert not lookalike(acct.FRIEND, acct.THIEF)
    assert lookalike(acct.TRON_FRIEND, acct.TRON_LOOKALIKE)
