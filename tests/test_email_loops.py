"""The email channel's harder cases, against a real mailbox (Dovecot) and a local SMTP
server, on SQLite and PostgreSQL: mail loops, emails over the size cap, threads
continued by ``References`` or by the ticket tag alone, and IDLE.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from connectors.email._poller import Mailbox
from store.db import make_engine
from tests.support.mail import MAILBOX, body, dovecot, smtp_server
from tests.support.waiting import wait_until
from tests.test_email_mailbox import PHRASE, Desk, mail, settings

LOOP_LIMIT = 3


@pytest.fixture
def looping(database_url: str) -> Iterator[Desk]:
    """A desk whose senders may start LOOP_LIMIT threads an hour."""
    with dovecot() as imap, smtp_server() as (port, outgoing):
        desk = Desk(database_url, imap, port, outgoing, max_threads_per_hour=LOOP_LIMIT)
        with desk.gateway.client:
            yield desk


def test_an_auto_responder_that_marks_nothing_gets_a_few_replies_not_a_loop(
    looping: Desk,
) -> None:
    """It answers each of our emails with a fresh one: no Auto-Submitted, no thread
    headers, no ticket tag. Each would be a new ticket with its own acknowledgement,
    answered again, for ever; past the limit they join its newest ticket, unanswered."""
    robot = "robot@other.example"
    looping.imap.deliver(mail("r0@other.example", "Hello, my USDT is missing", sender=robot))
    answered, quiet_since, deadline = 0, time.monotonic(), time.monotonic() + 60
    while time.monotonic() < deadline and time.monotonic() - quiet_since < 8:
        ours = looping.sent_to(robot)
        while answered < len(ours):
            answered += 1
            quiet_since = time.monotonic()
            looping.imap.deliver(
                mail(
                    f"r{answered}@other.example",
                    "Thank you for your email. We will get back to you soon.",
                    sender=robot,
                    subject="We received your message",
                )
            )
        time.sleep(0.2)
    wait_until(lambda: looping.imap.unread() == 0, 30, "the robot's emails were not all read")
    assert len(looping.sent_to(robot)) == LOOP_LIMIT
    agent = looping.gateway.agent("dana@wallet.test")
    sessions = looping.gateway.queue(agent)
    assert len(sessions) == LOOP_LIMIT
    newest = looping.conversation(agent, max(s["id"] for s in sessions))["messages"]
    kept = [m for m in newest if m["author"] == "user"]
    assert len(kept) >= 2  # what came past the limit is kept for the agent


def test_our_own_email_come_back_is_never_answered(looping: Desk) -> None:
    """From the support address itself, or carrying its X-Loop (a user's address that
    forwards to the support mailbox): answering would answer ourselves."""
    looping.imap.deliver(mail("own@wallet.test", "Re: your ticket", sender=MAILBOX))
    looping.imap.deliver(
        mail(
            "fwd@example.com",
            "Ticket T-000001 is open",
            sender="erin@example.com",
            headers={"X-Loop": MAILBOX},
        )
    )
    looping.imap.deliver(mail("ok@example.com", "Where is my USDT?", sender="frank@example.com"))
    wait_until(lambda: looping.sent_to("frank@example.com"), 30, "Frank got no ticket")
    wait_until(lambda: looping.imap.unread() == 0, 30, "not every email was read")
    time.sleep(1)
    assert [str(m["To"]) for m in looping.outgoing.messages] == ["frank@example.com"]
    [ours] = looping.outgoing.messages
    assert ours["X-Loop"] == MAILBOX  # so it is recognised should it come back


def test_emails_over_the_size_cap_become_tickets_with_a_note_and_block_nothing(
    database_url: str,
) -> None:
    """More of them than one batch (20): each is read from its header alone, marked
    read, and the email behind them is answered."""
    big = "Here is my whole history. " * 400  # about 10 KB: over the 5,000 bytes allowed
    with dovecot() as imap, smtp_server() as (port, outgoing):
        desk = Desk(database_url, imap, port, outgoing, max_message_bytes=5000)
        with desk.gateway.client:
            for i in range(21):
                imap.deliver(mail(f"big{i}@example.com", big, sender=f"big{i}@example.com"))
            imap.deliver(mail("small@example.com", "Where is my USDT?", sender="gina@example.com"))
            wait_until(lambda: imap.unread() == 0, 90, lambda: f"{imap.unread()} left unread")
            wait_until(lambda: desk.sent_to("gina@example.com"), 30, "Gina got no ticket")
            wait_until(lambda: len(outgoing.messages) == 22, 60, "not every sender got a ticket")
            agent = desk.gateway.agent("dana@wallet.test")
            sessions = desk.gateway.queue(agent)
            assert len(sessions) == 22
            gina = _conversation(desk, agent)
            one = next(s for s in sessions if s["conversation_id"] != gina)
            messages = desk.conversation(agent, one["id"])["messages"]
            said = " ".join(m["text"] for m in messages if m["author"] == "user")
            assert "was not read: the limit is 5,000" in said, said
            assert "Missing USDT" in said  # its subject, read from the header
            assert "whole history" not in said


def _conversation(desk: Desk, agent: dict[str, str]) -> str:
    """Gina's conversation (the one small email), among the queue's."""
    for session in desk.gateway.queue(agent):
        messages = desk.conversation(agent, session["id"])["messages"]
        if any("Where is my USDT?" in m["text"] for m in messages):
            return str(session["conversation_id"])
    raise AssertionError("Gina's ticket is not in the queue")


def test_a_thread_continues_by_references_or_by_the_ticket_tag_alone(
    looping: Desk,
) -> None:
    looping.imap.deliver(mail("h1@example.com", "My USDT is missing", subject="USDT"))
    [ack] = wait_until(lambda: looping.sent_to("alice@example.com"), 30, "no ticket reply")
    tag = ack["Subject"].rsplit("[", 1)[1].rstrip("]")
    # References only (some clients send no In-Reply-To).
    looping.imap.deliver(
        mail("h2@example.com", "The hash is 0xabc", headers={"References": "<h1@example.com>"})
    )
    # No thread headers at all: a new email whose subject carries the ticket tag.
    looping.imap.deliver(mail("h3@example.com", "Any news?", subject=f"About [{tag}]"))
    # Someone else quoting Alice's tag: a thread of their own.
    looping.imap.deliver(mail("h4@example.com", "Me too", sender="hank@example.com", subject=tag))
    wait_until(lambda: looping.imap.unread() == 0, 30, "not every email was read")
    wait_until(lambda: looping.sent_to("hank@example.com"), 30, "Hank got no ticket")
    time.sleep(1)
    assert len(looping.sent_to("alice@example.com")) == 1  # answered once, on her ticket
    agent = looping.gateway.agent("dana@wallet.test")
    sessions = looping.gateway.queue(agent)
    assert len(sessions) == 2
    by_alice = [
        m["text"]
        for s in sessions
        for m in looping.conversation(agent, s["id"])["messages"]
        if m["author"] == "user" and "Me too" not in m["text"]
    ]
    assert by_alice[1:] == ["The hash is 0xabc", "Any news?"], by_alice
    assert "My USDT is missing" in by_alice[0]


def test_idle_wakes_the_reader_when_an_email_arrives() -> None:
    with dovecot() as imap:
        mailbox = Mailbox(settings(imap, 25))
        try:
            assert b"IDLE" in mailbox.client().capabilities()
            threading.Timer(0.5, imap.deliver, [mail("i1@example.com")]).start()
            started = time.monotonic()
            mailbox.wait(30)  # polling would sleep all of it
            assert time.monotonic() - started < 15
        finally:
            mailbox.close()


def test_a_server_without_idle_is_polled(database_url: str) -> None:
    plain = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+"
    with dovecot(capabilities=plain) as imap, smtp_server() as (port, outgoing):
        desk = Desk(database_url, imap, port, outgoing)
        with desk.gateway.client:
            mailbox = Mailbox(settings(imap, port))
            try:
                assert b"IDLE" not in mailbox.client().capabilities()
            finally:
                mailbox.close()
            imap.deliver(mail("p1@example.com", "Where is my USDT?"))
            [answer] = wait_until(lambda: desk.sent_to("alice@example.com"), 30, "not read")
            assert "T-0" in body(answer)


def test_a_gateway_that_stops_hands_the_mailbox_to_another_at_once(database_url: str) -> None:
    """One gateway reads (the lease); when it stops, the other reads next, well before
    the lease would have run out (a minute: what a gateway that dies costs)."""
    with dovecot() as imap, smtp_server() as (port, outgoing):
        first = Desk(database_url, imap, port, outgoing)
        second = Desk(database_url, imap, port, outgoing)
        first.gateway.client.__enter__()
        running = True
        try:
            imap.deliver(mail("g1@example.com", "First question", sender="ivy@example.com"))
            wait_until(lambda: first.sent_to("ivy@example.com"), 30, "the first never read")
            with second.gateway.client:
                time.sleep(1)
                first.gateway.client.__exit__(None, None, None)  # a rolling restart
                running = False
                imap.deliver(mail("g2@example.com", "Second question", sender="jack@example.com"))
                wait_until(lambda: second.sent_to("jack@example.com"), 20, "nobody read on")
        finally:
            if running:
                first.gateway.client.__exit__(None, None, None)


def test_a_recovery_phrase_in_the_subject_is_never_stored_or_sent_back(looping: Desk) -> None:
    """The subject is the thread's, and every reply's ("Re: …"): the guard reads it
    before it is kept, as it reads the text."""
    looping.imap.deliver(mail("sp@example.com", "Is it safe to share this?", subject=PHRASE))
    wait_until(lambda: looping.sent_to("alice@example.com"), 30, "no reply was sent")
    wait_until(lambda: looping.imap.unread() == 0, 30, "the email was never read")
    agent = looping.gateway.agent("dana@wallet.test")
    [session] = looping.gateway.queue(agent)
    assert session["priority"] == "urgent"  # the phrase was seen
    sid = session["id"]
    assert looping.gateway.client.post(f"/api/agent/sessions/{sid}/claim", headers=agent).is_success
    looping.gateway.client.post(
        f"/api/agent/sessions/{sid}/messages", json={"text": "Move your funds."}, headers=agent
    )
    wait_until(
        lambda: any("Move your funds." in body(m) for m in looping.outgoing.messages),
        30,
        "the agent's reply never left",
    )
    for sent in looping.outgoing.messages:
        assert "abandon" not in str(sent["Subject"]) and "abandon" not in sent.as_string()
    engine = make_engine(looping.gateway.url)
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT subject FROM email_threads")).scalars().all()
        stored = connection.execute(text("SELECT text FROM handoff_messages")).scalars().all()
    engine.dispose()
    assert kept and not [s for s in kept if "abandon" in s], kept
    assert not [t for t in stored if "abandon ability" in t]


def test_a_phrase_by_email_is_a_ticket_told_as_email_even_with_an_agent_online(
    looping: Desk,
) -> None:
    """The guard's urgent handoff, for an email: a ticket (nobody chats by email), and
    the ticket email, not the chat's queue place or "keep asking me"."""
    agent = looping.gateway.agent("dana@wallet.test")  # online: a chat would be routed
    looping.imap.deliver(mail("so@example.com", f"Support asked me for this: {PHRASE}"))
    wait_until(lambda: len(looping.sent_to("alice@example.com")) >= 2, 30, "too few replies")
    wait_until(lambda: looping.imap.unread() == 0, 30, "the email was never read")
    time.sleep(1)
    [session] = looping.gateway.queue(agent)
    assert (session["kind"], session["priority"]) == ("ticket", "urgent")
    said = [body(m) for m in looping.sent_to("alice@example.com")]
    assert len(said) == 2, said  # the warning, then the ticket
    assert "recovery phrase" in said[0]
    assert "opened ticket T-0" in said[1] and "reply to this email" in said[1], said
    assert "within 1 hour" in said[1]  # the security SLA, not the ticket's 48 hours
