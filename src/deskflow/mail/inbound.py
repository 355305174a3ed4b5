"""
One inbound mail as the desk reads it: `parse` turns the raw bytes (as a mailbox, an IMAP
fetch or an MTA pipe hands them over) into an `InboundMail`, or refuses them.

Parsing uses the standard library's `email` package (``policy.default``) and refuses, with
an [`InvalidInput`][deskflow.exceptions.InvalidInput] saying why, what the desk cannot read
safely: anything that is not bytes, a message larger than ``max_bytes`` (25 MB by default,
checked before parsing), no ``From`` address, a header that must be single appearing twice
(two ``From`` or two ``Subject`` lines are ambiguous), a line break or another control
character inside a decoded header value (an encoded word hiding a line break would otherwise
reach a ticket title and, from there, an outbound header), a broken MIME structure (a
multipart without its boundary), a text body in a charset Python does not know, and a body
whose transfer encoding is corrupt.
Nothing else escapes: random bytes give `InvalidInput` too.

>>> mail = parse(b"From: Ann Smith <Ann@Example.com>\\r\\nTo: support@desk.example\\r\\n"
...              b"Subject: VPN down\\r\\nMessage-ID: <a1@example.com>\\r\\n\\r\\nIt drops.\\r\\n")
>>> mail.sender, mail.sender_name, mail.subject, mail.body
('ann@example.com', 'Ann Smith', 'VPN down', 'It drops.')
"""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.errors import MessageError
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

import attrs

from deskflow._internal.mail_html import html_to_text
from deskflow.exceptions import InvalidInput

__all__ = ["MAX_MESSAGE_BYTES", "Attachment", "InboundMail", "parse"]

#: The largest raw message `parse` reads by default (25 MB, a common server limit).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024

# RFC 5322 3.6: at most one of each. Two of them make the message ambiguous.
_SINGLE = (
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "date",
    "auto-submitted",
    "precedence",
)
_FATAL_DEFECTS = frozenset(
    {
        "NoBoundaryInMultipartDefect",
        "StartBoundaryNotFoundDefect",
        "MultipartInvariantViolationDefect",
        "MissingHeaderBodySeparatorDefect",
        "MisplacedEnvelopeHeaderDefect",
    }
)
_BODY_DEFECTS = frozenset(
    {"InvalidBase64CharactersDefect", "InvalidBase64LengthDefect", "InvalidBase64PaddingDefect"}
)
_MSG_ID = re.compile(r"<[^<>\s]{1,250}>")
# What must never reach a title or an outbound header: every line break str.splitlines
# knows, and the other control characters (a tab aside).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_MAX_PARTS = 500


@attrs.frozen
class Attachment:
    """
    A file attached to a mail, listed for the host to store: its file name (None when the
    sender gave none), its MIME type and its decoded size in bytes.
    """

    name: str | None
    content_type: str
    size: int


@attrs.frozen(kw_only=True)
class InboundMail:
    """
    The facts of one inbound mail the intake decides on.

    Addresses are lower-cased ``local@domain`` strings; ``to`` and ``cc`` keep their order
    without repeats. ``in_reply_to`` and ``references`` are the Message-IDs (with angle
    brackets) of those headers in order. ``auto_submitted`` and ``precedence`` are the
    lower-cased header values or None. ``report_type`` is the ``report-type`` of a
    ``multipart/report`` (``delivery-status`` for a bounce, ``disposition-notification`` for
    a read receipt) and ``null_sender`` is True for ``Return-Path: <>``, the envelope of
    every bounce and auto-reply done right. ``body`` is the text as sent (an HTML-only
    mail reduced to text, ``from_html`` True), quotes not yet stripped.
    """

    sender: str
    sender_name: str
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    message_id: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    date: datetime | None = None
    auto_submitted: str | None = None
    precedence: str | None = None
    autoreply_headers: tuple[str, ...] = ()
    report_type: str | None = None
    null_sender: bool = False
    body: str = ""
    from_html: bool = False
    attachments: tuple[Attachment, ...] = ()
    size: int = 0

    @property
    def is_bounce(self) -> bool:
        """
        True for a delivery status notification (a bounce) or a read receipt.
        """
        return self.report_type in ("delivery-status", "disposition-notification") or (
            self.null_sender and self.sender.split("@")[0] in ("mailer-daemon", "postmaster")
        )


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    header: Any = message[name]
    if header is None:
        return []
    found: list[tuple[str, str]] = []
    for address in getattr(header, "addresses", ()):
        spec = f"{address.username}@{address.domain}" if address.domain else ""
        found.append((spec.lower(), str(address.display_name or "")))
    return found


def _text_header(message: Message, name: str) -> str | None:
    value = message[name]
    if value is None:
        return None
    text = str(value)
    if _CONTROL.search(text):
        raise InvalidInput(f"the {name} header holds a line break or a control character")
    return text


def _ids(value: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_MSG_ID.findall(value or "")))


def _check_headers(message: Message) -> None:
    for name in _SINGLE:
        values = message.get_all(name) or []
        if len(values) > 1:
            raise InvalidInput(f"the message has {len(values)} {name} headers; one is allowed")
    for defect in message.defects:
        if type(defect).__name__ in _FATAL_DEFECTS:
            raise InvalidInput(f"malformed message: {type(defect).__name__}")


