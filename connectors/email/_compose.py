"""Writing a reply email: plain text plus a simple HTML part, in the thread.

Threading follows RFC 5322 section 3.6.4 (``In-Reply-To`` the newest message,
``References`` the thread). Replies the bot or the desk writes by themselves carry
``Auto-Submitted: auto-replied`` (RFC 3834), so a well-behaved auto-responder on the
other side never answers them, and two of them can't loop. Every reply carries
``X-Loop`` with the support address, so one that comes back is never answered.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

_URL = re.compile(r"(https?://[^\s<>\"']+)")


def subject_line(subject: str, ticket: str | None) -> str:
    base = re.sub(
        r"^((re|aw|sv|fw|fwd|回复|答复|转发)\s*[:：]\s*)+", "", subject, flags=re.I
    ).strip()
    base = re.sub(r"\s*\[#?T-\d+\]", "", base).strip() or "Support"
    tag = f" [{ticket}]" if ticket else ""
    return f"Re: {base}{tag}"


def html_body(text: str) -> str:
    """The text as simple HTML: escaped, paragraphs kept, links clickable."""
    paragraphs = []
    for block in re.split(r"\n{2,}", text.strip()):
        escaped = html.escape(block)
        linked = _URL.sub(r'<a href="\1">\1</a>', escaped)
        paragraphs.append(f"<p>{linked.replace(chr(10), '<br>')}</p>")
    return (
        '<!DOCTYPE html><html><body style="font-family:sans-serif;line-height:1.5">'
        + "".join(paragraphs)
        + "</body></html>"
    )


def reply(
    *,
    sender: str,
    sender_name: str,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str | None,
    references: list[str],
    automatic: bool,
) -> EmailMessage:
    message = EmailMessage()
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["From"] = formataddr((sender_name, sender))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    # Ours, whoever wrote it: should it come back to the support mailbox (a user's
    # address that forwards there), it is recognised and not answered.
    message["X-Loop"] = sender
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{r}>" for r in references)
    if automatic:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"  # Exchange's out-of-office replies
    message.set_content(text)
    message.add_alternative(html_body(text), subtype="html")
    return message


def message_id(message: EmailMessage) -> str:
    return str(message["Message-ID"]).strip().strip("<>")
