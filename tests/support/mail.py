"""A real IMAP server (Debian's Dovecot, started per test in a directory of its own)
and a local SMTP server (aiosmtpd) that keeps what it is sent.

Dovecot missing is a skip, or with ``REQUIRE_SERVICES`` (CI) a failure: ``.ci/run``
installs ``dovecot-imapd``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

from tests.support.services import service_missing

DOVECOT = "/usr/sbin/dovecot"
MAILBOX = "support@wallet.test"
PASSWORD = "mailbox-password"

_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%u
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Imap:
    port: int
    root: Path

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(MAILBOX, PASSWORD)
        client.select_folder("INBOX")
        return client

    def deliver(self, raw: bytes) -> None:
        """An email arrives in the support mailbox."""
        client = self.client()
        try:
            client.append("INBOX", raw)
        finally:
            client.logout()

    def unread(self) -> int:
        client = self.client()
        try:
            return len(client.search(["UNSEEN"]))
        finally:
            client.logout()


@contextlib.contextmanager
def dovecot(capabilities: str | None = None) -> Iterator[Imap]:
    """Dovecot on a free port; *capabilities* replaces what it announces after login
    (a server without IDLE, say)."""
    if not Path(DOVECOT).exists():
        service_missing("Dovecot is not installed (Debian's dovecot-imapd)")
    port = free_port()
    # Not under pytest's tmp_path: Dovecot's own users (dovecot, dovenull, nobody) must
    # reach these files, and pytest's directories are private to root.
    root = Path(tempfile.mkdtemp(prefix="support-dovecot-"))
    (root / "mail").mkdir(parents=True)
    os.chmod(root, 0o755)
    os.chmod(root / "mail", 0o777)  # the mail processes run as nobody
    (root / "passwd").write_text(f"{MAILBOX}:{{PLAIN}}{PASSWORD}\n")
    conf = root / "dovecot.conf"
    extra = f"imap_capability = {capabilities}\n" if capabilities else ""
    conf.write_text(_CONF.format(root=root, port=port) + extra)
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"Dovecot did not start: {log[-2000:]}")
            time.sleep(0.05)
        yield Imap(port, root)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Outgoing:
    """What the local SMTP server was given, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Outgoing]]:
    from aiosmtpd.controller import Controller

    outgoing = Outgoing()
    port = free_port()
    controller = Controller(outgoing, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, outgoing
    finally:
        controller.stop()


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    return str(part.get_content()) if part is not None else ""
