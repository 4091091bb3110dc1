"""The email channel's parts: reading an email, recognising machines, threading by
sender, and writing a reply (the mailbox round trip is tests/test_email_mailbox.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

from connectors.email import automatic, new_text, parse
from connectors.email._compose import reply, subject_line
from store import email as threads
from store.db import make_engine, migrate, session_factory


def raw(
    sender: str = "Alice <alice@example.com>",
    subject: str = "Where is my USDT?",
    text: str | None = "I sent 100 USDT yesterday and it has not arrived.",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@wallet.test"
    message["Subject"] = subject
    message["Message-ID"] = "<m1@example.com>"
    for name, value in (headers or {}).items():
        message[name] = value
    if text is not None:
        message.set_content(text)
    if html is not None:
        if text is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment, maintype="image", subtype="png", filename="screenshot.png"
        )
    return message.as_bytes()


def test_an_email_is_read_for_its_sender_text_and_thread() -> None:
    email = parse(
        raw(headers={"In-Reply-To": "<r2@wallet.test>", "References": "<r1@x> <r2@wallet.test>"})
    )
    assert email.sender == "alice@example.com"
    assert email.message_id == "m1@example.com"
    assert email.text.startswith("I sent 100 USDT")
    assert email.thread_ids == ["r2@wallet.test", "r1@x"]
    assert email.automatic == ""


def test_html_only_email_becomes_text_without_markup_or_scripts() -> None:
    email = parse(raw(text=None, html="<p>Hola</p><script>alert(1)</script><p>mi <b>saldo</b></p>"))
    assert "Hola" in email.text and "mi saldo" in email.text
    assert "<" not in email.text and "alert" not in email.text


def test_an_email_with_no_text_part_is_read_as_empty_with_its_file() -> None:
    email = parse(raw(text=None, attachment=b"\x89PNG\r\n\x1a\n" + b"0" * 100))
    assert email.text == ""
    assert [a.name for a in email.attachments] == ["screenshot.png"]


def test_quoted_history_and_signature_are_cut_off() -> None:
    body = "Still nothing.\n\nOn Mon, 30 Nov 2026 Support <s@w.test> wrote:\n> ticket T-000001"
    assert new_text(body) == "Still nothing."
    assert new_text("Thanks\n--\nAlice, CEO of nothing") == "Thanks"
    assert new_text("> old line\nnew line") == "new line"


def test_machines_are_recognised_and_people_are_not() -> None:
    for headers in (
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
        {"List-Id": "<news.example.com>"},
    ):
        assert parse(raw(headers=headers)).automatic, headers
    assert parse(raw(sender="MAILER-DAEMON@example.com")).automatic
    assert parse(raw(headers={"Auto-Submitted": "no"})).automatic == ""
    dsn = EmailMessage()
    dsn["From"] = "postmaster@example.com"
    dsn.set_content("delivery failed")
    dsn.make_mixed()
    dsn.set_type("multipart/report")
    assert automatic(dsn)


def test_a_thousand_recipients_are_counted() -> None:
    many = ", ".join(f"u{i}@example.com" for i in range(1000))
    email = parse(raw(headers={"Cc": many}))
    assert email.recipients == 1001


def test_a_forged_reply_from_another_sender_starts_its_own_thread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    migrate(engine)
    database = session_factory(engine)
    with database.begin() as db:
        alice = threads.thread_for(db, "a1@example.com", "alice@example.com", "USDT", [], None)
        alice_id = alice.id
    with database.begin() as db:
        again = threads.thread_for(
            db, "a2@example.com", "alice@example.com", "Re: USDT", ["a1@example.com"], None
        )
        assert again.id == alice_id  # Alice continues her own thread
        forged = threads.thread_for(
            db, "m1@evil.test", "mallory@evil.test", "Re: USDT", ["a1@example.com"], None
        )
        assert forged.id != alice_id  # Mallory naming Alice's message does not join it
        by_ticket = threads.find_thread(db, "mallory@evil.test", [], alice_id)
        assert by_ticket is None
    with database.begin() as db:  # fetched twice: the same thread
        assert (
            threads.thread_for(db, "a2@example.com", "alice@example.com", "", [], None).id
            == alice_id
        )
    engine.dispose()


def test_a_reply_is_threaded_plain_and_html_and_marked_automatic_when_not_an_agent() -> None:
    message = reply(
        sender="support@wallet.test",
        sender_name="Support",
        to="alice@example.com",
        subject=subject_line("RE: Re: Where is my USDT? [T-000003]", "T-000003"),
        text="Ticket T-000003 <b>is</b> open.\n\nSee https://help.wallet.test/x",
        in_reply_to="m1@example.com",
        references=["m0@example.com", "m1@example.com"],
        automatic=True,
    )
    assert message["Subject"] == "Re: Where is my USDT? [T-000003]"
    assert message["In-Reply-To"] == "<m1@example.com>"
    assert message["References"] == "<m0@example.com> <m1@example.com>"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["X-Loop"] == "support@wallet.test"  # ours, should it come back
    assert parse(message.as_bytes()).loops == ["support@wallet.test"]
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    content = html.get_content()
    assert "&lt;b&gt;" in content and '<a href="https://help.wallet.test/x">' in content
    by_agent = reply(
        sender="support@wallet.test",
        sender_name="Support",
        to="alice@example.com",
        subject="Re: x",
        text="Hi",
        in_reply_to=None,
        references=[],
        automatic=False,
    )
    assert by_agent["Auto-Submitted"] is None


def test_a_sender_past_the_new_thread_limit_continues_their_newest_thread(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What stops a loop with an auto-responder that marks nothing and threads nothing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    database = session_factory(engine)
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    made = []
    with database.begin() as db:
        for i in range(4):
            thread = threads.thread_for(
                db, f"r{i}@bot.test", "robot@bot.test", "Hi", [], None, most_new=3, since=since
            )
            made.append(thread.id)
        other = threads.thread_for(
            db, "b1@x.test", "bob@x.test", "Hi", [], None, most_new=3, since=since
        )
    assert made[:3] == sorted(set(made[:3])) and made[3] == made[2]
    assert other.id not in made  # another sender is not held back
    with database.begin() as db:  # an hour later, a new thread again
        later = threads.thread_for(
            db,
            "r9@bot.test",
            "robot@bot.test",
            "Hi",
            [],
            None,
            most_new=3,
            since=datetime.now(timezone.utc) + timedelta(seconds=1),
        )
    assert later.id not in made
    engine.dispose()
