"""Attacks on the edge (issue 15, items 3, 4 and 9), each performed over HTTP against the
gateway the product assembles, and each refused.

- floods: visitor tokens from one address, messages from one visitor, "talk to a
  human" from one address; the limits hold across two gateways on one Redis, and a
  client can't dodge them with its own X-Forwarded-For;
- bodies: 1 MB with a Content-Length, and a chunked body with none, refused with 413
  by the gateway process before parsing (nothing stored), and by nginx;
- agent login: a flood runs at most the pool's number of argon2 checks at once, and
  repeated failures earn a growing wait, per account and per address;
- visitor tokens: a short or empty secret stops the gateway, processes racing to
  create the secret file agree on one key, an expired token is refused (and renewed
  for the same visitor), and a token of the previous key verifies during rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from common.settings import ConfigurationError
from connectors.webchat import VisitorTokens, load_secret
from gateway import create_app
from store import agents
from store.db import make_engine, session_factory
from store.models import Audit, HandoffSession, Message
from tests.fakes.rasa import FakeRasa
from tests.support.cluster import balancer
from tests.support.edge import SECRET, CountingHasher, chunked, gateway_process, raw_post
from tests.support.gateway import ALWAYS, PASSWORD, Gateway
from tests.support.services import REDIS_URL, fresh_schema, need
from tests.support.waiting import wait_until

BROWSER_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
BEHIND_PROXY = ALWAYS.copy(update={"trusted_proxies": "testclient"})  # TestClient's peer


def address() -> str:
    """A client address of this test's own (limits are shared through Redis)."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa(), BEHIND_PROXY)
    with gateway.client:
        yield gateway


def count(gateway: Gateway, model: type) -> int:
    with gateway.parts.inbox.database() as db:
        return int(db.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_token_flood_from_one_address_gets_429_with_retry_after(gateway: Gateway) -> None:
    me = {"X-Forwarded-For": address(), "Accept-Language": "es-ES,es;q=0.9"}
    codes = [
        gateway.client.post("/webchat/api/visitors", json={}, headers=me).status_code
        for _ in range(30)
    ]
    assert codes == [201] * 30
    refused = gateway.client.post("/webchat/api/visitors", json={}, headers=me)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Espera" in refused.json()["detail"]  # in the user's language
    other = gateway.client.post(
        "/webchat/api/visitors", json={}, headers={"X-Forwarded-For": address()}
    )
    assert other.status_code == 201  # per address, not for everyone


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(tmp_path: Path) -> None:
    direct = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa())  # trusts no proxy
    with direct.client:
        codes = [
            direct.client.post(
                "/webchat/api/visitors", json={}, headers={"X-Forwarded-For": address()}
            ).status_code
            for _ in range(31)
        ]
    assert codes[:30] == [201] * 30 and codes[30] == 429  # a fresh header each time, no help


def test_a_message_flood_from_one_visitor_is_cut_off_and_not_stored(gateway: Gateway) -> None:
    ip = {"X-Forwarded-For": address()}
    flood = gateway.visitor()
    for i in range(40):
        response = gateway.say(flood, f"message {i}", language="zh")
        assert response.status_code == 200, response.text
    refused = gateway.client.post(
        "/webchat/api/messages",
        json={"text": "one more"},
        headers={"Authorization": flood["Authorization"], "Accept-Language": "zh-CN", **ip},
    )
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "请求太频繁" in refused.json()["detail"]
    assert len(gateway.rasa.calls) == 40  # the bot never saw it
    history = gateway.client.get(
        "/webchat/api/messages", headers={"Authorization": flood["Authorization"]}
    ).json()["messages"]
    assert "one more" not in [m["text"] for m in history]
    assert gateway.say(gateway.visitor(), "hello").status_code == 200  # others carry on


def test_a_handoff_flood_from_one_address_stops_at_the_hourly_cap(gateway: Gateway) -> None:
    ip = {"X-Forwarded-For": address()}

    def human() -> httpx.Response:
        token = gateway.client.post("/webchat/api/visitors", json={}, headers=ip).json()["token"]
        return gateway.client.post(
            "/webchat/api/messages",
            json={"text": "human", "language": "en"},
            headers={"Authorization": f"Bearer {token}", **ip},
        )

    assert [human().status_code for _ in range(10)] == [200] * 10
    refused = human()
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 60
    assert "Too many requests for a human" in refused.json()["detail"]
    assert refused.json()["message"]["text"] == "human"  # kept, and answered
    assert count(gateway, HandoffSession) == 10  # the queue did not grow


