"""
Email out: the message the desk sends for a notification, and a notifier that sends it.

[`build_message()`][deskflow.mail.smtp.build_message] is pure: the same notification gives the
same message, byte for byte, so a retry from the outbox sends exactly what was decided. Its
headers make the mail behave well in a mailbox:

- ``Message-ID`` derived from the notification's dedup key
  (``MailIds.message_id()`` of `deskflow.mail.ids`): a retry carries the same id,
  so a server or client recognises the duplicate;
- ``In-Reply-To`` and ``References`` name the ticket's thread root, so every message about a
  ticket lands in one conversation, and a reply names it back;
- ``Auto-Submitted: auto-generated`` (RFC 3834) and ``X-Auto-Response-Suppress: All``, so
  auto-responders stay quiet and no mail loop starts;
- the subject carries the ticket's token (``[INC-7]``), added when the rendered subject lacks it;
- ``Reply-To`` may carry the ticket too (``"support+{ticket}@desk.example"``);
- ``Content-Language`` is the locale the message was rendered in; the body is
  ``text/plain``, or ``multipart/alternative`` with the HTML form when there is one.

Headers are written through the email package's policy, never by joining strings: non-ASCII
text is encoded (RFC 2047), and a carriage return or line feed in a subject, a name or an
address is refused with [`InvalidInput`][deskflow.exceptions.InvalidInput], before anything
is sent.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Sequence
from email import errors as email_errors
from email import policy as email_policy
from email.headerregistry import Address, HeaderRegistry, MessageIDHeader
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal

from deskflow.exceptions import InvalidInput
from deskflow.mail.ids import MailIds, find_subject_token, subject_token
from deskflow.notifications import Notification, NotificationFailed

if TYPE_CHECKING:
    from deskflow.rules import PeopleDirectory

__all__ = [
    "AddressBook",
    "Security",
    "SmtpNotifier",
    "build_message",
    "directory_addresses",
    "mail_address",
]

log = logging.getLogger("deskflow.mail.smtp")

#: How the connection to the mail server is protected: ``"starttls"`` (submission, port 587,
#: upgraded before anything else is said), ``"ssl"`` (implicit TLS, port 465) or ``"plain"``
#: (no TLS, port 25: a relay on the host's own network, never with credentials).
Security = Literal["plain", "starttls", "ssl"]

#: The address of a person id, or None when the desk has none for them.
AddressBook = Callable[[str], Address | None]

_DEFAULT_PORTS: dict[str, int] = {"plain": 25, "starttls": 587, "ssl": 465}
# Control characters have no place in a header: CR and LF would start a new header.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*")


def _header_registry() -> HeaderRegistry:
    # In-Reply-To and References hold one msg-id here (the thread root). Parsed as msg-ids
    # they are folded as a whole; as unstructured text a long id would be RFC 2047-encoded,
    # and a reply would no longer name it.
    registry = HeaderRegistry()
    # (typeshed types the argument as BaseHeader, which the header classes mix in at run time)
    registry.map_to_type("in-reply-to", MessageIDHeader)  # type: ignore[arg-type]
    registry.map_to_type("references", MessageIDHeader)  # type: ignore[arg-type]
    return registry


#: The policy of every message built here: SMTP line endings, headers folded at 78.
POLICY = email_policy.SMTP.clone(header_factory=_header_registry())


def _clean(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string, got {type(value).__name__}")
    if _CONTROL.search(value):
        raise InvalidInput(
            f"{what} {value!r} contains a line break or control character; refused, "
            "so it cannot add headers"
        )
    return value


def mail_address(address: str | Address, name: str | None = None) -> Address:
    """
    The mail address ``address`` (``"ann@example.org"`` or ``"Ann <ann@example.org>"``),
    named ``name`` when given (white space runs in it made one space);
    [`InvalidInput`][deskflow.exceptions.InvalidInput] if it is
    not one valid address.

    >>> mail_address("support@desk.example", "Service Desk")
    Address(display_name='Service Desk', username='support', domain='desk.example')
    >>> str(mail_address("Service Desk <support@desk.example>"))
    'Service Desk <support@desk.example>'
    >>> mail_address("ann@example.org\\r\\nBcc: eve@example.org")
    Traceback (most recent call last):
    ...
    deskflow.exceptions.InvalidInput: address 'ann@example.org\\r\\nBcc: eve@example.org' \
