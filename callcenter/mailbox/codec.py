"""Raw mail bytes → what the hotline needs from it (pure; stdlib ``email`` with policy.default).

Every input is hostile or at least messy: a header that does not parse, a charset that lies, a
body that is only HTML, a truncated MIME tree. Nothing here raises for a bad mail; what cannot be
read is left out, and ``defects`` says so for the draft's note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

from .automatic import automatic_kind
from .charsets import decode_bytes
from .html_text import html_to_text
from .quoting import is_forward, strip_quoted

MAX_SUBJECT = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MSGID = re.compile(r"<[^<>\s]{1,250}>")


@dataclass(frozen=True)
class Attachment:
    filename: str  # as the sender named it: for display only, never a path
    content_type: str  # as declared; what is stored is sniffed from the bytes
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    sender: str  # the bare address, lower-cased; "" when there is none
    sender_name: str
    subject: str
    text: str  # the body as text, quoted history cut off (kept for a forward)
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    automatic: str | None  # "bounce" or "auto_reply" (see automatic.py), else None
    forwarded: bool
    defects: tuple[str, ...] = field(default=())

    @property
    def thread_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.in_reply_to, *self.references)))


def parse_mail(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    defects: list[str] = []
    name, sender = _address(msg, "From", defects)
    if not sender:
        name, sender = _address(msg, "Sender", defects)
    subject = _header_text(msg, "Subject")[:MAX_SUBJECT]
    plain, html, attachments = _walk(msg, defects)
    body = plain if plain.strip() else html_to_text(html)
    forwarded = is_forward(subject, body)
    text = body.strip() if forwarded else strip_quoted(body)
    return ParsedMail(
        sender=sender, sender_name=_clean(name), subject=_clean(subject), text=_clean(text),
        message_id=_first_id(_raw_header(msg, "Message-ID")),
        in_reply_to=_ids(_raw_header(msg, "In-Reply-To")), references=_ids(_raw_header(msg, "References")),
        attachments=tuple(attachments), automatic=automatic_kind(msg, sender), forwarded=forwarded,
        defects=tuple(dict.fromkeys(defects)))


def _clean(text: str) -> str:
    """No NUL or other control characters (PostgreSQL text cannot hold NUL; none belongs in a draft)."""
    return _CONTROL.sub("", text)


def _raw_header(msg: Message, name: str) -> str:
    """The header as it came (the first one), undecoded; raw 8-bit text (a mailer that put GBK
    bytes straight into the header) decoded by our charset rules."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            value = str(value)
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                value = decode_bytes(value.encode("utf-8", "surrogateescape"), None)
            return value
    return ""


def _header_text(msg: Message, name: str) -> str:
    """A header's text with encoded words decoded by our charset rules (GB2312 read as GB18030)."""
    return " ".join(_decode_words(_raw_header(msg, name)).split())


def _decode_words(value: str) -> str:
    try:
        parts = decode_header(value)
    except Exception:
        return value
    out = []
    for data, charset in parts:
        out.append(decode_bytes(data, charset) if isinstance(data, bytes) else data)
    return "".join(out)


def _address(msg: Message, name: str, defects: list[str]) -> tuple[str, str]:
    raw = _raw_header(msg, name)
    if not raw:
        return "", ""
    try:
        pairs = getaddresses([raw])
    except Exception:
        pairs = [parseaddr(raw)]
    for display, addr in pairs:
        addr = addr.strip().lower()
        if "@" in addr and len(addr) <= 320 and not any(c.isspace() for c in addr):
            return _decode_words(display).strip()[:100], addr
    defects.append(f"{name} has no address")
    return "", ""


def _ids(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MSGID.findall(value)))[:50]


def _first_id(value: str) -> str | None:
    found = _ids(value)
    return found[0] if found else None


def _walk(msg: EmailMessage, defects: list[str]) -> tuple[str, str, list[Attachment]]:
    """The first text/plain and text/html bodies (outside attachments) and every attachment.
    A forwarded message/rfc822 part is read as part of the body."""
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = _filename(part)
        if disposition == "attachment" or (filename and not content_type.startswith("text/")):
            data = _payload(part, defects)
            if data:
                attachments.append(Attachment(filename or "附件", content_type, data))
            continue
        if content_type == "text/plain":
            plain.append(decode_bytes(_payload(part, defects), part.get_content_charset()))
        elif content_type == "text/html":
            html.append(decode_bytes(_payload(part, defects), part.get_content_charset()))
    return "\n\n".join(plain), "\n".join(html), attachments


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        return ""
    return _decode_words(name) if "=?" in name else name


def _payload(part: Message, defects: list[str]) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        defects.append("a part could not be decoded")
        return b""
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return payload.encode("utf-8", "replace") if isinstance(payload, str) else b""
