"""Sending: a reply goes to the thread's sender over SMTP, in the thread."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from common.channel import Connector, DeliveryFailed, Refused
from common.messages import OutboundMessage
from connectors.email._compose import message_id, reply, subject_line
from connectors.email._settings import EmailSettings
from store import email as threads
from store import handoffs
from store.email_tables import EmailThread


class EmailConnector(Connector):
    """``user_id`` is ``t<thread id>``: a conversation is one thread with one sender."""

    name = "email"
    tickets_only = True

    def __init__(self, settings: EmailSettings, database: sessionmaker[Session]) -> None:
        self.settings = settings
        self.database = database

    async def send_text_message(self, user_id: str, text: str) -> None:
        await self.send(user_id, OutboundMessage(text=text))

    async def send(self, user_id: str, message: OutboundMessage) -> None:
        text = message.text
        if message.buttons:  # no buttons in an email: the choices, numbered
            numbered = "\n".join(f"{i}. {t}" for i, (t, _) in enumerate(message.buttons, 1))
            text = f"{text}\n\n{numbered}".strip()
        if message.image:
            text = f"{text}\n\n{message.image}".strip()
        if not text:
            return
        email = self._compose(user_id, text, automatic=message.author != "agent")
        await asyncio.to_thread(self._smtp, email)

    def _compose(self, user_id: str, text: str, automatic: bool) -> EmailMessage:
        number = user_id.removeprefix("t")
        if not number.isdigit():
            raise Refused(f"not an email thread: {user_id!r}")
        with self.database.begin() as db:
            thread = db.get(EmailThread, int(number))
            if thread is None:
                raise Refused(f"email thread {number} no longer exists")
            session = handoffs.latest_session(db, f"email:{user_id}")
            email = reply(
                sender=self.settings.address,
                sender_name=self.settings.display_name,
                to=thread.address,
                subject=subject_line(thread.subject, session.ticket if session else None),
                text=text,
                in_reply_to=thread.last_message_id,
                references=threads.references(db, thread),
                automatic=automatic,
            )
            # Recorded before it is sent: the user's answer to it must find the thread.
            threads.record(db, thread, message_id(email))
        return email

    def _smtp(self, email: EmailMessage) -> None:
        settings = self.settings
        try:
            if settings.smtp_ssl:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    settings.smtp_host, settings.smtp_port, timeout=20
                )
            else:
                client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=20)
            with client:
                if settings.smtp_starttls and not settings.smtp_ssl:
                    client.starttls(context=ssl.create_default_context())
                if settings.smtp_user:
                    client.login(settings.smtp_user, settings.smtp_password.get_secret_value())
                client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Refused("the mail server refused the user's address") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # The library's text may quote the server's greeting or our login name.
            raise DeliveryFailed(
                f"the mail server could not take the reply ({type(exc).__name__})"
            ) from exc
