"""
The intake's loop guards and its per-sender count, apart from the decisions that use them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from deskflow.exceptions import InvalidInput
from deskflow.mail.ids import MailIds
from deskflow.mail.inbound import InboundMail
from deskflow.ports import TicketRepository
from deskflow.queries import TicketQuery

__all__ = [
    "automatic_reason",
    "check_options",
    "clean_subject",
    "is_forward",
    "recent_messages",
    "reply_address_pattern",
]

# The subject prefixes of out-of-office and other automatic replies from clients that do
# not set Auto-Submitted (older Exchange, some webmailers), English and German.
_AUTOMATIC_SUBJECT = re.compile(
    r"^\s*(?:Out of Office(?: AutoReply)?|Automatic reply|Auto(?:matic)?[- ]?Reply|"
    r"Autoreply|Automatische Antwort|Abwesenheitsnotiz|Abwesend|Réponse automatique|"
    r"Undeliverable|Unzustellbar|Delivery Status Notification|Mail delivery failed|"
    r"Returned mail)\s*:",
    re.IGNORECASE,
)
_LOOP_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_REPLY_PREFIX = re.compile(
    r"^\s*(?:(?:Re|Aw|Antw|Antwort|Sv|Vs|Ref|Rif|Réf|Odp|Fwd?|Wg|Tr|Enc|Rv)\s*(?:\[\d+\])?\s*:\s*)+",
    re.IGNORECASE,
)
_FORWARD = re.compile(r"^\s*(?:Fwd?|Wg|Tr|Enc|Rv)\s*:", re.IGNORECASE)


def reply_address_pattern(template: str | None) -> re.Pattern[str] | None:
    """
    The pattern of the addresses ``template`` (``"support+{ticket}@desk.example"``) makes,
    its group the ticket id; None for None.
    """
    if template is None:
        return None
    if not isinstance(template, str) or template.count("{ticket}") != 1 or "@" not in template:
        raise InvalidInput(
            f"reply_address must be an address holding {{ticket}} once, got {template!r}"
        )
    before, after = template.strip().lower().split("{ticket}")
    return re.compile(f"{re.escape(before)}([a-z][a-z0-9_]*-[0-9]+){re.escape(after)}")


def automatic_reason(
    mail: InboundMail,
    ids: MailIds,
    own_addresses: Collection[str],
    reply_address: re.Pattern[str] | None = None,
) -> str | None:
    """
    Why ``mail`` must not be answered or turned into a ticket change (a loop guard), or
    None for a mail a person wrote.
    """
    if mail.message_id is not None and ids.read(mail.message_id) is not None:
        return (
            f"its Message-ID {mail.message_id} is one this desk made: the desk's own mail came back"
        )
    if mail.sender in own_addresses or (
        reply_address is not None and reply_address.fullmatch(mail.sender)
    ):
        return f"it comes from the desk's own address {mail.sender}"
    if mail.is_bounce:
        kind = mail.report_type or "a mailer daemon's report"
        return f"it is a delivery status notification (bounce): {kind}"
    if mail.auto_submitted is not None and mail.auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted is {mail.auto_submitted!r}: a machine sent it (RFC 3834)"
    if mail.precedence in _LOOP_PRECEDENCE:
        return f"Precedence is {mail.precedence!r}: bulk, list or automatic mail"
    if mail.autoreply_headers:
        return f"it carries {', '.join(mail.autoreply_headers)}: an automatic reply"
    if mail.null_sender:
        return "its Return-Path is <>: only bounces and automatic replies have none"
    if _AUTOMATIC_SUBJECT.match(mail.subject):
        return f"its subject {mail.subject[:80]!r} is an automatic reply's"
    return None


def clean_subject(subject: str) -> str:
    """
    A subject as a ticket title: without reply and forward prefixes (Re:, AW:, Fwd:, WG:)
    and surrounding space.

    >>> clean_subject("AW: Re: [INC-7] VPN down")
    '[INC-7] VPN down'
    """
    return _REPLY_PREFIX.sub("", subject).strip()


def is_forward(subject: str) -> bool:
    """
    True when the subject says the mail forwards another one (Fwd:, Fw:, WG:, TR:).
    """
    return bool(_FORWARD.match(subject))


def recent_messages(repository: TicketRepository, person: str, since: datetime, *, cap: int) -> int:
    """
    How many tickets ``person`` opened and public comments they wrote on their own tickets
    since ``since``, read from the store (so every process counts the same), up to ``cap``.
    """
    count = 0
    query = TicketQuery(requesters={person}, updated_from=since)
    after: str | None = None
    while True:
        page = repository.find(query, limit=100, after=after)
        for ticket in page.items:
            if ticket.created_at >= since:
                count += 1
            count += sum(
                1
                for c in ticket.comments
                if c.author == person and c.at >= since and not c.internal
            )
            if count >= cap:
                return count
        if page.next_cursor is None:
            return count
        after = page.next_cursor


_CHOICES = {
    "resolved": ("reopen", "comment"),
    "final": ("new_ticket", "refuse"),
    "thanks": ("comment", "ignore", "reopen"),
}


def _count(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        allowed = "a whole number >= 1 or None" if optional else "a whole number >= 1"
        raise InvalidInput(f"{name} must be {allowed}, got {value!r}")


def check_options(
    *,
    max_per_sender: object,
    per: object,
    reopen_window: object,
    max_bytes: object,
    choices: Mapping[str, object],
) -> None:
    """
    InvalidInput naming the first of the intake's options that is not what it must be.
    """
    _count("max_per_sender", max_per_sender, optional=True)
    _count("max_bytes", max_bytes, optional=False)
    if not isinstance(per, timedelta) or per <= timedelta(0):
        raise InvalidInput(f"per must be a positive timedelta, got {per!r}")
    if reopen_window is not None and (
        not isinstance(reopen_window, timedelta) or reopen_window < timedelta(0)
    ):
        raise InvalidInput(f"reopen_window must be a timedelta >= 0, got {reopen_window!r}")
    for name, value in choices.items():
        if value not in _CHOICES[name]:
            raise InvalidInput(f"{name} must be one of {', '.join(_CHOICES[name])}, got {value!r}")