def _decoded_text(part: Message) -> str:
    charset = part.get_content_charset() or "us-ascii"
    try:
        "".encode(charset)
    except LookupError:
        raise InvalidInput(f"the text body is in an unknown charset {charset!r}") from None
    payload = part.get_payload(decode=True)
    # Decoding records what was wrong with the transfer encoding as defects.
    if any(type(d).__name__ in _BODY_DEFECTS for d in part.defects):
        raise InvalidInput("the text body's transfer encoding is corrupt")
    data = payload if isinstance(payload, bytes) else b""
    return data.decode(charset, errors="replace")


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and disposition != "inline":
        return False
    return part.get_content_maintype() not in ("multipart", "text") or (
        disposition == "inline" and part.get_filename() is not None
    )


def _size(part: Message) -> int:
    if part.get_content_type() == "message/rfc822" or part.is_multipart():
        return len(part.as_bytes())
    payload = part.get_payload(decode=True)
    return len(payload) if isinstance(payload, bytes) else 0


def _walk(message: Message) -> tuple[str, bool, tuple[Attachment, ...], str | None]:
    # Apple Mail splits a text around inline images into several text parts: all count.
    plain: list[str] = []
    html: str | None = None
    attachments: list[Attachment] = []
    report_type: str | None = None
    count = 0
    stack: list[Message] = [message]
    while stack:
        part = stack.pop(0)
        count += 1
        if count > _MAX_PARTS:
            raise InvalidInput(f"the message has more than {_MAX_PARTS} MIME parts")
        for defect in part.defects:
            if type(defect).__name__ in _FATAL_DEFECTS:
                raise InvalidInput(f"malformed MIME part: {type(defect).__name__}")
        ctype = part.get_content_type()
        if ctype == "multipart/report" and report_type is None:
            param = part.get_param("report-type")
            report_type = param.lower() if isinstance(param, str) and param else None
        if part.is_multipart() and ctype != "message/rfc822":
            stack[0:0] = list(part.iter_parts()) if isinstance(part, EmailMessage) else []
            continue
        if _is_attachment(part):
            name = part.get_filename()
            if name is not None and _CONTROL.search(name):
                raise InvalidInput(
                    "an attachment's file name holds a line break or a control character"
                )
            attachments.append(Attachment(name, ctype, _size(part)))
        elif ctype == "text/html" and html is None:
            html = _decoded_text(part)
        elif ctype.startswith("text/") and ctype != "text/html":
            plain.append(_decoded_text(part).strip("\r\n"))
    text = "\n\n".join(p for p in plain if p.strip())
    if text.strip():
        return text, False, tuple(attachments), report_type
    if html is not None:
        return html_to_text(html), True, tuple(attachments), report_type
    return "", False, tuple(attachments), report_type


def _date(message: Message) -> datetime | None:
    value = message["date"]
    if value is None:
        return None
    try:
        parsed = getattr(value, "datetime", None) or parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if isinstance(parsed, datetime) and parsed.tzinfo is not None else None


def _lower(message: Message, name: str) -> str | None:
    text = _text_header(message, name)
    return text.strip().lower() if text is not None and text.strip() else None


def _read(message: Message, size: int) -> InboundMail:
    _check_headers(message)
    senders = _addresses(message, "from")
    if not senders or not senders[0][0] or len(senders) != 1:
        raise InvalidInput("the message has no single From address with a domain")
    sender, name = senders[0]
    if _CONTROL.search(sender + name):
        raise InvalidInput("the From header holds a line break or a control character")
    lists = {}
    for field in ("to", "cc"):
        found = [spec for spec, label in _addresses(message, field) if spec]
        if any(_CONTROL.search(spec) for spec in found):
            raise InvalidInput(f"the {field} header holds a line break or a control character")
        lists[field] = tuple(dict.fromkeys(found))
    subject = _text_header(message, "subject") or ""
    message_id = _ids(_text_header(message, "message-id"))
    body, from_html, attachments, report_type = _walk(message)
    return_path = message.get_all("return-path") or []
    autoreply = tuple(
        h for h in ("x-autoreply", "x-autorespond", "x-autoresponder") if message[h] is not None
    )
    return InboundMail(
        sender=sender,
        sender_name=name,
        to=lists["to"],
        cc=lists["cc"],
        subject=subject.strip(),
        message_id=message_id[0] if message_id else None,
        in_reply_to=_ids(_text_header(message, "in-reply-to")),
        references=_ids(_text_header(message, "references")),
        date=_date(message),
        auto_submitted=_lower(message, "auto-submitted"),
        precedence=_lower(message, "precedence"),
        autoreply_headers=autoreply,
        report_type=report_type,
        null_sender=any(str(v).strip() == "<>" for v in return_path),
        body=body.replace("\r\n", "\n").strip(),
        from_html=from_html,
        attachments=attachments,
        size=size,
    )


def parse(message_bytes: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES) -> InboundMail:
    """
    Read one raw mail; InvalidInput (saying why) for anything the desk cannot read safely.
    """
    if not isinstance(message_bytes, bytes | bytearray | memoryview):
        raise InvalidInput(f"a mail is bytes, got {type(message_bytes).__name__}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise InvalidInput(f"max_bytes must be a positive int, got {max_bytes!r}")
    size = len(message_bytes)
    if size > max_bytes:
        raise InvalidInput(f"the message is {size} bytes; at most {max_bytes} are read")
    if not size:
        raise InvalidInput("the message is empty")
    try:
        message = BytesParser(policy=policy.default).parsebytes(bytes(message_bytes))
        return _read(message, size)
    except InvalidInput:
        raise
    except (MessageError, ValueError, LookupError, TypeError, AttributeError, IndexError) as e:
        # The email package's own complaints about hostile input: header parsing, address
        # syntax, encodings.
        raise InvalidInput(f"unreadable message: {e}") from None
