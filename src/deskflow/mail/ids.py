"""
How the desk names the mail it sends, so replies find their ticket.

Every notification sent by email gets a ``Message-ID`` derived from its dedup key (a retry of
the same notification carries the same id, so a mail client or server recognises it), and
every message about a ticket refers to the ticket's thread root (``References``), a
``Message-ID`` derived from the ticket id. Both carry a short HMAC made with the desk's
secret: a reply whose ``In-Reply-To`` or ``References`` names one of them provably answers a
message this desk sent, and a forged id (someone guessing another ticket's number) is
recognised as not ours.

>>> ids = MailIds(domain="desk.example", secret=b"not-a-real-secret")
>>> mid = ids.message_id("INC-7#4:ticket_resolved")
>>> mid.startswith("<df.") and mid.endswith("@desk.example>")
True
>>> ids.read(mid)
MailRef(ticket_id='INC-7', dedup_key='INC-7#4:ticket_resolved')
>>> ids.read(ids.thread_id("INC-7"))
MailRef(ticket_id='INC-7', dedup_key=None)
>>> ids.read(mid.replace("@desk.example", "@elsewhere.example")) is None
True
>>> subject_token("INC-7"), find_subject_token("Re: AW: [INC-7] VPN down")
('[INC-7]', 'INC-7')
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import attrs

from deskflow.exceptions import InvalidInput

__all__ = ["MailIds", "MailRef", "find_subject_token", "subject_token"]

_PREFIX = "df"
_MAC_CHARS = 16
# A ticket id in a subject: [PREFIX-NUMBER], as the desk's numbering writes them.
_TOKEN = re.compile(r"\[([A-Za-z][A-Za-z0-9_]*-[0-9]+)\]")


@attrs.frozen
class MailRef:
    """
    What one of the desk's own Message-IDs names: the ticket, and the notification's dedup
    key (None for the ticket's thread root).
    """

    ticket_id: str
    dedup_key: str | None


def _b32(text: str) -> str:
    return base64.b32encode(text.encode()).decode().rstrip("=").lower()


def _unb32(text: str) -> str | None:
    padded = text.upper() + "=" * (-len(text) % 8)
    try:
        return base64.b32decode(padded).decode()
    except (ValueError, UnicodeDecodeError):
        return None


@attrs.frozen
class MailIds:
    """
    The Message-ID scheme of one desk: its mail ``domain`` (the right of the ``@``) and a
    ``secret`` (bytes, at least 16, the same for every process of the desk) for the HMAC.
    """

    domain: str
    secret: bytes = attrs.field(repr=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.domain, str) or not re.fullmatch(
            r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?", self.domain
        ):
            raise InvalidInput(
                f"domain must be a host name like 'desk.example', got {self.domain!r}"
            )
        if not isinstance(self.secret, bytes) or len(self.secret) < 16:
            raise InvalidInput("secret must be at least 16 bytes")

    def _mac(self, kind: str, payload: str) -> str:
        digest = hmac.new(self.secret, f"{kind}:{payload}".encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().lower()[:_MAC_CHARS]

    def message_id(self, dedup_key: str) -> str:
        """
        The ``Message-ID`` (with its angle brackets) of the notification ``dedup_key``.
        """
        if not isinstance(dedup_key, str) or "#" not in dedup_key:
            raise InvalidInput(f"expected a notification dedup key, got {dedup_key!r}")
        return f"<{_PREFIX}.m.{_b32(dedup_key)}.{self._mac('m', dedup_key)}@{self.domain}>"

    def thread_id(self, ticket_id: str) -> str:
        """
        The ``Message-ID`` of ``ticket_id``'s thread root, which every message about it refers to.
        """
        if not isinstance(ticket_id, str) or not ticket_id:
            raise InvalidInput(f"expected a ticket id, got {ticket_id!r}")
        return f"<{_PREFIX}.t.{_b32(ticket_id)}.{self._mac('t', ticket_id)}@{self.domain}>"

    def read(self, message_id: str) -> MailRef | None:
        """
        What ``message_id`` names if this desk made it (domain and HMAC check out), else None.
        """
        match = re.fullmatch(
            rf"\s*<?{_PREFIX}\.([mt])\.([a-z2-7]+)\.([a-z2-7]{{{_MAC_CHARS}}})@([^>\s]+)>?\s*",
            message_id or "",
        )
        if match is None or match.group(4).lower() != self.domain.lower():
            return None
        kind, encoded, mac = match.group(1), match.group(2), match.group(3)
        payload = _unb32(encoded)
        if payload is None or not hmac.compare_digest(mac, self._mac(kind, payload)):
            return None
        if kind == "t":
            return MailRef(ticket_id=payload, dedup_key=None)
        return MailRef(ticket_id=payload.split("#", 1)[0], dedup_key=payload)


def subject_token(ticket_id: str) -> str:
    """
    The token naming ``ticket_id`` in a subject line: ``[INC-7]``.
    """
    return f"[{ticket_id}]"


def find_subject_token(subject: str) -> str | None:
    """
    The ticket id of the first token in ``subject``, or None.
    """
    match = _TOKEN.search(subject or "")
    return match.group(1) if match else None
