"""The email channel end to end: a real mailbox (Dovecot) read by the gateway, replies
caught by a local SMTP server, on SQLite and PostgreSQL; two gateways reading one
mailbox (on either database) still answer each email once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.settings import ROOT
from connectors import email
from connectors.email import EmailSettings
from tests.fakes.rasa import FakeRasa
from tests.support.gateway import Gateway
from tests.support.mail import MAILBOX, PASSWORD, Imap, Outgoing, body, dovecot, smtp_server
from tests.support.waiting import wait_until

PHRASE = "abandon ability able about above absent absorb abstract absurd abuse access accident"


class ArticleRasa(FakeRasa):
    """Answers "back up" questions with an article outright, the rest with a question."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "back up" in body["message"]:
            self.calls.append(body)
            sender = body["sender"]
            return httpx.Response(
                200,
                json=[
                    {"recipient_id": sender, "text": "Settings > Security > Back up phrase."},
                    {"recipient_id": sender, "custom": {"outcome": "answer", "article": "backup"}},
                ],
            )
        return super().__call__(request)


def settings(imap: Imap, smtp_port: int, **extra: Any) -> EmailSettings:
    return EmailSettings(
        imap_host="127.0.0.1",
        imap_port=imap.port,
        imap_ssl=False,
        imap_user=MAILBOX,
        imap_password=PASSWORD,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        address=MAILBOX,
        poll_seconds=1,
        **extra,
    )


