"""Issue 15, items 5 (media links) and 10: files users send, and the headers of every page.

A Telegram user sends files through the real webhook (python-telegram-bot downloads
them from :class:`tests.fakes.telegram.BotApi`); an agent fetches them over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from common.clock import utcnow
from store.db import make_engine, session_factory
from store.models import Message
from tests.fakes.rasa import FakeRasa
from tests.fakes.telegram import PNG, SECRET, BotApi, message
from tests.fakes.telegram import update as tg_update
from tests.support import ROOT
from tests.support.gateway import ALWAYS, Gateway
from tests.support.telegram import TelegramGateway
from tests.support.waiting import wait_until

HTML = b"<html><body><script>fetch('/api/agent/sessions')</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"/>'
CAP = 4096


class TelegramDesk(TelegramGateway):
    """The gateway with Telegram on the fake Bot API; the user sends files."""

    def send_file(self, update_id: int, content: bytes, name: str, mime: str) -> dict[str, Any]:
        """The user sends *content* as a document named *name* of type *mime*; the stored
        message as the console shows it."""
        self.api.file = content
        document = {"file_id": f"f{update_id}", "file_unique_id": f"u{update_id}"}
        document.update(file_name=name, mime_type=mime, file_size=len(content))
        posted = self.client.post(
            "/telegram/webhook",
            json=tg_update(update_id, message=message(message_id=update_id, document=document)),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert posted.status_code == 200, posted.text
        # The webhook answers once the update is stored; its turn runs after that.
        router = self.app.state.parts.router
        wait_until(lambda: router.background.running == 0, 30, "a Telegram turn never finished")
        with session_factory(make_engine(self.url))() as db:
            stored = db.query(Message).filter(Message.author == "user").order_by(Message.id)
            row = stored.all()[-1]
            return {"id": row.id, "text": row.text, "attachment": row.attachment}


@pytest.fixture
def api() -> Iterator[BotApi]:
    api = BotApi()
    yield api
    api.close()


@pytest.fixture
def desk(api: BotApi, tmp_path: Path) -> Iterator[TelegramDesk]:
    settings = ALWAYS.copy(update={"media_max_bytes": CAP})
    gateway = TelegramDesk(f"sqlite:///{tmp_path / 'desk.db'}", api, FakeRasa(), settings)
    with gateway.client:
        yield gateway


def signed(desk: TelegramDesk, agent: dict[str, str], message_id: int) -> str:
    link = desk.client.get(f"/api/agent/media/{message_id}/link", headers=agent)
    assert link.status_code == 200, link.text
    url = str(link.json()["url"])
    assert "token" not in url and agent["Authorization"].split()[1] not in url
    return url


@pytest.mark.parametrize("content", [HTML, SVG], ids=["html", "svg"])
def test_a_page_disguised_as_a_png_is_only_ever_a_download(
    desk: TelegramDesk, content: bytes
) -> None:
    shot = desk.send_file(31, content, "screenshot.png", "image/png")
    assert shot["attachment"]["kind"] == "file"  # the console shows a link, not an <img>
    assert shot["attachment"]["mime"] == "application/octet-stream"
    agent = desk.agent("alice@example.com")
    served = desk.client.get(signed(desk, agent, shot["id"]))
    assert served.status_code == 200 and served.content == content
    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"].startswith("attachment")
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


def test_a_real_image_is_shown_inline_by_what_its_bytes_are(desk: TelegramDesk) -> None:
    shot = desk.send_file(32, PNG, "photo.gif", "image/gif")  # the sender's type is wrong
    assert shot["attachment"]["kind"] == "image" and shot["attachment"]["mime"] == "image/png"
    agent = desk.agent("alice@example.com")
    served = desk.client.get(signed(desk, agent, shot["id"]))
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("inline")


def test_media_links_carry_no_session_token_and_expire(desk: TelegramDesk) -> None:
    shot = desk.send_file(33, PNG, "photo.png", "image/png")
    agent = desk.agent("alice@example.com")
    token = agent["Authorization"].split()[1]
    # The old way, the session token in the URL (and so in access logs): refused.
    assert desk.client.get(f"/api/agent/media/{shot['id']}?token={token}").status_code == 401
    url = signed(desk, agent, shot["id"])
    assert desk.client.get(url).status_code == 200
    # The link is for that one file, and a forged or stale signature is refused.
    other = desk.send_file(34, PNG, "other.png", "image/png")
    assert desk.client.get(url.replace(f"/{shot['id']}?", f"/{other['id']}?")).status_code == 403
    assert desk.client.get(url[:-4] + "0000").status_code == 403
    from handoff.api.media import MediaLinks  # here: a run against the unfixed code gets this far

    links: MediaLinks = desk.app.state.media_links
    stale = MediaLinks(b"", clock=lambda: 0)
    stale._key, stale.clock = links._key, lambda: links.clock() - 2 * links.lifetime
    old_url, _ = stale.url(shot["id"])
    assert desk.client.get(old_url).status_code == 403
    assert desk.client.get(f"/api/agent/media/{shot['id']}/link").status_code == 401


def test_a_file_over_the_cap_is_refused_and_deleted(desk: TelegramDesk) -> None:
    before = set((ROOT / "var" / "media" / "telegram").glob("uniq-f35*"))
    big = desk.send_file(35, PNG + b"\0" * (CAP + 1), "big.png", "image/png")
    assert big["attachment"] is None
    assert "refused" in big["text"] and f"{CAP:,}" in big["text"]
    assert set((ROOT / "var" / "media" / "telegram").glob("uniq-f35*")) == before == set()
    agent = desk.agent("alice@example.com")
    assert desk.client.get(f"/api/agent/media/{big['id']}", headers=agent).status_code == 404


def test_the_retention_job_deletes_old_files_and_their_rows(desk: TelegramDesk) -> None:
    old = desk.send_file(36, PNG, "recovery-phrase.png", "image/png")
    new = desk.send_file(37, PNG, "receipt.png", "image/png")
    old_path, new_path = (ROOT / m["attachment"]["path"] for m in (old, new))
    assert old_path.is_file() and new_path.is_file()
    engine = make_engine(desk.url)
    with session_factory(engine).begin() as db:
        db.execute(
            update(Message)
            .where(Message.id == old["id"])
            .values(created_at=utcnow() - timedelta(days=31))
        )
    job = desk.app.state.parts.jobs.jobs["media_retention"]
    assert asyncio.run(job.run()) == 1
    assert not old_path.exists() and new_path.is_file()
    with session_factory(engine)() as db:
        assert db.get(Message, old["id"]).attachment is None
        assert db.get(Message, new["id"]).attachment is not None
    engine.dispose()
    agent = desk.agent("alice@example.com")
    assert desk.client.get(f"/api/agent/media/{old['id']}", headers=agent).status_code == 404
    assert asyncio.run(job.run()) == 0  # nothing left to purge, nothing selected again


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Gateway]:
    gateway = Gateway(f"sqlite:///{tmp_path / 'desk.db'}", FakeRasa())
    with gateway.client:
        yield gateway


def test_every_page_and_answer_has_the_security_headers(plain: Gateway) -> None:
    for path in ("/chat/", "/console/", "/api/agent/me", "/health", "/webchat/api/messages"):
        response = plain.client.get(path)
        assert response.headers.get("x-frame-options") == "DENY", path
        assert response.headers.get("x-content-type-options") == "nosniff", path
        assert response.headers.get("referrer-policy") == "no-referrer", path
        policy = response.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path


def test_the_api_docs_are_off_unless_enabled(plain: Gateway, tmp_path: Path) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert plain.client.get(path).status_code == 404, path
    enabled = ALWAYS.copy(update={"api_docs": True})
    docs = Gateway(f"sqlite:///{tmp_path / 'docs.db'}", FakeRasa(), enabled)
    with docs.client:
        assert docs.client.get("/openapi.json").status_code == 200
        assert docs.client.get("/docs").status_code == 200
