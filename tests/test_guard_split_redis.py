"""Issue 17, item 2: pieces of a phrase add up across gateways (through Redis, counts and
message ids only), and a retried delivery is not counted twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from gateway.fragments import RedisCounts
from guard import Guard
from store.db import make_engine, session_factory
from store.models import Message
from tests.fakes.telegram import BotApi, message, update
from tests.support.gateway import ALWAYS
from tests.support.randomness import recovery_phrase, seeded
from tests.support.services import REDIS_URL, need
from tests.support.telegram import TelegramGateway

DOMAINS = ("acmewallet.example",)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own, emptied afterwards."""
    need("Redis")
    prefix = f"test-pieces-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def pieces(seed: str, size: int) -> tuple[list[str], list[str]]:
    words = recovery_phrase(seeded(seed)).split()
    return words, [" ".join(words[k : k + size]) for k in range(0, len(words), size)]


@pytest.mark.parametrize("size", [3, 4])
def test_pieces_sent_to_two_gateways_add_up_through_redis(prefix: str, size: int) -> None:
    _, sent = pieces(f"two-gateways-{size}", size)
    gateways = [Guard(DOMAINS, RedisCounts(REDIS_URL, prefix)) for _ in range(2)]
    verdicts = []
    for n, text in enumerate(sent):  # alternately, as a load balancer would
        guard = gateways[n % 2]
        verdicts.append(guard.count("telegram:1", 100 + n, guard.inspect("telegram:1", text)))
    assert all(not v.secrets for v in verdicts[:-1])
    assert verdicts[-1].secrets == ["recovery phrase"]
    assert verdicts[-1].earlier_fragments == [100 + n for n in range(len(sent) - 1)]
    # Nothing is left once the phrase is recognised, and a new run starts from zero.
    assert not list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}:*"))


def test_in_memory_each_process_counts_alone() -> None:
    _, sent = pieces("in-memory", 3)
    apart = [Guard(DOMAINS), Guard(DOMAINS)]
    verdicts = [
        apart[n % 2].count("c", n, apart[n % 2].inspect("c", text)) for n, text in enumerate(sent)
    ]
    assert not any(v.secrets for v in verdicts)  # as before: 6 words seen by each
    alone = Guard(DOMAINS)
    last = [alone.count("c", n, alone.inspect("c", text)) for n, text in enumerate(sent)][-1]
    assert last.secrets == ["recovery phrase"] and last.earlier_fragments == [0, 1, 2]


def test_redis_holds_counts_and_ids_never_the_words(prefix: str) -> None:
    words, sent = pieces("no-words-in-redis", 3)
    guard = Guard(DOMAINS, RedisCounts(REDIS_URL, prefix))
    for n, text in enumerate(sent[:-1]):
        guard.count("telegram:2", 7 + n, guard.inspect("telegram:2", text))
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{prefix}:*"))
    assert keys, "the pieces should be counted in Redis"
    stored = " ".join(
        " ".join(item.decode() for item in client.lrange(key, 0, -1)) + key.decode() for key in keys
    )
    assert not [w for w in words if w in stored], stored
    assert all(item.count(b":") == 2 for key in keys for item in client.lrange(key, 0, -1))


def test_the_same_stored_message_counted_twice_adds_once(prefix: str) -> None:
    _, sent = pieces("counted-twice", 4)
    for guard in (Guard(DOMAINS), Guard(DOMAINS, RedisCounts(REDIS_URL, prefix))):
        guard.count("c", 1, guard.inspect("c", sent[0]))
        guard.count("c", 2, guard.inspect("c", sent[1]))
        again = guard.count("c", 2, guard.inspect("c", sent[1]))
        assert not again.secrets  # 8 words, not 12
        last = guard.count("c", 3, guard.inspect("c", sent[2]))
        assert last.secrets == ["recovery phrase"] and last.earlier_fragments == [1, 2]


def _stored(url: str) -> list[str]:
    """What the users sent, as stored (the fake bot's echoes are item 3's concern)."""
    engine = make_engine(url)
    with session_factory(engine)() as db:
        query = select(Message).where(Message.author == "user").order_by(Message.id)
        texts = [m.text for m in db.execute(query).scalars()]
    engine.dispose()
    return texts


def test_a_retried_telegram_piece_is_counted_once(tmp_path: Path) -> None:
    """A retry reaches the guard before the store finds it is a duplicate: it must
    neither add its words again nor break the run."""
    _, sent = pieces("telegram-retry", 3)
    api = BotApi()
    try:
        tg = TelegramGateway(f"sqlite:///{tmp_path / 'desk.db'}", api)
        with tg.client:
            tg.post(update(1, message=message(sent[0], message_id=1)))
            tg.post(update(2, message=message(sent[1], message_id=2)))
            assert tg.post(update(2, message=message(sent[1], message_id=2))).json()["duplicate"]
            tg.post(update(3, message=message(sent[2], message_id=3)))
            tg.post(update(4, message=message(sent[3], message_id=4)))
        stored = " ".join(_stored(tg.url))
        assert not [p for p in sent if p in stored], stored
    finally:
        api.close()


def test_two_gateways_sharing_redis_redact_a_phrase_sent_across_them(
    tmp_path: Path, prefix: str
) -> None:
    _, sent = pieces("two-telegram-gateways", 3)
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    api = BotApi()
    try:
        with ExitStack() as stack:
            gateways = []
            for _ in range(2):
                gateway = TelegramGateway(
                    url, api, desk=ALWAYS.copy(update={"redis_url": REDIS_URL})
                )
                gateway.app.state.parts.guard.counts.prefix = prefix
                gateway.app.state.fanout.channel = f"{prefix}-events"
                stack.enter_context(gateway.client)
                gateways.append(gateway)
            for n, text in enumerate(sent):
                gateways[n % 2].post(update(n + 1, message=message(text, message_id=n + 1)))
        stored = " ".join(_stored(url))
        assert not [p for p in sent if p in stored], stored
        assert any("[redacted: recovery phrase]" in t for t in _stored(url))
    finally:
        api.close()
