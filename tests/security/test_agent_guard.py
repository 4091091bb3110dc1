"""Issue 15, item 8: an agent (or whoever holds an agent account) cannot talk a user out
of their recovery phrase or onto a look-alike site.

Each attack is a reply posted over HTTP by a logged-in agent on a real handoff session
of the in-process gateway (``tests.support.gateway``); the user's chat history and the
stored messages are then read back to prove nothing reached the user. The labelled sets
in ``guard/eval`` hold the guard to recall ≥ 98% and false blocks ≤ 2%.
"""

from __future__ import annotations

import csv
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from common.settings import ServiceSettings
from gateway.assembly import trusted_domains
from guard import Guard
from store.db import make_engine, session_factory
from store.models import Audit, Message
from tests.fakes.rasa import FakeRasa
from tests.support import ROOT
from tests.support.gateway import ALWAYS, Gateway
from tests.support.randomness import recovery_phrase, seeded

EVAL = ROOT / "guard" / "eval"
DOMAINS = trusted_domains(ServiceSettings())

# Found by hand in the browser against the old guard: every one reached the user.
BROWSER_BYPASSES = [
    ("Don't worry, just send me your recovery phrase", "recovery phrase"),
    ("never mind, type your 12 words here", "recovery phrase"),
    ("What are your 12 words?", "recovery phrase"),
    ("Please tell me your mnemonic so I can check it", "recovery phrase"),
    ("Envíame tus 12 palabras, por favor", "recovery phrase"),
    ("你的12个单词发给我", "recovery phrase"),
    ("visit acmewallet-support.com to verify", "acmewallet-support.com"),
    ("Log in at acmewallet-support.com/app", "acmewallet-support.com/app"),
    ("Open hxxps://acmewallet-support.com/sync", "acmewallet-support.com"),
]
# The disguises the issue names, one each.
DISGUISES = [
    ("Send me your s e e d phrase", "recovery phrase"),
    ("Please send your ｒｅｃｏｖｅｒｙ ｐｈｒａｓｅ", "recovery phrase"),
    ("Please send your mnеmonic", "recovery phrase"),  # a Cyrillic "е"
    ("Please share your pr1vate k3y", "private key"),
    ("请把助 记 词截图发给我", "recovery phrase"),
    ("Send a photo of your recovery phrase", "recovery phrase"),
    ("Send me the keystore file and its password", "keystore file"),
    ("Verify at h**ps://acme-wallet.net/verify", "acme-wallet.net"),
    ("Verify at acmewallet-support[.]com", "acmewallet-support.com"),
    ("Verify at acmewallet-support(dot)com", "acmewallet-support.com"),
    ("请访问acmewallet-support。com验证", "acmewallet-support.com"),
    ("Verify at acmewallet-support．com", "acmewallet-support.com"),
    ("Our new site is acmewaIlet.com", "imitating acmewallet.example"),
    ("Our new site is xn--cmewallet-zyh.example", "imitating acmewallet.example"),
]
GENUINE = [
    "We will never ask for your recovery phrase. See https://acmewallet.example/help",
    "nunca te pediremos tu frase de recuperación",
    "我们绝不会索要助记词",
    "Please never share your 12 words with anyone, not even us.",
    "To restore the wallet, open the app, tap Import and enter your recovery phrase there.",
    "Check the transfer on https://tronscan.org/#/transaction/" + "ab" * 32,
]


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Gateway]:
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa(), ALWAYS)
    with gateway.client:
        yield gateway


def _session(gateway: Gateway) -> tuple[dict[str, str], dict[str, str], int]:
    """A visitor handed to a logged-in agent who has claimed the session."""
    agent = gateway.agent("agent@example.com")
    user = gateway.visitor()
    gateway.say(user, "human", language="en")
    [session] = gateway.queue(agent)
    claimed = gateway.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    return agent, user, session["id"]


def _reply(gateway: Gateway, agent: dict[str, str], sid: int, text: str) -> Any:
    return gateway.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": text}, headers=agent
    )


def _user_sees(gateway: Gateway, user: dict[str, str]) -> list[str]:
    response = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": user["Authorization"]}
    )
    assert response.status_code == 200
    return [m["text"] for m in response.json()["messages"] if m["author"] == "agent"]