def test_limits_are_shared_by_two_gateways_on_one_redis(tmp_path: Path) -> None:
    need("Redis")
    settings = BEHIND_PROXY.copy(update={"redis_url": REDIS_URL})
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    one, two = Gateway(url, FakeRasa(), settings), Gateway(url, FakeRasa(), settings)
    me = {"X-Forwarded-For": address()}
    with one.client, two.client:
        codes = [
            (one if i % 2 else two).client.post("/webchat/api/visitors", json={}, headers=me)
            for i in range(31)
        ]
    assert [c.status_code for c in codes[:30]] == [201] * 30  # 15 from each gateway
    assert codes[30].status_code == 429  # the 31st, wherever it lands


def test_oversized_and_chunked_bodies_get_413_before_parsing(tmp_path: Path) -> None:
    with gateway_process(tmp_path) as process:
        token = httpx.post(f"{process.url}/webchat/api/visitors", json={}).json()["token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        declared = {**auth, "Content-Length": str(1 << 20)}
        # Refused on the header alone: not one byte of the megabyte is sent.
        status, body = raw_post(process.port, "/webchat/api/messages", declared)
        assert status == 413 and b"64 KB" in body
        streamed = {**auth, "Transfer-Encoding": "chunked"}
        status, body = raw_post(process.port, "/webchat/api/messages", streamed, chunked(1 << 20))
        assert status == 413 and b"64 KB" in body
        with balancer(tmp_path, [process, process]) as nginx:  # deploy/nginx.conf, as shipped
            port = int(nginx.rsplit(":", 1)[1])
            assert raw_post(port, "/webchat/api/messages", declared)[0] == 413
            assert raw_post(port, "/webchat/api/messages", streamed, chunked(1 << 20))[0] == 413
        small = httpx.post(f"{process.url}/webchat/api/messages", json={"text": "hi"}, headers=auth)
        assert small.status_code == 200  # an ordinary message still goes through
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    with session_factory(engine)() as db:
        stored = list(db.execute(select(Message.text)).scalars())
    engine.dispose()
    assert "hi" in stored and not any(len(text) > 1000 for text in stored)


@pytest.fixture
def on_postgres() -> Iterator[Gateway]:
    """Concurrent logins write concurrently: PostgreSQL, as in production."""
    with fresh_schema() as url:
        gateway = Gateway(url, FakeRasa(), BEHIND_PROXY)
        with gateway.client:
            yield gateway


def test_a_login_flood_runs_two_checks_at_a_time_and_earns_backoff(
    on_postgres: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = on_postgres
    gateway.agent("dana@example.com", online=False)
    hasher = CountingHasher()
    monkeypatch.setattr(agents, "_hasher", hasher)
    ip = {"X-Forwarded-For": address()}
    codes: list[int] = []

    def attempt(i: int) -> None:
        body = {"email": f"guess{i}@example.com", "password": f"wrong {i}"}
        codes.append(gateway.client.post("/api/agent/login", json=body, headers=ip).status_code)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hasher.peak <= 2, f"{hasher.peak} argon2 checks ran at once"
    assert set(codes) <= {401, 429, 503} and 503 in codes  # the rest were turned away
    # One account, one at a time: five free tries, then a growing wait.
    other = {"X-Forwarded-For": address()}
    wrong = {"email": "dana@example.com", "password": "not the password"}
    post = gateway.client.post
    assert [post("/api/agent/login", json=wrong, headers=other).status_code for _ in range(5)] == [
        401
    ] * 5

    def doubled() -> bool:  # 1 s after the sixth failure, 2 s after the seventh …
        response = post("/api/agent/login", json=wrong, headers=other)
        assert response.status_code in (401, 429)
        return response.status_code == 429 and int(response.headers["Retry-After"]) >= 2

    wait_until(doubled, 30, "the wait never grew past 1 s")
    locked = post("/api/agent/login", json={**wrong, "password": PASSWORD}, headers=other)
    assert locked.status_code == 429  # locked: even the right password waits
    assert "too many failed logins" in locked.json()["detail"]
    with gateway.parts.inbox.database() as db:
        audit = list(
            db.execute(select(Audit.detail).where(Audit.action == "login_failed")).scalars()
        )
    assert any("dana@example.com" in line for line in audit)
    assert not any("not the password" in line or "wrong" in line for line in audit)


@pytest.mark.parametrize("secret", ["", "short-secret"])
def test_an_empty_or_short_secret_stops_the_gateway(tmp_path: Path, secret: str) -> None:
    with pytest.raises(ConfigurationError, match="at least 32 bytes"):
        if secret:
            create_app(ALWAYS.copy(update={"secret": secret}), f"sqlite:///{tmp_path / 'd.db'}")
        else:  # no DESK_SECRET, and an empty file left behind
            (tmp_path / "desk_secret").write_bytes(b"")
            load_secret("", tmp_path / "desk_secret")


def _load(
    path: str, start: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue
) -> None:
    start.wait()
    try:
        out.put(load_secret("", Path(path)))
    except Exception as exc:
        out.put(repr(exc).encode())


def test_processes_racing_to_create_the_secret_file_agree_on_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(15):
        path = tmp_path / f"secret-{round_}"
        start, out = context.Barrier(6), context.Queue()
        racers = [context.Process(target=_load, args=(str(path), start, out)) for _ in range(6)]
        for racer in racers:
            racer.start()
        keys = {out.get(timeout=60) for _ in racers}
        for racer in racers:
            racer.join()
        assert len(keys) == 1, keys
        (key,) = keys
        assert len(key) >= 32 and path.read_bytes().strip() == key


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def test_expired_tokens_are_refused_and_the_previous_key_verifies_during_rotation(
    tmp_path: Path,
) -> None:
    old_secret, new_secret = SECRET, "the-next-secret-also-32-bytes-long!!"
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    before = Gateway(url, FakeRasa(), ALWAYS.copy(update={"secret": old_secret}))
    with before.client:
        me = before.visitor()
        assert before.say(me, "hello").status_code == 200
    rotating = ALWAYS.copy(update={"secret": new_secret, "secret_previous": old_secret})
    after = Gateway(url, FakeRasa(), rotating)
    with after.client:
        assert after.say(me, "still me").status_code == 200  # the old key still verifies
        # The same visitor, a token that expired an hour ago: refused, renewed, same chat.
        an_hour_late = time.time() - 25 * 3600  # issued 25 h ago: 24 h tokens
        past = VisitorTokens(new_secret.encode(), clock=lambda: an_hour_late)
        expired = past.issue(me["token"].split(".")[1])
        as_expired = {"Authorization": f"Bearer {expired.token}", "token": expired.token}
        assert after.say(as_expired, "expired").status_code == 401
        renewed = after.client.post("/webchat/api/visitors/renew", headers=as_expired)
        assert renewed.status_code == 200 and renewed.json()["user_id"] == expired.user_id
        fresh = {"Authorization": f"Bearer {renewed.json()['token']}"}
        texts = [
            m["text"]
            for m in after.client.get("/webchat/api/messages", headers=fresh).json()["messages"]
        ]
        assert texts[:2] == ["hello", "bot: hello"] and "expired" not in texts
        # A token from before tokens expired: refused, but renewable for the same visitor.
        legacy = f"{expired.user_id}.{_mac(old_secret, expired.user_id)}"
        assert after.say({"Authorization": f"Bearer {legacy}"}, "legacy").status_code == 401
        again = after.client.post(
            "/webchat/api/visitors/renew", headers={"Authorization": f"Bearer {legacy}"}
        )
        assert again.status_code == 200 and again.json()["user_id"] == expired.user_id
    rotated = Gateway(url, FakeRasa(), ALWAYS.copy(update={"secret": new_secret}))
    with rotated.client:
        assert rotated.say(me, "old key").status_code == 401  # rotation finished


def test_the_page_renews_its_token_and_keeps_the_conversation(tmp_path: Path) -> None:
    """In Chromium: a page holding a token from before tokens expired renews it at
    load and still shows its conversation; a page due for renewal does the same."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    with gateway_process(tmp_path) as process:
        visitor = httpx.post(f"{process.url}/webchat/api/visitors", json={}).json()
        auth = {"Authorization": f"Bearer {visitor['token']}"}
        said = httpx.post(
            f"{process.url}/webchat/api/messages", json={"text": "hello"}, headers=auth
        )
        assert said.status_code == 200
        legacy = f"{visitor['user_id']}.{_mac(SECRET, visitor['user_id'])}"
        saved = [{"user_id": visitor["user_id"], "token": legacy}, {**visitor, "renew_after": 0}]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=BROWSER_FLAGS)
            try:
                for old in saved:
                    page = browser.new_context().new_page()
                    page.set_default_timeout(30_000)
                    page.add_init_script(
                        f"localStorage.setItem('webchat.visitor', {json.dumps(json.dumps(old))})"
                    )
                    page.goto(f"{process.url}/chat/?lang=en")
                    expect(page.locator("#messages")).to_contain_text("hello")
                    kept = json.loads(page.evaluate("localStorage.getItem('webchat.visitor')"))
                    assert kept["user_id"] == visitor["user_id"]  # the same conversation
                    assert kept["token"] != old["token"] and kept["renew_after"] > time.time()
                    page.context.close()
            finally:
                browser.close()
