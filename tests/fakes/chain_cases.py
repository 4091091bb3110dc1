"""Transactions that gave users a wrong answer (issue 20, defects 1–6), written by hand
from the public API specs and from what real nodes were seen to return."""

from __future__ import annotations

from typing import Any

from eth_abi import encode

from tests.fakes.chain import (
    ALICE,
    BOB,
    EVM_TXS,
    TRON_ALICE_HEX,
    TRON_BOB_HEX,
    TRON_USDT_HEX,
    USDT_ETH,
    h,
    topic,
    trc20_transfer,
)
from tests.fakes.chain_poisoning import EVM_PAYMENTS, TRON_PAYMENTS

TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
USDT_BSC = "0x55d398326f99059fF775485246999027B3197955"
TRON_CAROL_HEX = "41" + "c3" * 20
HUNDRED_USDT = 100 * 10**6


def transfer_input(to: str, amount: int) -> str:
    return "0xa9059cbb" + encode(["address", "uint256"], [to, amount]).hex()


def usdt_log(amount: int, token: str = USDT_ETH, to: str = BOB) -> dict[str, Any]:
    return {
        "address": token.lower(),
        "topics": [TRANSFER_TOPIC, topic(ALICE), topic(to)],
        "data": "0x" + h(amount),
    }


def erc20(
    tx_hash: str,
    *,
    token: str = USDT_ETH,
    amount: int = HUNDRED_USDT,
    block: int | None = 110,
    receipt: dict[str, Any] | None = None,
    reported_hash: str | None = None,
) -> dict[str, Any]:
    """A ``transfer(BOB, amount)`` call to *token*; the receipt is the caller's."""
    tx = {
        "hash": reported_hash or tx_hash,
        "from": ALICE,
        "to": token,
        "value": "0x0",
        "input": transfer_input(BOB, amount),
        "blockNumber": hex(block) if block is not None else None,
        "gasPrice": hex(10**9),
    }
    answer: dict[str, Any] = {"eth_getTransactionByHash": tx}
    if receipt is not None:
        answer["eth_getTransactionReceipt"] = {
            "blockNumber": hex(block or 0),
            "gasUsed": hex(50_000),
            **receipt,
        }
    return answer


# Defect 1: only "0x1" / "0x0" are statuses; the Transfer log proves the rest.
PRE_BYZANTIUM = "0x" + "c1" * 32  # "root", no status, the user's 100 USDT in the logs
STATUS_NUMBER = "0x" + "c2" * 32  # status: 1 (a number), the Transfer in the logs
STATUS_WORD = "0x" + "c3" * 32  # status: "success", no logs
LOG_OTHER_AMOUNT = "0x" + "c7" * 32  # no status; the log moved 1 USDT, the call asked 100
# Defect 3: ERC-20 read from the call.
FAILED_USDT = "0x" + "c4" * 32
PENDING_USDT = "0x" + "c5" * 32
# Defect 2, on EVM too: the node answers about another transaction.
OTHER_TX_EVM = "0x" + "c6" * 32
# Defect 5: only on BNB Chain.
BSC_USDT = "0x" + "d1" * 32

EVM_CASES: dict[str, dict[str, Any]] = {
    PRE_BYZANTIUM: erc20(
        PRE_BYZANTIUM, receipt={"root": "0x" + "ab" * 32, "logs": [usdt_log(HUNDRED_USDT)]}
    ),
    STATUS_NUMBER: erc20(STATUS_NUMBER, receipt={"status": 1, "logs": [usdt_log(HUNDRED_USDT)]}),
    STATUS_WORD: {
        "eth_getTransactionByHash": {
            "hash": STATUS_WORD,
            "from": ALICE,
            "to": BOB,
            "value": hex(10**18),
            "blockNumber": hex(110),
        },
        "eth_getTransactionReceipt": {"blockNumber": hex(110), "status": "success", "logs": []},
    },
    LOG_OTHER_AMOUNT: erc20(LOG_OTHER_AMOUNT, receipt={"logs": [usdt_log(10**6)]}),
    FAILED_USDT: erc20(FAILED_USDT, receipt={"status": "0x0", "logs": []}),
    PENDING_USDT: erc20(PENDING_USDT, block=None),
    OTHER_TX_EVM: EVM_TXS["0x" + "a1" * 32],  # its "hash" is a1…, not c6…
}
BSC_CASES: dict[str, dict[str, Any]] = {
    BSC_USDT: erc20(
        BSC_USDT,
        token=USDT_BSC,
        amount=50 * 10**18,
        receipt={"status": "0x1", "logs": [usdt_log(50 * 10**18, USDT_BSC)]},
    ),
}
EVM_BY_CHAIN = {"ethereum": {**EVM_TXS, **EVM_CASES, **EVM_PAYMENTS}, "bsc": BSC_CASES}