def mail(
    message_id: str,
    text: str | None = "Where is my transfer?",
    sender: str = "alice@example.com",
    subject: str = "Missing USDT",
    headers: dict[str, str] | None = None,
    attachment: tuple[bytes, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if attachment is not None:
        data, name = attachment
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


class Desk:
    """One gateway reading the mailbox, and what the SMTP server got."""

    def __init__(
        self, url: str, imap: Imap, smtp_port: int, outgoing: Outgoing, **extra: Any
    ) -> None:
        self.imap = imap
        self.outgoing = outgoing
        config = settings(imap, smtp_port, **extra)
        self.gateway = Gateway(
            url, ArticleRasa(), channels=[lambda app, host: email.mount(app, host, config)]
        )

    def sent_to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.outgoing.messages if m["To"] == address]

    def conversation(self, headers: dict[str, str], session_id: int) -> dict[str, Any]:
        response = self.gateway.client.get(f"/api/agent/sessions/{session_id}", headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def desk(database_url: str, tmp_path: Path) -> Iterator[Desk]:
    with dovecot() as imap, smtp_server() as (port, outgoing):
        desk = Desk(database_url, imap, port, outgoing)
        with desk.gateway.client:
            yield desk


def test_an_email_becomes_a_ticket_answered_once_with_its_number_and_the_article(
    desk: Desk,
) -> None:
    desk.imap.deliver(mail("q1@example.com", "How do I back up my wallet?", subject="Backup"))
    [answer] = wait_until(lambda: desk.sent_to("alice@example.com"), 30, "no reply was sent")
    assert answer["In-Reply-To"] == "<q1@example.com>"
    assert answer["Auto-Submitted"] == "auto-replied"
    assert answer["Subject"].startswith("Re: Backup [T-")
    text = body(answer)
    ticket = answer["Subject"].rsplit("[", 1)[1].rstrip("]")
    assert ticket in text
    assert "Settings > Security > Back up phrase." in text
    assert answer.get_body(preferencelist=("html",)) is not None
    wait_until(lambda: desk.imap.unread() == 0, 10, "the email was never marked read")

    agent = desk.gateway.agent("dana@wallet.test")
    [session] = desk.gateway.queue(agent)
    assert session["kind"] == "ticket"
    due = datetime.fromisoformat(session["due_at"]) - datetime.fromisoformat(session["queued_at"])
    assert due == timedelta(hours=48), due  # the normal ticket SLA (SUPPORT_TICKET_SLA_HOURS)
    assert session["conversation_id"].startswith("email:t")
    claimed = desk.gateway.client.post(f"/api/agent/sessions/{session['id']}/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    sent = desk.gateway.client.post(
        f"/api/agent/sessions/{session['id']}/messages",
        json={"text": "Done: see the guide."},
        headers=agent,
    )
    assert sent.status_code in (200, 201), sent.text
    wait_until(
        lambda: len(desk.sent_to("alice@example.com")) == 2,
        30,
        lambda: f"the agent's reply never left: {[body(m) for m in desk.outgoing.messages]}",
    )
    by_agent = desk.sent_to("alice@example.com")[1]
    assert body(by_agent).strip() == "Done: see the guide."
    html = by_agent.get_body(preferencelist=("html",))  # plain text plus simple HTML
    assert html is not None and "<p>Done: see the guide.</p>" in html.get_content()
    assert by_agent["Auto-Submitted"] is None
    assert "q1@example.com" in by_agent["References"]

    # Alice answers the agent's email: it joins her ticket and nobody answers automatically.
    desk.imap.deliver(
        mail(
            "q2@example.com",
            "Thanks, that worked.\n\nOn Monday Support wrote:\n> Done",
            subject=f"Re: Backup [{ticket}]",
            headers={"In-Reply-To": by_agent["Message-ID"]},
        )
    )
    wait_until(lambda: desk.imap.unread() == 0, 30, "the answer was never read")
    messages = desk.conversation(agent, session["id"])["messages"]
    texts = [m["text"] for m in messages if m["author"] == "user"]
    assert texts[-1] == "Thanks, that worked."
    assert len(desk.sent_to("alice@example.com")) == 2


def test_machines_mass_mailings_and_forged_threads_are_not_answered_or_joined(
    desk: Desk,
) -> None:
    desk.imap.deliver(mail("a1@example.com", "My USDT is missing"))
    [ack] = wait_until(lambda: desk.sent_to("alice@example.com"), 30, "Alice got no ticket")
    # The bot asked back rather than answer outright: the ticket number, no article.
    assert "opened ticket T-0" in body(ack) and "help article" not in body(ack)
    assert "bot:" not in body(ack)
    many = ", ".join(f"user{i}@example.com" for i in range(1000))
    desk.imap.deliver(
        mail(
            "ooo@example.com",
            "I am out of office",
            sender="bob@example.com",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    desk.imap.deliver(
        mail("bulk@example.com", "Newsletter", sender="news@example.com", headers={"Cc": many})
    )
    desk.imap.deliver(
        mail("dsn@example.com", "Delivery failed", sender="MAILER-DAEMON@example.com")
    )
    # Mallory names Alice's email as the one she answers: a thread of her own.
    desk.imap.deliver(
        mail(
            "m1@evil.test",
            "Send the funds to me instead",
            sender="mallory@evil.test",
            headers={"In-Reply-To": "<a1@example.com>"},
            subject="Re: Missing USDT",
        )
    )
    wait_until(lambda: desk.imap.unread() == 0, 30, "not every email was read")
    wait_until(lambda: desk.sent_to("mallory@evil.test"), 30, "Mallory's email got no ticket")
    assert not desk.sent_to("bob@example.com") and not desk.sent_to("news@example.com")
    assert not [m for m in desk.outgoing.messages if "mailer-daemon" in str(m["To"]).lower()]
    agent = desk.gateway.agent("dana@wallet.test")
    sessions = desk.gateway.queue(agent)
    conversations = {s["conversation_id"] for s in sessions}
    assert len(conversations) == 2  # Alice's and Mallory's, apart


def test_a_recovery_phrase_in_an_email_is_never_stored_or_sent_back(desk: Desk) -> None:
    desk.imap.deliver(mail("s1@example.com", f"Support asked me for this: {PHRASE}"))
    # The warning and the urgent ticket's notice may leave in either order, or together.
    wait_until(lambda: desk.sent_to("alice@example.com"), 30, "no warning was sent")
    agent = desk.gateway.agent("dana@wallet.test")
    sessions = desk.gateway.queue(agent)
    [session] = sessions
    assert session["priority"] == "urgent"
    messages = desk.conversation(agent, session["id"])["messages"]
    assert all("abandon ability" not in m["text"] for m in messages)
    # The agent's answer quotes nothing of the thread: the phrase is in no part of it.
    sid = session["id"]
    assert desk.gateway.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent).is_success
    sent = desk.gateway.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "Move your funds now."}, headers=agent
    )
    assert sent.is_success, sent.text
    # (Before it: the warning, and the urgent ticket's notice.)
    wait_until(
        lambda: any(
            body(m).strip() == "Move your funds now." for m in desk.sent_to("alice@example.com")
        ),
        30,
        lambda: f"no agent reply: {[body(m) for m in desk.outgoing.messages]}",
    )
    by_agent = desk.sent_to("alice@example.com")[-1]
    assert body(by_agent).strip() == "Move your funds now."
    for sent_mail in desk.outgoing.messages:
        assert "abandon" not in sent_mail.as_string() and "abstract absurd" not in str(sent_mail)


def test_files_are_kept_under_the_desks_limit_and_a_textless_email_still_opens_a_ticket(
    desk: Desk,
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000
    huge = b"\0" * (20 * 1024 * 1024)  # 20 MB: over DESK_MEDIA_MAX_BYTES (10 MB)
    desk.imap.deliver(mail("f1@example.com", None, attachment=(png, "screen.png")))
    desk.imap.deliver(
        mail(
            "f2@example.com",
            "And the statement",
            sender="carol@example.com",
            attachment=(huge, "statement.pdf"),
        )
    )
    wait_until(lambda: desk.imap.unread() == 0, 60, "not every email was read")
    wait_until(
        lambda: desk.sent_to("alice@example.com") and desk.sent_to("carol@example.com"),
        30,
        "not every sender got a ticket",
    )
    agent = desk.gateway.agent("dana@wallet.test")
    sessions = desk.gateway.queue(agent)
    by_conversation = {}
    for session in sessions:
        by_conversation[session["conversation_id"]] = desk.conversation(agent, session["id"])
    files = [m for c in by_conversation.values() for m in c["messages"] if m.get("attachment")]
    assert [f["attachment"]["mime"] for f in files] == ["image/png"]
    notes = [m["text"] for c in by_conversation.values() for m in c["messages"]]
    assert any("was refused" in t for t in notes), notes
    media = ROOT / "var" / "media" / "email"
    assert not [p for p in media.glob("*statement.pdf")] if media.exists() else True


def test_two_gateways_reading_one_mailbox_answer_each_email_once(database_url: str) -> None:
    with ExitStack() as stack:
        url = database_url
        imap = stack.enter_context(dovecot())
        port, outgoing = stack.enter_context(smtp_server())
        first = Desk(url, imap, port, outgoing)
        stack.enter_context(first.gateway.client)
        second = Desk(url, imap, port, outgoing)
        stack.enter_context(second.gateway.client)
        senders = [f"user{i}@example.com" for i in range(10)]
        for i, sender in enumerate(senders):
            imap.deliver(mail(f"p{i}@example.com", f"Question {i}", sender=sender))
        wait_until(
            lambda: len(outgoing.messages) >= 10, 60, lambda: f"{len(outgoing.messages)} replies"
        )
        wait_until(lambda: imap.unread() == 0, 30, "not every email was read")
        time.sleep(3)  # a second reader that double-processed would have answered by now
        assert sorted(str(m["To"]) for m in outgoing.messages) == sorted(senders)
