"""
Mail in: each inbound message becomes a command of the help desk, or is set aside, and the
`IntakeResult` says which and why.

`EmailIntake(helpdesk, ids).handle(raw_bytes)` decides, in this order:

1. **Readable?** `parse` refuses malformed MIME, duplicate single headers, unknown
   charsets, oversized messages and header injection: the result is ``refused``.
2. **Automatic?** (the loop guards) the desk's own Message-IDs or addresses, bounces and
   read receipts, ``Auto-Submitted`` other than ``no``, ``Precedence: bulk/junk/list``,
   ``X-Autoreply``-style headers, a ``Return-Path: <>`` and out-of-office subjects:
   ``ignored``.
3. **Who?** ``identify(address)`` gives the sender's person id (by default the address
   itself); None refuses the mail. The sender acts as ``Actor(person, Role.REQUESTER)``
   through the `HelpDesk`, so the desk's authorization decides what they may do.
4. **Too many?** A sender who opened tickets or wrote comments ``max_per_sender`` times
   within ``per`` is refused. The count is read from the ticket store (tickets they opened,
   public comments they wrote on their tickets), so every process of the desk sees the same
   count, with no extra storage; processes racing on one sender's mail may let a few more
   through, never many.
5. **Which ticket?** First the Message-IDs in ``In-Reply-To`` then ``References`` (newest
   first) that this desk made (`MailIds.read`, HMAC-checked: a forged id is not ours);
   then a subject token like ``[INC-7]``, but only when the sender is the ticket's
   requester or was **copied**. A sender was copied on a ticket when the host's
   ``copied(ticket_id, address)`` says so (a host that keeps Cc lists), or when this very
   mail is addressed (To or Cc) to the ticket's requester as well: a "reply all" within the
   requester's conversation. A ticket merged into another threads to the one it was merged
   into when the sender is that ticket's requester or copied on it (else the mail stays
   with the merged ticket, so it follows it up). A token that fails the test is ignored
   and the mail opens a new ticket. The ``reply_address`` the desk's mail carries
   (``support+INC-7@desk.example``) names a ticket as a subject token does, checked
   first, with the same test.
6. **What to do?** No ticket: open one for the sender (title from the subject without its
   ``Re:``/``AW:`` prefixes, description the text). An open ticket: a reply (a pending
   ticket goes back to work). A resolved ticket (one the workflow lets reopen): reopened
   with the reply (``resolved="reopen"``, within the workflow's reopen window and the
   intake's own ``reopen_window`` if set; after it, a new linked ticket) or only commented
   (``resolved="comment"``); a bare thank-you is commented (``thanks="comment"``, the
   default), ignored (``"ignore"``) or treated as any reply (``"reopen"``). A final ticket
   (closed, cancelled): a new ticket linked to it (``final="new_ticket"``) or refused
   (``final="refuse"``); a thank-you on it is ignored. Linking needs a permission
   requesters lack, so it is done by the ``linker`` actor (a staff identity the host
   names); without one, the new ticket's description names the old ticket instead.

Quoted history and signatures are stripped (`deskflow.mail.quotes.strip_reply`) except in a
forward (``Fwd:``/``WG:``) that opens a ticket, whose quoted part is the point. Attachments
are listed in the result for the host to store; the desk stores none.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Literal

import attrs

from deskflow._internal.mail_checks import (
    automatic_reason,
    check_options,
    clean_subject,
    is_forward,
    recent_messages,
    reply_address_pattern,
)
from deskflow.actors import Actor
from deskflow.enums import LinkKind, Role, Trigger
from deskflow.exceptions import ConcurrencyError, DeskflowError, InvalidInput, NotFound
from deskflow.mail.ids import MailIds, find_subject_token
from deskflow.mail.inbound import MAX_MESSAGE_BYTES, Attachment, InboundMail, parse
from deskflow.mail.quotes import is_thanks, strip_reply
from deskflow.service import HelpDesk
from deskflow.ticket import Ticket
from deskflow.views import TicketView

__all__ = ["EmailIntake", "IntakeAction", "IntakeResult"]


class IntakeAction(enum.StrEnum):
    """
    What the intake did with a mail.
    """

    OPENED = "opened"
    COMMENTED = "commented"
    REOPENED = "reopened"
    IGNORED = "ignored"
    REFUSED = "refused"


@attrs.frozen(kw_only=True)
class IntakeResult:
    """
    What the intake did with one mail and why (``reasons``, in the order decided).

    ``ticket_id`` is the ticket opened or changed (for ``ignored`` and ``refused``: the one
    the mail was threaded to, if any); ``related_ticket_id`` the old ticket a follow-up
    ticket was opened for; ``attachments`` the files the host should store with the ticket;
    ``view`` the ticket as the sender sees it after the change.
    """

    action: IntakeAction
    reasons: tuple[str, ...]
    ticket_id: str | None = None
    related_ticket_id: str | None = None
    sender: str | None = None
    attachments: tuple[Attachment, ...] = ()
    view: TicketView | None = None

    @property
    def stored(self) -> bool:
        """
        True if the desk stored something (a ticket opened, commented or reopened).
        """
        return self.action in (IntakeAction.OPENED, IntakeAction.COMMENTED, IntakeAction.REOPENED)


def _lower(address: str) -> str:
    return address.strip().lower()


_FOLLOW_MERGES = 5


@attrs.define
class _Draft:
    # What one handle() call has found so far.
    mail: InboundMail
    reasons: list[str]
    person: str = ""
    actor: Actor | None = None

    def result(self, action: IntakeAction, reason: str | None = None, **kw: object) -> IntakeResult:
        reasons = (*self.reasons, reason) if reason else tuple(self.reasons)
        return IntakeResult(
            action=action,
            reasons=reasons,
            sender=self.person or None,
            attachments=self.mail.attachments,
            **kw,  # type: ignore[arg-type]
        )


class EmailIntake:
    """
    Turns inbound mail into help desk commands, each decision explained (see the module).

    ``addresses``: the desk's own addresses (mail from them is ignored); ``identify``:
    address -> person id or None (default: the address); ``address_of``: person id -> their
    address (default: ``desk.people``'s ``"email"`` attribute, else the id if it is one);
    ``copied``: (ticket id, address) -> whether that address was copied on the ticket;
    ``reply_address``: the ``Reply-To`` template of the desk's outbound mail, ``{ticket}``
    standing for the ticket id (``"support+{ticket}@desk.example"``), so a reply to it
    threads as a subject token does.
    """

    def __init__(
        self,
        desk: HelpDesk,
        ids: MailIds,
        *,
        addresses: Iterable[str] = (),
        identify: Callable[[str], str | None] | None = None,
        address_of: Callable[[str], str | None] | None = None,
        copied: Callable[[str, str], bool] | None = None,
        reply_address: str | None = None,
        linker: Actor | None = None,
        max_per_sender: int | None = 20,
        per: timedelta = timedelta(hours=1),
        resolved: Literal["reopen", "comment"] = "reopen",
        final: Literal["new_ticket", "refuse"] = "new_ticket",
        reopen_window: timedelta | None = None,
        thanks: Literal["comment", "ignore", "reopen"] = "comment",
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        if not isinstance(desk, HelpDesk):
            raise InvalidInput(f"desk must be a HelpDesk, got {type(desk).__name__}")
        if not isinstance(ids, MailIds):
            raise InvalidInput(f"ids must be MailIds, got {type(ids).__name__}")
        check_options(
            max_per_sender=max_per_sender,
            per=per,
            reopen_window=reopen_window,
            max_bytes=max_bytes,
            choices={"resolved": resolved, "final": final, "thanks": thanks},
        )
        if linker is not None and not isinstance(linker, Actor):
            raise InvalidInput(f"linker must be an Actor, got {type(linker).__name__}")
        self.desk = desk
        self.ids = ids
        self.addresses = frozenset(_lower(a) for a in addresses)
        self._reply_address = reply_address_pattern(reply_address)
        self._identify = identify
        self._address_of = address_of
        self._copied = copied
        self.linker = linker
        self.max_per_sender = max_per_sender
        self.per = per
        self.resolved = resolved
        self.final = final
        self.reopen_window = reopen_window
        self.thanks = thanks
        self.max_bytes = max_bytes

    # -- the steps -------------------------------------------------------------------------

    def handle(self, message: bytes | InboundMail) -> IntakeResult:
        """
        Decide what ``message`` (raw bytes or a parsed mail) does to the desk, do it, and
        say what was done and why. Never raises for the mail's content: a mail the desk
        cannot or will not take is a ``refused`` or ``ignored`` result with nothing stored.
        """
        if isinstance(message, InboundMail):
            mail = message
        elif isinstance(message, bytes | bytearray | memoryview):
            try:
                mail = parse(bytes(message), max_bytes=self.max_bytes)
            except InvalidInput as e:
                return IntakeResult(action=IntakeAction.REFUSED, reasons=(f"unreadable: {e}",))
        else:
            raise InvalidInput(f"expected mail bytes or an InboundMail, got {type(message)}")
        draft = _Draft(mail, [])
        automatic = automatic_reason(mail, self.ids, self.addresses, self._reply_address)
        if automatic is not None:
            return draft.result(IntakeAction.IGNORED, f"not answered: {automatic}")
        person = self._identify(mail.sender) if self._identify else mail.sender
        if not person:
            return draft.result(IntakeAction.REFUSED, f"{mail.sender} is not a known sender")
        try:
            draft.actor = Actor(person, Role.REQUESTER)
        except InvalidInput as e:
            return draft.result(IntakeAction.REFUSED, f"no person for {mail.sender}: {e}")
        draft.person = person
        draft.reasons.append(f"from {mail.sender}, acting as requester {person!r}")
        if self.max_per_sender is not None:
            since = self.desk.clock.now() - self.per
            seen = recent_messages(self.desk.repository, person, since, cap=self.max_per_sender)
            if seen >= self.max_per_sender:
                return draft.result(
                    IntakeAction.REFUSED,
                    f"rate limit: {person!r} already opened or commented {seen} times within "
                    f"{self.per} (at most {self.max_per_sender})",
                )
        ticket = self._thread(draft)
        try:
            return self._act(draft, ticket)
        except ConcurrencyError:
            # Another process changed the ticket meanwhile: decide again on what it is now.
            draft.reasons.append("the ticket changed meanwhile; decided again")
        try:
            return self._act(draft, self._reload(ticket))
        except ConcurrencyError as e:
            return draft.result(IntakeAction.REFUSED, f"lost a race twice: {e}")

    def _reload(self, ticket: Ticket | None) -> Ticket | None:
        return None if ticket is None else self.desk.repository.get(ticket.id)

    def _load(self, ticket_id: str) -> Ticket | None:
        try:
            return self.desk.repository.get(ticket_id)
        except (NotFound, InvalidInput):
            return None

    def _thread(self, draft: _Draft) -> Ticket | None:
        mail = draft.mail
        for header, found in (
            ("In-Reply-To", mail.in_reply_to),
            ("References", tuple(reversed(mail.references))),
        ):
            for message_id in found:
                ref = self.ids.read(message_id)
                if ref is None:
                    continue
                ticket = self._load(ref.ticket_id)
                if ticket is None:
                    draft.reasons.append(f"{header} names {ref.ticket_id}, which is not stored")
                    continue
                draft.reasons.append(f"threaded to {ticket.id}: {header} names our {message_id}")
                return self._follow_merge(draft, ticket)
        named = [("the reply address", t) for t in self._reply_address_tickets(mail)]
        token = find_subject_token(mail.subject)
        if token is not None:
            named.append(("the subject", token))
        for where, ticket_id in named:
            ticket = self._load(ticket_id)
            if ticket is None:
                draft.reasons.append(f"{where} names {ticket_id}, which is not stored")
                continue
            if ticket.requester == draft.person:
                draft.reasons.append(
                    f"threaded to {ticket.id}: {where} names it and the sender is its requester"
                )
                return self._follow_merge(draft, ticket)
            why = self._copied_why(ticket, mail)
            if why is not None:
                draft.reasons.append(f"threaded to {ticket.id}: {where} names it and {why}")
                return self._follow_merge(draft, ticket)
            draft.reasons.append(
                f"{where} names {ticket.id}, but the sender is neither its requester nor "
                "copied on it: ignored"
            )
        return None

    def _reply_address_tickets(self, mail: InboundMail) -> list[str]:
        if self._reply_address is None:
            return []
        found: list[str] = []
        for address in (*mail.to, *mail.cc):
            match = self._reply_address.fullmatch(address)
            if match is None:
                continue
            # Addresses are read lower-cased; ticket ids are written with an upper prefix.
            written = match.group(1)
            ticket_id = written if self._load(written) is not None else written.upper()
            if ticket_id not in found:
                found.append(ticket_id)
        return found

    def _copied_why(self, ticket: Ticket, mail: InboundMail) -> str | None:
        if self._copied is not None and self._copied(ticket.id, mail.sender):
            return "the host lists the sender as copied on it"
        requester = self._requester_address(ticket.requester)
        if requester is not None and requester in (*mail.to, *mail.cc):
            return f"the sender was copied: the mail is addressed to its requester {requester} too"
        return None

    def _requester_address(self, person: str) -> str | None:
        if self._address_of is not None:
            found = self._address_of(person)
            return _lower(found) if isinstance(found, str) and found else None
        people = self.desk.desk.people
        if people is not None:
            email = people.attributes(person).get("email")
            if isinstance(email, str) and email:
                return _lower(email)
        return _lower(person) if "@" in person else None

    def _follow_merge(self, draft: _Draft, ticket: Ticket) -> Ticket:
        for _ in range(_FOLLOW_MERGES):
            into = next((k.other_id for k in ticket.links if k.kind is LinkKind.MERGED_INTO), None)
            target = self._load(into) if into is not None else None
            if target is None:
                return ticket
            if target.requester != draft.person and self._copied_why(target, draft.mail) is None:
                # Another requester's ticket: the sender's reply stays with their own.
                draft.reasons.append(
                    f"{ticket.id} was merged into {target.id}, another requester's ticket: "
                    "not followed"
                )
                return ticket
            draft.reasons.append(f"{ticket.id} was merged into {target.id}")
            ticket = target
        return ticket

    # -- acting ----------------------------------------------------------------------------

    def _act(self, draft: _Draft, ticket: Ticket | None) -> IntakeResult:
        mail = draft.mail
        if ticket is None:
            keep_quotes = is_forward(mail.subject)
            text = mail.body.strip() if keep_quotes else strip_reply(mail.body)
            if keep_quotes:
                draft.reasons.append("a forward: its quoted message kept")
            return self._open(draft, text, related=None)
        # A threaded reply that is all quote adds nothing (attachments aside).
        text = strip_reply(mail.body, keep_if_empty=False)
        thanks = is_thanks(text, name=mail.sender_name)
        workflow = self.desk.desk.workflow_for(ticket)
        if ticket.state in workflow.final:
            if thanks:
                return draft.result(
                    IntakeAction.IGNORED,
                    f"a thank-you on {ticket.id}, which is {ticket.state}",
                    ticket_id=ticket.id,
                )
            if self.final == "refuse":
                return draft.result(
                    IntakeAction.REFUSED,
                    f"{ticket.id} is {ticket.state} and this desk takes no replies to it",
                    ticket_id=ticket.id,
                )
            draft.reasons.append(f"{ticket.id} is {ticket.state}: a new ticket follows it up")
            return self._open(draft, text, related=ticket)
        if Trigger.REOPEN in workflow.allowed(ticket.state):
            return self._on_resolved(draft, ticket, text, thanks)
        return self._say(draft, ticket, text, IntakeAction.COMMENTED, "added as a reply")

    def _on_resolved(self, draft: _Draft, ticket: Ticket, text: str, thanks: bool) -> IntakeResult:
        if thanks and self.thanks != "reopen":
            if self.thanks == "ignore":
                return draft.result(
                    IntakeAction.IGNORED,
                    f"a bare thank-you on {ticket.state} {ticket.id}",
                    ticket_id=ticket.id,
                )
            return self._say(
                draft,
                ticket,
                text,
                IntakeAction.COMMENTED,
                f"a bare thank-you: recorded without reopening {ticket.state} {ticket.id}",
            )
        if self.resolved == "comment":
            return self._say(
                draft,
                ticket,
                text,
                IntakeAction.COMMENTED,
                f"added as a reply; {ticket.id} stays {ticket.state} (resolved='comment')",
            )
        refusal = self._reopen_refusal(ticket, draft)
        if refusal is not None:
            draft.reasons.append(
                f"{ticket.id} cannot be reopened ({refusal}): a new ticket follows it up"
            )
            return self._open(draft, text, related=ticket)
        said = self._say(draft, ticket, text, IntakeAction.COMMENTED, "added as a reply")
        if not said.stored:
            return said
        assert draft.actor is not None
        try:
            view = self.desk.reopen(draft.actor, ticket.id, reason="the requester replied by email")
        except DeskflowError as e:
            return attrs.evolve(said, reasons=(*said.reasons, f"not reopened: {e}"))
        return attrs.evolve(
            said,
            action=IntakeAction.REOPENED,
            reasons=(*said.reasons, f"reopened {ticket.id}: a reply within the reopen window"),
            view=view,
        )

    def _reopen_refusal(self, ticket: Ticket, draft: _Draft) -> str | None:
        now = self.desk.clock.now()
        if self.reopen_window is not None and now - ticket.state_since > self.reopen_window:
            return f"resolved more than {self.reopen_window} ago, the intake's reopen window"
        assert draft.actor is not None
        try:
            self.desk.desk.workflow_for(ticket).fire(
                ticket,
                Trigger.REOPEN,
                actor=draft.actor,
                at=max(now, ticket.updated_at),
                reason="the requester replied by email",
            )
        except DeskflowError as e:
            return str(e)
        return None

    def _body(self, draft: _Draft, text: str) -> str:
        if text.strip():
            return text
        names = [a.name or a.content_type for a in draft.mail.attachments]
        return f"(no text; attachments: {', '.join(names)})" if names else ""

    def _say(
        self, draft: _Draft, ticket: Ticket, text: str, action: IntakeAction, why: str
    ) -> IntakeResult:
        assert draft.actor is not None
        body = self._body(draft, text)
        if not body:
            return draft.result(
                IntakeAction.IGNORED, "the reply has no new text", ticket_id=ticket.id
            )
        try:
            view = self.desk.reply(draft.actor, ticket.id, body=body)
        except ConcurrencyError:
            raise
        except DeskflowError as e:
            return draft.result(
                IntakeAction.REFUSED, f"the desk refused it: {e}", ticket_id=ticket.id
            )
        return draft.result(action, why, ticket_id=ticket.id, view=view)

    def _open(self, draft: _Draft, text: str, *, related: Ticket | None) -> IntakeResult:
        assert draft.actor is not None
        limit = self.desk.desk.limits.title
        title = clean_subject(draft.mail.subject) or "(no subject)"
        if len(title) > limit:
            title = title[: limit - 1].rstrip() + "…"
        description = self._body(draft, text)
        if related is not None and self.linker is None:
            description = f"Follow-up to {related.id}.\n\n{description}".strip()
        try:
            view = self.desk.open(draft.actor, title=title, description=description)
        except DeskflowError as e:
            return draft.result(IntakeAction.REFUSED, f"the desk refused it: {e}")
        reason = f"opened {view.id} for {draft.person!r}"
        extra: list[str] = []
        if related is not None and self.linker is not None:
            try:
                self.desk.link(self.linker, view.id, other_id=related.id)
                extra.append(f"linked {view.id} to {related.id}")
            except DeskflowError as e:
                extra.append(f"not linked to {related.id}: {e}")
        result = draft.result(
            IntakeAction.OPENED,
            reason,
            ticket_id=view.id,
            related_ticket_id=related.id if related is not None else None,
            view=view,
        )
        return attrs.evolve(result, reasons=(*result.reasons, *extra))