def tron_log(amount: int, sender: str = TRON_ALICE_HEX) -> dict[str, Any]:
    """A TRC-20 Transfer log as /wallet/gettransactioninfobyid returns it (no 0x, no 41)."""
    return {
        "address": TRON_USDT_HEX[2:],
        "topics": [TRANSFER_TOPIC[2:], "0" * 24 + sender[2:], "0" * 24 + TRON_BOB_HEX[2:]],
        "data": h(amount),
    }


def tron_case(
    txid: str,
    *,
    result: str | None = "SUCCESS",
    block: int = 5000,
    logs: list[dict[str, Any]] | None = None,
    data: str | None = None,
    owner: str = TRON_ALICE_HEX,
    reported: str | None = None,
) -> dict[str, Any]:
    case = trc20_transfer(txid, HUNDRED_USDT, result or "SUCCESS", block, 1_000_000)
    tx, info = case["tx"], case["info"]
    tx["txID"] = reported or txid
    value = tx["raw_data"]["contract"][0]["parameter"]["value"]
    value["owner_address"] = owner
    if data is not None:
        value["data"] = data
    if result is None:  # a node that leaves the result out
        del tx["ret"]
        del info["receipt"]
    else:
        info["receipt"] = {"result": result}
    if logs is not None:
        info["log"] = logs
    return case


def _words(*values: str) -> str:
    return "".join(values)


TRON_AHEAD = "e1" * 32  # in block 6000; the node is at 5019
TRON_OTHER_TX = "e2" * 32  # the node answers with another txID
TRON_NO_RESULT = "e3" * 32  # no contractRet; the info's log holds the 100 USDT
TRON_DEFAULT = "e4" * 32  # contractRet DEFAULT, no logs
TRON_ODD_RESULT = "e5" * 32  # contractRet "WEIRD"
TRON_DIRTY_PADDING = "e6" * 32  # non-zero bytes in the address word's padding
TRON_TRANSFER_FROM = "e7" * 32  # Carol calls transferFrom(Alice, Bob, 50 USDT)
TRON_OPAQUE_CALL = "e8" * 32  # a call we can't decode that logged a Transfer
TRON_BARE_CALL = "e9" * 32  # a call we can't decode, no Transfer logged

TRON_CASES: dict[str, dict[str, Any]] = {
    TRON_AHEAD: tron_case(TRON_AHEAD, block=6000),
    TRON_OTHER_TX: tron_case(TRON_OTHER_TX, reported="b1" * 32),
    TRON_NO_RESULT: tron_case(TRON_NO_RESULT, result=None, logs=[tron_log(HUNDRED_USDT)]),
    TRON_DEFAULT: tron_case(TRON_DEFAULT, result="DEFAULT"),
    TRON_ODD_RESULT: tron_case(TRON_ODD_RESULT, result="WEIRD"),
    TRON_DIRTY_PADDING: tron_case(
        TRON_DIRTY_PADDING,
        data=_words("a9059cbb", "0000000000000000000000ff" + TRON_BOB_HEX[2:], h(HUNDRED_USDT)),
    ),
    TRON_TRANSFER_FROM: tron_case(
        TRON_TRANSFER_FROM,
        owner=TRON_CAROL_HEX,
        data=_words(
            "23b872dd",
            "0" * 24 + TRON_ALICE_HEX[2:],
            "0" * 24 + TRON_BOB_HEX[2:],
            h(50 * 10**6),
        ),
        logs=[tron_log(50 * 10**6)],
    ),
    TRON_BARE_CALL: tron_case(TRON_BARE_CALL, data="38ed1739" + h(1) * 5),
    TRON_OPAQUE_CALL: tron_case(
        TRON_OPAQUE_CALL, data="38ed1739" + h(1) * 5, logs=[tron_log(HUNDRED_USDT)]
    ),
    **TRON_PAYMENTS,
}
