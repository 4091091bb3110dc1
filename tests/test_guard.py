"""The secret guard: the labelled set, property tests, and what the desk does about it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic
from sqlalchemy import select

from guard import SPLIT_WINDOW_SECONDS, Guard, MemoryCounts, Piece
from store.db import make_engine, session_factory
from store.models import Audit, Message
from tests.fakes.rasa import FakeRasa
from tests.guard_cases import cases
from tests.support.gateway import ALWAYS, Gateway
from tests.support.randomness import recovery_phrase, seeded

DOMAINS = ("acmewallet.example", "etherscan.io", "tronscan.org")


def caught(guard: Guard, conversation: str, text: str, hash_expected: bool = False) -> bool:
    verdict = guard.inspect(conversation, text, hash_expected=hash_expected)
    return bool(verdict.secrets) or "[redacted" in verdict.text


def test_the_labelled_set() -> None:
    guard = Guard(DOMAINS)
    labelled = cases()
    assert len(labelled) >= 300
    results: Counter[tuple[str, bool]] = Counter()
    for i, case in enumerate(labelled):
        results[(case.category, caught(guard, f"c{i}", case.text, case.hash_expected))] += 1
    # 100% recall on complete valid phrases and keys; 0 false positives on hashes and
    # addresses introduced as such (the targets), and on the rest of the set.
    for category in ("phrase", "phrase_in_sentence", "phrase_damaged", "key", "keystore"):
        assert results[(category, False)] == 0, category
    for category in ("hash", "address", "lookalike", "ordinary", "ordinary_zh"):
        assert results[(category, True)] == 0, category


def _window4(phrase: str) -> list[str]:
    words = phrase.split()
    return [" ".join(words[i : i + 4]) for i in range(len(words) - 3)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(["english", "spanish", "chinese_simplified", "chinese_traditional"]),
    entropy=st.sampled_from([16, 20, 24, 28, 32]).flatmap(
        lambda n: st.binary(min_size=n, max_size=n)
    ),
    before=st.text(alphabet=st.characters(whitelist_categories=("Nd", "P", "Zs")), max_size=40),
    after=st.text(alphabet=st.characters(whitelist_categories=("Nd", "P", "Zs")), max_size=40),
)
def test_any_valid_phrase_in_any_text_is_redacted(
    language: str, entropy: bytes, before: str, after: str
) -> None:
    phrase = Mnemonic(language).to_mnemonic(entropy)
    verdict = Guard(DOMAINS).inspect("p", f"{before} {phrase} {after}")
    assert verdict.secrets == ["recovery phrase"]
    for window in _window4(phrase):
        assert window not in verdict.text


GLUE = [
    "我的助记词是",
    "客服让我发",
    "你好",
    "帮我看看这个",
    "钱包备份",
    "对吗",
    "谢谢你们",
    "是不是写错了",
]


@pytest.mark.parametrize(
    "language", ["english", "spanish", "chinese_simplified", "chinese_traditional"]
)
def test_a_phrase_glued_inside_a_sentence_is_found_and_redacted(language: str) -> None:
    """Issue 17: "我的助记词是<phrase>帮我找回" with no gap on either side was missed."""
    rng = seeded(f"glued-{language}")
    guard = Guard(DOMAINS)
    chinese = language.startswith("chinese")
    for n, bits in enumerate([128, 160, 192, 224, 256] * 4):
        phrase = recovery_phrase(rng, language, bits)
        words = phrase.split()
        if chinese:
            phrase = phrase.replace(" ", "")
        before = "".join(rng.sample(GLUE, rng.randrange(3)))  # none, one or two pieces
        after = "".join(rng.sample(GLUE, rng.randrange(1, 3)))
        text = f"{before}{phrase}{after}"
        verdict = guard.inspect(f"glued{n}", text)
        assert verdict.secrets == ["recovery phrase"], text
        # Nothing of the phrase is left: what remains is the context (a character or two of
        # it may go with the phrase, when they could be part of it).
        kept_before, marker, kept_after = verdict.text.partition("[redacted: recovery phrase]")
        assert marker and before.startswith(kept_before) and after.endswith(kept_after), (
            text,
            verdict.text,
        )
        for k in range(len(words) - 3):
            piece = ("" if chinese else " ").join(words[k : k + 4])
            assert piece not in verdict.text, (text, verdict.text)


def test_tx_inside_a_word_does_not_make_a_key_a_hash() -> None:
    key = seeded("tx-in-a-word").randbytes(32).hex()
    guard = Guard(DOMAINS)
    for text in (f"{key}.txt", f"in this context {key}", f"{key} in context"):
        assert guard.inspect("tx", text).secrets == ["private key"], text
    assert not guard.inspect("tx", f"my tx: {key}").secrets


def test_a_phrase_split_over_messages_is_caught() -> None:
    guard = Guard(DOMAINS)
    words = recovery_phrase(seeded("split-phrase")).split()
    first = guard.inspect("split", " ".join(words[:4]))
    assert first.text == "[redacted: recovery phrase]" and not first.secrets
    guard.count("split", 1, first)
    guard.count("split", 2, guard.inspect("split", " ".join(words[4:8])))
    third = guard.count("split", 3, guard.inspect("split", " ".join(words[8:])))
    assert third.secrets == ["recovery phrase"] and third.earlier_fragments == [1, 2]
    # Three-word pieces are not redacted on their own, but still add up.
    short = Guard(DOMAINS)
    for n, start in enumerate(range(0, 9, 3)):
        short.count("short", n, short.inspect("short", " ".join(words[start : start + 3])))
    last = short.count("short", 3, short.inspect("short", " ".join(words[9:])))
    assert last.secrets == ["recovery phrase"] and last.earlier_fragments == [0, 1, 2]


def test_pieces_of_conversations_gone_quiet_are_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The memory leak check (scripts/bench_memory.py) found every conversation that had
    # sent a piece kept for the life of the gateway; they now expire as in Redis.
    now = [1_000_000.0]
    monkeypatch.setattr("guard.fragments.time.time", lambda: now[0])
    counts = MemoryCounts()
    for n in range(50):
        counts.add(f"quiet-{n}", Piece(now[0], 4, n))
    assert len(counts) == 50
    now[0] += SPLIT_WINDOW_SECONDS - 1
    counts.add("quiet-7", Piece(now[0], 4, 50))  # its window starts again
    assert len(counts) == 50
    now[0] += 2  # the others' newest pieces are now out of the window
    assert counts.add("busy", Piece(now[0], 4, 51)) == [Piece(now[0], 4, 51)]
    assert len(counts) == 2 and counts.recent("quiet-0") == []
    assert [p.message_id for p in counts.recent("quiet-7")] == [7, 50]


def test_ordinary_messages_between_pieces_reset_the_count() -> None:
    guard = Guard(DOMAINS)
    for n in range(4):
        # list words, but a normal exchange
        guard.count("chat", 2 * n, guard.inspect("chat", "account balance"))
        guard.count("chat", 2 * n + 1, guard.inspect("chat", "why is my transfer late?"))
    assert not guard.count("chat", 9, guard.inspect("chat", "check account")).secrets


@pytest.fixture
def desk_gateway(tmp_path: Path) -> Gateway:
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa(), ALWAYS)
    return gateway


def test_a_shared_phrase_is_redacted_warned_and_handed_to_a_human(desk_gateway: Gateway) -> None:
    phrase = recovery_phrase(seeded("shared-phrase"))
    with desk_gateway.client:
        agent = desk_gateway.agent("sec@example.com")
        me = desk_gateway.visitor()
        response = desk_gateway.say(me, f"help, here is my phrase {phrase}", language="en")
        body = response.json()
        stored = body["message"]["text"]  # ("phrase" is itself a list word: it goes too)
        assert stored.startswith("help, here is my") and stored.endswith(
            "[redacted: recovery phrase]"
        )
        warning = body["replies"][0]["text"]
        assert "Stop" in warning and "seed-phrase-safety" in warning
        assert desk_gateway.rasa.calls == []  # the bot never saw it
        [session] = desk_gateway.queue(agent)
        assert session["reason"] == "security" and session["priority"] == "urgent"
        assert "secret_shared" in session["tags"]
        detail = desk_gateway.client.get(f"/api/agent/sessions/{session['id']}", headers=agent)
        assert phrase not in detail.text
        for window in _window4(phrase):
            assert window not in detail.text
    engine = make_engine(desk_gateway.url)
    with session_factory(engine)() as db:
        stored = " ".join(db.execute(select(Message.text)).scalars())
    engine.dispose()
    assert all(window not in stored for window in _window4(phrase))


def test_a_tx_hash_after_the_bot_asked_for_one_is_not_a_key(desk_gateway: Gateway) -> None:
    tx = "9f" * 32
    with desk_gateway.client:
        me = desk_gateway.visitor()
        desk_gateway.say(me, "what is the tx hash?", language="en")  # FakeRasa echoes it
        assert desk_gateway.say(me, tx).json()["message"]["text"] == tx
        other = desk_gateway.visitor()
        desk_gateway.say(other, "hello", language="en")
        assert desk_gateway.say(other, tx).json()["message"]["text"] == "[redacted: private key]"
        # 0x + 64 hex is how EVM hashes are written; wallets export keys without the 0x.
        assert desk_gateway.say(other, "0x" + tx).json()["message"]["text"] == "0x" + tx


def test_scam_reports_get_the_warning_and_a_tag(desk_gateway: Gateway) -> None:
    with desk_gateway.client:
        agent = desk_gateway.agent("sec@example.com")
        me = desk_gateway.visitor()
        reply = desk_gateway.say(me, "客服让我交手续费解冻", language="zh").json()["replies"]
        assert "防骗" in reply[0]["text"] and "acmewallet.example" in reply[0]["text"]
        desk_gateway.say(me, "human", language="zh")
        [session] = desk_gateway.queue(agent)
        assert "scam_report" in session["tags"]


def test_an_agent_cannot_ask_for_a_phrase_or_send_a_foreign_link(desk_gateway: Gateway) -> None:
    with desk_gateway.client:
        agent = desk_gateway.agent("sec@example.com")
        me = desk_gateway.visitor()
        desk_gateway.say(me, "human", language="en")
        [session] = desk_gateway.queue(agent)
        sid = session["id"]
        post = desk_gateway.client.post
        post(f"/api/agent/sessions/{sid}/claim", headers=agent)
        for text in (
            "To verify you, please send your recovery phrase.",
            "Please reply with your private key",
            "Install the fixed app: http://acme-wallet-update.example/app.apk",
        ):
            blocked = post(
                f"/api/agent/sessions/{sid}/messages", json={"text": text}, headers=agent
            )
            assert blocked.status_code == 422 and "not sent" in blocked.json()["detail"]
        fine = "We will never ask for your recovery phrase. See https://acmewallet.example/help"
        ok = post(f"/api/agent/sessions/{sid}/messages", json={"text": fine}, headers=agent)
        assert ok.status_code == 200
    engine = make_engine(desk_gateway.url)
    with session_factory(engine)() as db:
        audit = list(db.execute(select(Audit)).scalars())
    engine.dispose()
    assert [a.action for a in audit] == ["reply_blocked"] * 3
    assert all(a.agent_id and a.session_id == sid for a in audit)