contains a line break or control character; refused, so it cannot add headers
    """
    if isinstance(address, Address):
        parsed = address
    else:
        text = _clean("address", address).strip()
        try:
            header = email_policy.default.header_factory("To", text)
            found = header.addresses
        except (ValueError, IndexError, email_errors.HeaderParseError) as error:
            raise InvalidInput(f"not a mail address: {address!r} ({error})") from error
        if header.defects or len(found) != 1:
            raise InvalidInput(f"expected one mail address, got {address!r}")
        parsed = found[0]
    if not parsed.username or not parsed.domain:
        raise InvalidInput(f"a mail address needs a local part and a domain, got {address!r}")
    display = parsed.display_name if name is None else _clean("name", name)
    # Runs of white space in a phrase read back as one space anyway: say so up front.
    display = " ".join(_clean("name", display).split())
    try:
        return Address(display_name=display, addr_spec=parsed.addr_spec)
    except (ValueError, IndexError, email_errors.HeaderParseError) as error:
        raise InvalidInput(f"not a mail address: {address!r} ({error})") from error


def directory_addresses(people: PeopleDirectory) -> AddressBook:
    """
    An address book reading the ``"email"`` and ``"name"`` attributes of each person in
    ``people``; someone without an ``"email"`` has no address.
    """

    def lookup(person_id: str) -> Address | None:
        attributes = people.attributes(person_id)
        email = attributes.get("email")
        if email is None or email == "":
            return None
        name = attributes.get("name")
        return mail_address(
            _clean(f"the email of {person_id!r}", email),
            None if name is None else _clean(f"the name of {person_id!r}", name),
        )

    return lookup


def _content_language(locale: str) -> str:
    if not _LOCALE.fullmatch(locale):
        raise InvalidInput(f"not a locale: {locale!r}")
    # Babel writes de_AT; the header is a BCP 47 tag, de-AT.
    return locale.replace("_", "-")


def build_message(
    notification: Notification,
    *,
    ids: MailIds,
    sender: str | Address,
    to: Sequence[Address],
    reply_to: str | None = None,
) -> EmailMessage:
    """
    The email of ``notification`` from ``sender`` to the addresses ``to``.

    ``reply_to``, when given, is the ``Reply-To`` address, where ``{ticket}`` stands for the
    ticket id (``"support+{ticket}@desk.example"``). The ``Date`` is the notification's
    ``created_at``, so the message is the same on every attempt.

    >>> from datetime import datetime, timezone
    >>> ids = MailIds("desk.example", b"not-a-real-secret")
    >>> note = Notification(
    ...     dedup_key="INC-7#4:ticket_resolved", ticket_id="INC-7", recipients=["ann"],
    ...     template="ticket_resolved", audience="requester", subject="Your VPN works again",
    ...     body="We restarted the gateway.", locale="en_GB",
    ...     created_at=datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc),
    ... )
    >>> mail = build_message(note, ids=ids, sender="Service Desk <support@desk.example>",
    ...     to=[mail_address("ann@example.org", "Ann")],
    ...     reply_to="support+{ticket}@desk.example")
    >>> mail["Subject"], mail["Reply-To"], mail["Content-Language"]
    ('[INC-7] Your VPN works again', 'support+INC-7@desk.example', 'en-GB')
    >>> mail["Message-ID"] == ids.message_id(note.dedup_key)
    True
    >>> mail["References"] == mail["In-Reply-To"] == ids.thread_id("INC-7")
    True
    """
    if not isinstance(notification, Notification):
        raise InvalidInput(f"expected a Notification, got {type(notification).__name__}")
    if not isinstance(ids, MailIds):
        raise InvalidInput(f"ids must be a MailIds, got {type(ids).__name__}")
    if isinstance(to, str | Address) or not to:
        raise InvalidInput("to must be a non-empty list of addresses")
    recipients = [mail_address(address) for address in to]
    # Runs of white space are one space: header folding would not keep them anyway.
    subject = " ".join(_clean("subject", notification.subject).split())
    if find_subject_token(subject) != notification.ticket_id:
        subject = f"{subject_token(notification.ticket_id)} {subject}"
    _clean("ticket id", notification.ticket_id)
    thread = ids.thread_id(notification.ticket_id)

    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = mail_address(sender)
    message["To"] = recipients
    if reply_to is not None:
        message["Reply-To"] = mail_address(
            _clean("reply_to", reply_to).replace("{ticket}", notification.ticket_id)
        )
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = ids.message_id(notification.dedup_key)
    message["In-Reply-To"] = thread
    message["References"] = thread
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    language = _content_language(notification.locale) if notification.locale else None
    # Quoted-printable keeps every line short and 7-bit, whatever relays lie on the way.
    message.set_content(notification.body, charset="utf-8", cte="quoted-printable")
    if notification.html:
        message.add_alternative(
            notification.html, subtype="html", charset="utf-8", cte="quoted-printable"
        )
        # A boundary from the content, not a random one: the same message, byte for byte.
        # "==" never appears in quoted-printable text, so it cannot collide with a line.
        digest = hashlib.sha256(
            "\0".join((notification.dedup_key, notification.body, notification.html)).encode()
        ).hexdigest()
        message.set_boundary(f"==df.{digest[:40]}==")
    if language is not None:
        # After the content: setting it clears the Content-* headers.
        message["Content-Language"] = language
    return message


class SmtpNotifier:
    """
    A [`Notifier`][deskflow.ports.Notifier] sending each notification by email over SMTP.

    ``host`` and ``port`` name the mail server (the port defaults by ``security``: 587, 465
    or 25); ``username`` and ``password`` log in (never over ``"plain"``). ``ssl_context``
    decides which certificates are trusted (by default the system's, host name checked).
    ``ids`` makes the Message-IDs, ``sender`` is the ``From``, ``reply_to`` as in
    [`build_message()`][deskflow.mail.smtp.build_message].

    ``addresses`` finds each recipient's address: a
    [`PeopleDirectory`][deskflow.rules.PeopleDirectory] (its ``"email"`` and ``"name"``
    attributes) or a callable. A recipient without an address is, with ``missing="fail"``
    (the default), a [`NotificationFailed`][deskflow.notifications.NotificationFailed] before
    anything is sent: the notification stays in the outbox, retried and then a dead letter,
    and is sent once the directory knows the address (``retry_dead``). With
    ``missing="skip"`` the others get it and the gap is logged.

    Each recipient gets a message of their own (no one sees another's address), all with the
    one Message-ID, over one connection per notification. Any SMTP or network error, or a
    recipient the server refuses, raises ``NotificationFailed``, so the outbox retries it.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        *,
        ids: MailIds,
        sender: str | Address,
        addresses: PeopleDirectory | AddressBook,
        reply_to: str | None = None,
        security: Security = "starttls",
        username: str | None = None,
        password: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = 30.0,
        missing: Literal["fail", "skip"] = "fail",
    ) -> None:
        if not isinstance(host, str) or not host or _CONTROL.search(host):
            raise InvalidInput(f"host must be a host name, got {host!r}")
        if security not in _DEFAULT_PORTS:
            raise InvalidInput(f"security must be plain, starttls or ssl, got {security!r}")
        if port is not None and (
            not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536
        ):
            raise InvalidInput(f"port must be a number from 1 to 65535, got {port!r}")
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise InvalidInput(f"timeout must be a positive number of seconds, got {timeout!r}")
        if (username is None) != (password is None):
            raise InvalidInput("give both username and password, or neither")
        if username is not None and security == "plain":
            raise InvalidInput(
                "refusing to send credentials over an unencrypted connection; "
                "use security='starttls' or 'ssl'"
            )
        if missing not in ("fail", "skip"):
            raise InvalidInput(f"missing must be 'fail' or 'skip', got {missing!r}")
        if not isinstance(ids, MailIds):
            raise InvalidInput(f"ids must be a MailIds, got {type(ids).__name__}")
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise InvalidInput("ssl_context must be an ssl.SSLContext")
        if reply_to is not None:
            mail_address(_clean("reply_to", reply_to).replace("{ticket}", "INC-1"))
        self.host = host
        self.port = _DEFAULT_PORTS[security] if port is None else port
        self.security: Security = security
        self.ids = ids
        self.sender = mail_address(sender)
        self.reply_to = reply_to
        self.username = username
        self._password = password
        self.ssl_context = ssl_context
        self.timeout = float(timeout)
        self.missing = missing
        if hasattr(addresses, "attributes"):
            self._lookup: AddressBook = directory_addresses(addresses)  # type: ignore[arg-type]
        elif callable(addresses):
            self._lookup = addresses
        else:
            raise InvalidInput("addresses must be a PeopleDirectory or a callable")

    def __repr__(self) -> str:
        return (
            f"SmtpNotifier({self.host!r}, {self.port}, security={self.security!r}, "
            f"sender={str(self.sender)!r})"
        )

    def messages(self, notification: Notification) -> list[EmailMessage]:
        """
        The messages ``send`` would send for ``notification``: one per recipient with an
        address.
        """
        found: list[Address] = []
        unknown: list[str] = []
        for person in notification.recipients:
            address = self._lookup(person)
            if address is None:
                unknown.append(person)
            else:
                found.append(address)
        if unknown and self.missing == "fail":
            raise NotificationFailed(
                f"no mail address for {', '.join(map(repr, unknown))}",
                dedup_key=notification.dedup_key,
            )
        if unknown:
            log.warning(
                "notification %s: no mail address for %s; not sent to them",
                notification.dedup_key,
                ", ".join(unknown),
            )
        return [
            build_message(
                notification, ids=self.ids, sender=self.sender, to=[a], reply_to=self.reply_to
            )
            for a in found
        ]

    def send(self, notification: Notification) -> None:
        """
        Send ``notification`` to each recipient, or raise ``NotificationFailed``.
        """
        messages = self.messages(notification)
        if not messages:
            return
        try:
            with self._connect() as smtp:
                for message in messages:
                    refused = smtp.send_message(message, from_addr=self.sender.addr_spec)
                    if refused:
                        raise NotificationFailed(
                            f"the server refused {', '.join(sorted(refused))}",
                            dedup_key=notification.dedup_key,
                        )
        except (smtplib.SMTPException, OSError) as error:
            raise NotificationFailed(
                f"could not send {notification.dedup_key} through {self.host}:{self.port}: "
                f"{type(error).__name__}: {error}",
                dedup_key=notification.dedup_key,
            ) from error
        log.debug("notification %s sent to %d recipient(s)", notification.dedup_key, len(messages))

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.security == "starttls":
                smtp.ehlo()
                # Refused by smtplib when the server does not offer it: never falls back.
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username is not None and self._password is not None:
                smtp.login(self.username, self._password)
        except BaseException:
            smtp.close()
            raise
        return smtp
