"""Reading an arriving email: who sent it, which thread it belongs to, what it says,
what it carries, and whether a machine wrote it.

Standards followed: RFC 5322 (message format, ``Message-ID``/``In-Reply-To``/
``References``), RFC 3834 (``Auto-Submitted``: automatic responses must not be
answered), RFC 3464 (delivery status notifications, ``multipart/report``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

_ID = re.compile(r"<([^<>\s]+)>")
# "Re: Where is my USDT [T-000042]": the ticket tag the desk's replies carry.
TICKET_TAG = re.compile(r"\[#?T-(\d{1,9})\]")
# The first line of a quoted earlier message in the common clients' wording.
_QUOTE_HEAD = re.compile(
    r"^(On .{4,200} wrote:|El .{4,200} escribió:|.{0,80}写道[:：]|-----Original Message-----"
    r"|-{2,} ?Mensaje original ?-{2,}|_{10,}|From: .+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Part:
    """An attached file, as sent (its type is checked by content when stored)."""

    name: str
    data: bytes
    declared_type: str


@dataclass
class Email:
    message_id: str
    sender: str  # lower-cased address; "" when the From header holds none
    sender_name: str
    subject: str
    text: str  # the new text, quoted history cut off
    in_reply_to: list[str]
    references: list[str]
    recipients: int
    automatic: str = ""  # why a machine wrote it ("" for a person)
    attachments: list[Part] = field(default_factory=list)
    # The X-Loop headers' addresses, lower-cased: the mailboxes it already went through.
    loops: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The earlier messages this one answers, nearest first."""
        seen: list[str] = []
        for found in [*self.in_reply_to, *reversed(self.references)]:
            if found not in seen:
                seen.append(found)
        return seen

    @property
    def ticket(self) -> int | None:
        match = TICKET_TAG.search(self.subject)
        return int(match.group(1)) if match else None


def message_ids(value: str | None) -> list[str]:
    return _ID.findall(value or "")


def automatic(message: EmailMessage) -> str:
    """Why *message* was written by a machine (never to be answered), or ""."""
    auto = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response"):
        if message.get(header) is not None:
            return header
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return "mailing list"
    if message.get_content_type() == "multipart/report":
        return "delivery status notification"
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    local = sender.partition("@")[0]
    if local in {"mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply"}:
        return f"sent from {local}"
    if str(message.get("Return-Path", "")).strip() == "<>":
        return "empty Return-Path (a bounce)"
    return ""


class _Text(HTMLParser):
    """HTML to text: block elements become line breaks, scripts and styles vanish."""

    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "head"}:
            self._skip += 1
        elif tag in self._BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "head"}:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.out.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.out))


def new_text(body: str) -> str:
    """The part of *body* the sender wrote now: quoted history and signatures cut off."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped == "--" or _QUOTE_HEAD.match(stripped):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # an unknown charset: read what can be read
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    text = str(content)
    return html_text(text) if part.get_content_type() == "text/html" else text


def _attachments(message: EmailMessage) -> list[Part]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        found.append(Part(part.get_filename() or "attachment", data, part.get_content_type()))
    return found


def parse(raw: bytes) -> Email:
    """Read one RFC 5322 message; never raises on a malformed one (it becomes what can
    be read of it: an email with no text part has an empty text)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    own_id = message_ids(str(message.get("Message-ID", "")))
    # A message without an id gets one from its bytes: a re-fetch is still recognised.
    message_id = own_id[0] if own_id else f"{hashlib.sha256(raw).hexdigest()[:32]}@no-id"
    # From, never Reply-To: the sender is who may continue a thread, and replies go
    # back to the same address (a Reply-To could point another user's thread at us).
    name, address = parseaddr(str(message.get("From", "")))
    address = address.strip().lower()
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        address = ""
    if "@" not in address:
        address = ""
    recipients = getaddresses(
        [str(v) for header in ("To", "Cc") for v in message.get_all(header, [])]
    )
    return Email(
        message_id=message_id,
        sender=address,
        sender_name=name,
        subject=str(message.get("Subject", "")).strip()[:300],
        text=new_text(_body(message)),
        in_reply_to=message_ids(str(message.get("In-Reply-To", ""))),
        references=message_ids(str(message.get("References", ""))),
        recipients=len([a for _, a in recipients if a]),
        automatic=automatic(message),
        attachments=_attachments(message),
        loops=[a.lower() for _, a in getaddresses([str(v) for v in message.get_all("X-Loop", [])])],
    )