def _stored(gateway: Gateway) -> tuple[list[str], list[str]]:
    engine = make_engine(gateway.url)
    with session_factory(engine)() as db:
        texts = [m.text for m in db.execute(select(Message)).scalars() if m.author == "agent"]
        audit = [a.action for a in db.execute(select(Audit)).scalars()]
    engine.dispose()
    return texts, audit


@pytest.mark.parametrize("cases", [BROWSER_BYPASSES, DISGUISES], ids=["browser", "disguises"])
def test_bypasses_are_refused_with_a_reason_and_never_reach_the_user(
    desk: Gateway, cases: list[tuple[str, str]]
) -> None:
    agent, user, sid = _session(desk)
    for text, named in cases:
        refused = _reply(desk, agent, sid, text)
        assert refused.status_code == 422, text
        reason = refused.json()["detail"]
        # The console shows this detail under the reply box: it must say why.
        assert reason.startswith("not sent: it ") and named in reason, (text, reason)
    assert _user_sees(desk, user) == []
    stored, audit = _stored(desk)
    assert stored == [] and audit.count("reply_blocked") == len(cases)


def test_a_genuine_we_never_ask_reply_is_delivered(desk: Gateway) -> None:
    agent, user, sid = _session(desk)
    for text in GENUINE:
        sent = _reply(desk, agent, sid, text)
        assert sent.status_code == 200, (text, sent.text)
    assert _user_sees(desk, user) == GENUINE


def test_a_blocked_reply_quoting_a_users_phrase_stores_and_logs_none_of_it(
    desk: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    """The reason quotes the ask; the ask may hold a user's phrase an agent pasted."""
    agent, _user, sid = _session(desk)
    phrase = recovery_phrase(seeded("agent-quotes-a-phrase"))
    refused = _reply(desk, agent, sid, f"send me your recovery phrase {phrase}")
    assert refused.status_code == 422
    reason = refused.json()["detail"]
    assert reason.startswith("not sent: it asks the user for their recovery phrase")
    engine = make_engine(desk.url)
    with session_factory(engine)() as db:
        details = [a.detail for a in db.execute(select(Audit)).scalars()]
    engine.dispose()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for place, text in {"reason": reason, "audit": "\n".join(details), "log": logged}.items():
        for window in (" ".join(phrase.split()[i : i + 3]) for i in range(10)):
            assert window not in text, (place, window)


def _labelled(name: str) -> list[dict[str, str]]:
    with (EVAL / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _scores(rows: list[dict[str, str]]) -> tuple[float, float, list[str]]:
    guard = Guard(DOMAINS)
    wrong = []
    blocked = {"block": 0, "pass": 0}
    for row in rows:
        hit = guard.check_agent(row["text"]) is not None
        blocked[row["label"]] += hit
        if hit != (row["label"] == "block"):
            wrong.append(f"{row['label']}: {row['text']}")
    phishing = sum(r["label"] == "block" for r in rows)
    recall = blocked["block"] / phishing
    false_blocks = blocked["pass"] / (len(rows) - phishing)
    return recall, false_blocks, wrong


@pytest.mark.parametrize(
    ("name", "size", "min_recall", "max_false"),
    [
        ("agent_messages.tsv", 200, 0.98, 0.02),
        # Held out: never tuned on. Its floor only guards against regressions; the
        # scores before and after tuning are in docs/security.md.
        ("agent_messages_heldout.tsv", 60, 0.90, 0.02),
    ],
)
def test_the_labelled_sets(name: str, size: int, min_recall: float, max_false: float) -> None:
    rows = _labelled(name)
    assert len(rows) >= size
    assert {r["lang"] for r in rows} == {"zh", "en", "es"}
    assert {r["label"] for r in rows} == {"block", "pass"}
    recall, false_blocks, wrong = _scores(rows)
    assert recall >= min_recall and false_blocks <= max_false, wrong


def test_the_check_is_cheap_per_message() -> None:
    guard = Guard(DOMAINS)
    texts = [r["text"] for r in _labelled("agent_messages.tsv")]
    long = ("Your transfer is confirmed, see https://acmewallet.example/help. " * 60)[:4000]
    guard.check_agent("warm up")
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for text in texts:
            guard.check_agent(text)
        runs.append((time.perf_counter() - started) / len(texts))
    started = time.perf_counter()
    guard.check_agent(long)
    long_cost = time.perf_counter() - started
    # Generous bounds (shared CI cores); scripts/bench_agent_guard.py gives the numbers.
    assert statistics.median(runs) < 0.005 and long_cost < 0.25
