"""An email asking to be called keeps its number: no bot reads email, an agent does, so
the callback masking (handoff/callbacks.py) leaves tickets-only channels alone."""

from __future__ import annotations

from tests.support.waiting import wait_until
from tests.test_email_mailbox import Desk, desk, mail

__all__ = ["desk"]  # the fixture, imported for pytest


def test_an_email_asking_for_a_call_keeps_the_number_for_the_agent(desk: Desk) -> None:
    desk.imap.deliver(mail("c1@example.com", "Please call me on +86 138 0013 8000 tomorrow."))
    wait_until(lambda: desk.sent_to("alice@example.com"), 30, "no ticket reply was sent")
    agent = desk.gateway.agent("dana@wallet.test")
    [session] = desk.gateway.queue(agent)
    messages = desk.conversation(agent, session["id"])["messages"]
    assert any("+86 138 0013 8000" in m["text"] for m in messages), messages
