"""Email settings (env prefix ``EMAIL_``): off until an IMAP host is configured."""

from __future__ import annotations

from pydantic import BaseSettings, PositiveInt, SecretStr


class EmailSettings(BaseSettings):
    # The support mailbox, read over IMAP (IDLE where the server offers it).
    imap_host: str = ""
    imap_port: PositiveInt = 993
    imap_ssl: bool = True
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_folder: str = "INBOX"
    # Replies go out over SMTP, from this address (the mailbox's, usually).
    smtp_host: str = ""
    smtp_port: PositiveInt = 587
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    address: str = ""  # From: of every reply, e.g. support@wallet.example
    display_name: str = "Support"
    # How long one IDLE waits before checking again, and the polling interval on a
    # server without IDLE. Either way a new email is seen within this time at worst.
    poll_seconds: PositiveInt = 30
    # An email to this many recipients or more is a mass mailing, not a support request.
    max_recipients: PositiveInt = 50
    # A sender who started this many threads in the last hour continues their newest
    # one instead: an auto-responder that marks nothing, answering each of our replies
    # with a fresh email, gets this many acknowledgements and no more (a mail loop).
    max_threads_per_hour: PositiveInt = 5
    # Messages above this size are read from their header alone: a ticket with a note
    # for the agent, the body never fetched.
    max_message_bytes: PositiveInt = 30 * 1024 * 1024

    class Config:
        env_prefix = "EMAIL_"
        env_file = ".env"
        extra = "ignore"

    @property
    def configured(self) -> bool:
        return bool(self.imap_host)

    def missing(self) -> list[str]:
        """What a configured mailbox still lacks, by environment variable name."""
        needed = {
            "EMAIL_IMAP_USER": self.imap_user,
            "EMAIL_IMAP_PASSWORD": self.imap_password.get_secret_value(),
            "EMAIL_SMTP_HOST": self.smtp_host,
            "EMAIL_ADDRESS": self.address,
        }
        return [name for name, value in needed.items() if not value]
