"""Missing transfers around a poisoning (issue 20, "Then" 5): the user's own transfer,
as the lookup reads it, from an account whose history the stolen-funds accounts of
:mod:`tests.fakes.chain_forensic` hold (a payment to a friend, then a zero or dust
transfer from a look-alike of the friend).
"""

from __future__ import annotations

from typing import Any

import base58
from eth_abi import encode

from tests.fakes import chain_forensic as acct
from tests.fakes.chain import TRON_USDT_HEX, USDT_ETH, h

# Ethereum: the user copied the look-alike from History and paid it 200 USDT (the log
# f8 of chain_forensic.EVM_LOGS); the form's address answer is that same look-alike.
PAID_LOOKALIKE = "0x" + "f8" * 32
PAID_FRIEND = "0x" + "f6" * 32  # the real payment: the friend got 1000 USDT
CLEAN_PAYMENT = "0x" + "f9" * 32  # an account with no look-alike in its history
LATE_PAYMENT = "0x" + "fa" * 32  # acct.LATE paid the look-alike 300 USDT
# TRON: 200 USDT to the look-alike (the indexer's history of TRON_POISONED has the
# friend's payment a7… and the look-alike's dust a8…).
TRON_PAID_LOOKALIKE = "ad" * 32


def _hex(tron: str) -> str:
    return base58.b58decode_check(tron).hex()


def _payment(tx_hash: str, sender: str, recipient: str, amount: int, block: int) -> Any:
    call = "0xa9059cbb" + encode(["address", "uint256"], [recipient, amount]).hex()
    return {
        "eth_getTransactionByHash": {
            "hash": tx_hash,
            "from": sender,
            "to": USDT_ETH,
            "value": "0x0",
            "input": call,
            "blockNumber": hex(block),
            "gasPrice": hex(10**9),
        },
        "eth_getTransactionReceipt": {
            "transactionHash": tx_hash,
            "blockNumber": hex(block),
            "status": "0x1",
            "gasUsed": hex(50_000),
            "logs": [
                acct.log(acct.TRANSFER, USDT_ETH, sender, recipient, amount, tx_hash[2:4], block)
            ],
        },
    }


EVM_PAYMENTS: dict[str, Any] = {
    PAID_LOOKALIKE: _payment(PAID_LOOKALIKE, acct.POISONED, acct.LOOKALIKE, 200 * 10**6, 112),
    PAID_FRIEND: _payment(PAID_FRIEND, acct.POISONED, acct.FRIEND, 1000 * 10**6, 101),
    CLEAN_PAYMENT: _payment(CLEAN_PAYMENT, acct.CLEAN, acct.FRIEND, 20 * 10**6, 108),
    LATE_PAYMENT: _payment(LATE_PAYMENT, acct.LATE, acct.LOOKALIKE, 300 * 10**6, 117),
}


def _tron_payment(txid: str, owner: str, recipient: str, amount: int) -> dict[str, Any]:
    data = "a9059cbb" + "0" * 24 + _hex(recipient)[2:] + h(amount)
    contract = {
        "type": "TriggerSmartContract",
        "parameter": {
            "value": {
                "owner_address": _hex(owner),
                "contract_address": TRON_USDT_HEX,
                "data": data,
            }
        },
    }
    return {
        "tx": {
            "txID": txid,
            "ret": [{"contractRet": "SUCCESS"}],
            "raw_data": {"contract": [contract]},
        },
        "info": {
            "id": txid,
            "blockNumber": 5000,
            "fee": 1_000_000,
            "receipt": {"result": "SUCCESS"},
        },
    }


TRON_PAYMENTS = {
    TRON_PAID_LOOKALIKE: _tron_payment(
        TRON_PAID_LOOKALIKE, acct.TRON_POISONED, acct.TRON_LOOKALIKE, 200 * 10**6
    ),
}
