"""An email user's data rights: asked for by their address, exported and erased with
their threads (the address, the subject and the Message-IDs kept to thread replies).
A real mailbox (Dovecot) and SMTP server; SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from store.db import make_engine
from tests.support.waiting import wait_until
from tests.test_email_mailbox import Desk, desk, mail

__all__ = ["desk"]  # the fixture, imported for pytest


def _rows(url: str, sql: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(text(sql)).scalars())
    engine.dispose()
    return found


def test_an_email_user_is_exported_and_erased_by_their_address(desk: Desk) -> None:
    desk.imap.deliver(mail("e1@example.com", "My USDT is missing", subject="USDT"))
    desk.imap.deliver(mail("e2@example.com", "And my BTC", subject="BTC"))  # a second thread
    desk.imap.deliver(mail("e3@example.com", "Hello", sender="bob@example.com"))
    wait_until(lambda: len(desk.outgoing.messages) == 3, 30, "not every email was answered")
    gateway = desk.gateway
    boss = gateway.agent("boss@wallet.test", role="admin")
    body = {"user": "Alice@Example.com"}  # as she writes it
    exported = gateway.client.post("/api/agent/admin/privacy/export", json=body, headers=boss)
    assert exported.status_code == 200, exported.text
    conversations = exported.json()["conversations"]
    assert len(conversations) == 2
    assert {c["email_thread"]["subject"] for c in conversations} == {"USDT", "BTC"}
    assert {c["email_thread"]["address"] for c in conversations} == {"alice@example.com"}

    erased = gateway.client.post("/api/agent/admin/privacy/erase", json=body, headers=boss)
    assert erased.status_code == 200, erased.text
    assert erased.json()["conversations"] == 2
    assert _rows(gateway.url, "SELECT address FROM email_threads") == ["bob@example.com"]
    ids = _rows(gateway.url, "SELECT message_id FROM email_message_ids")
    assert not [i for i in ids if str(i).startswith(("e1@", "e2@"))], ids
    assert "e3@example.com" in ids
