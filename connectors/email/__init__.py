"""Email: a support mailbox read over IMAP, replies sent over SMTP; every email is a ticket.

Off until ``EMAIL_IMAP_HOST`` is set. One gateway at a time reads the mailbox (a
lease); the others take over within a minute if it dies.
"""

from __future__ import annotations

from fastapi import FastAPI

from common.settings import ConfigurationError
from connectors._host import ChannelHost, Runner
from connectors.email._connector import EmailConnector
from connectors.email._parse import Email, automatic, new_text, parse
from connectors.email._poller import read_mailbox, take
from connectors.email._settings import EmailSettings


def mount(app: FastAPI, host: ChannelHost, settings: EmailSettings | None = None) -> Runner | None:
    """The mailbox loop, once ``EMAIL_IMAP_HOST`` is set (else nothing)."""
    settings = settings or EmailSettings()
    if not settings.configured:
        return None
    missing = settings.missing()
    if missing:
        raise ConfigurationError(f"email is configured but lacks {', '.join(missing)}")
    host.connectors[EmailConnector.name] = EmailConnector(settings, host.database)
    return lambda: read_mailbox(host, settings)


__all__ = [
    "Email",
    "EmailConnector",
    "EmailSettings",
    "automatic",
    "mount",
    "new_text",
    "parse",
    "take",
]
