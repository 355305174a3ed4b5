"""
The email intake on the corpus: new tickets, threaded replies from the common clients,
resolved and closed tickets, and the mail it sets aside.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from builders import DAY, LEE, SAM, T0, H, Rig, helpdesk
from deskflow import Actor, HelpDesk, Role
from deskflow.adapters import InMemoryNotifier, InMemoryTicketRepository, ManualClock
from deskflow.desk import Desk
from deskflow.enums import LinkKind
from deskflow.exceptions import ConcurrencyError, InvalidInput
from deskflow.mail import EmailIntake, IntakeAction, IntakeResult, MailIds, parse
from deskflow.ports import TicketWrite
from deskflow.queries import TicketQuery
from deskflow.routing import Candidate
from mail_corpus import (
    ANN_MAIL,
    CLIENTS,
    DESK,
    IDS,
    ZOE_MAIL,
    auto_reply,
    bounce,
    exchange_out_of_office,
    gmail_forward,
    mail,
    old_out_of_office,
    outlook_forward,
    reply_to,
)

NEW_TEXT = "It connects again after the restart."


def intake(rig: Rig, **options: object) -> EmailIntake:
    """
    The intake of the rig's desk, with the corpus's mail identity and address.
    """
    return EmailIntake(rig.desk, IDS, addresses=[DESK], **options)  # type: ignore[arg-type]


def opened(rig: Rig, **options: object) -> tuple[EmailIntake, str]:
    """
    Ann's mail opened a ticket; the intake and the ticket id.
    """
    mails = intake(rig, **options)
    result = mails.handle(mail())
    assert IntakeAction.OPENED == result.action
    assert result.ticket_id is not None
    return mails, result.ticket_id


def resolved(rig: Rig, **options: object) -> tuple[EmailIntake, str]:
    """
    Ann's ticket, worked by Lee and resolved.
    """
    mails, ticket_id = opened(rig, **options)
    rig.desk.assign(LEE, ticket_id, group="service-desk", assignee="lee")
    rig.desk.start(LEE, ticket_id)
    rig.desk.resolve(LEE, ticket_id, resolution="Restarted the VPN concentrator")
    return mails, ticket_id


def snapshot(rig: Rig) -> tuple[object, ...]:
    """
    What the store holds: every ticket with its version, and the outbox.
    """
    tickets = tuple((t.id, t.version) for t in rig.repo.find(TicketQuery()).items)
    return tickets, tuple(n.dedup_key for n in rig.repo.pending_notifications(1000))


def test_a_new_mail_opens_a_ticket_for_its_sender() -> None:
    """
    Title from the subject, description from the text, requester the sender; explained.
    """
    rig = helpdesk()
    result = intake(rig).handle(mail(subject="Re: AW: VPN down"))
    assert IntakeAction.OPENED == result.action
    ticket = rig.repo.get("INC-1")
    assert ("VPN down", "The VPN drops every ten minutes.", ANN_MAIL) == (
        ticket.title,
        ticket.description,
        ticket.requester,
    )
    assert result.stored
    assert result.view is not None
    assert ANN_MAIL == result.sender
    assert "opened INC-1 for 'ann@example.com'" in result.reasons


@pytest.mark.parametrize("client", CLIENTS)
def test_a_reply_from_each_client_is_threaded_and_stripped(client: str) -> None:
    """
    In-Reply-To names our notification; the comment holds only the new text.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    result = mails.handle(reply_to(ticket_id, NEW_TEXT, client=client))
    assert (IntakeAction.COMMENTED, ticket_id) == (result.action, result.ticket_id)
    assert [NEW_TEXT] == [c.body for c in rig.repo.get(ticket_id).comments]
    assert any("In-Reply-To names our" in r for r in result.reasons)


def test_references_thread_when_in_reply_to_is_not_ours() -> None:
    """
    A reply to someone else's copy still carries our thread id in References.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    raw = reply_to(
        ticket_id,
        NEW_TEXT,
        in_reply_to="<other@example.com>",
        references=f"{IDS.thread_id(ticket_id)} <other@example.com>",
        subject="Re: VPN down",
    )
    result = mails.handle(raw)
    assert IntakeAction.COMMENTED == result.action
    assert any("References names our" in r for r in result.reasons)


def test_a_forged_message_id_does_not_thread() -> None:
    """
    An id in our shape whose HMAC is another desk's is not ours: Zoe gets her own ticket.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    forged = MailIds("desk.example", b"someone-elses-secret!").thread_id(ticket_id)
    raw = mail(
        NEW_TEXT,
        sender=ZOE_MAIL,
        subject=f"Re: [{ticket_id}] VPN down",
        in_reply_to=forged,
        references=forged,
    )
    result = mails.handle(raw)
    assert (IntakeAction.OPENED, "INC-2") == (result.action, result.ticket_id)
    assert any("copied on it: ignored" in r for r in result.reasons)
    assert () == rig.repo.get(ticket_id).comments


def test_the_subject_token_threads_for_the_requester() -> None:
    """
    A new mail from the requester naming [INC-1] in the subject joins the ticket.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    result = mails.handle(
        mail(NEW_TEXT, subject=f"[{ticket_id}] one more thing", message_id="<n@x>")
    )
    assert (IntakeAction.COMMENTED, ticket_id) == (result.action, result.ticket_id)
    assert any("the sender is its requester" in r for r in result.reasons)


def test_the_subject_token_of_a_stranger_is_ignored() -> None:
    """
    Anyone can type [INC-1]: from a stranger it opens their own ticket instead.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    result = mails.handle(mail(NEW_TEXT, sender=ZOE_MAIL, subject=f"[{ticket_id}] hijack"))
    assert (IntakeAction.OPENED, "INC-2") == (result.action, result.ticket_id)
    assert ZOE_MAIL == rig.repo.get("INC-2").requester


def test_a_copied_sender_threads_and_the_desk_authorizes() -> None:
    """
    Zoe writes to the desk and Ann: copied, so threaded; requesters comment only on their
    own tickets by default, so refused with nothing stored.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    before = snapshot(rig)
    result = mails.handle(
        mail(NEW_TEXT, sender=ZOE_MAIL, cc=ANN_MAIL, subject=f"Re: [{ticket_id}] VPN down")
    )
    assert (IntakeAction.REFUSED, ticket_id) == (result.action, result.ticket_id)
    assert any("addressed to its requester ann@example.com too" in r for r in result.reasons)
    assert any("the desk refused it" in r for r in result.reasons)
    assert before == snapshot(rig)


def test_the_host_says_who_was_copied() -> None:
    """
    A host keeping Cc lists answers ``copied``; the token then threads.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig, copied=lambda t, a: (t, a) == ("INC-1", ZOE_MAIL))
    result = mails.handle(mail(NEW_TEXT, sender=ZOE_MAIL, subject=f"[{ticket_id}] hi"))
    assert ticket_id == result.ticket_id
    assert any("the host lists the sender as copied" in r for r in result.reasons)


def test_a_reply_to_a_pending_ticket_sends_it_back_to_work() -> None:
    """
    The requester's answer to a question is the reply command.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    rig.desk.assign(LEE, ticket_id, group="service-desk", assignee="lee")
    rig.desk.start(LEE, ticket_id)
    rig.desk.request_info(LEE, ticket_id, question="Which client version?")
    assert "pending" == rig.repo.get(ticket_id).state
    mails.handle(reply_to(ticket_id, "Version 4.2", client="outlook"))
    assert "in_progress" == rig.repo.get(ticket_id).state


def test_a_reply_to_a_resolved_ticket_reopens_it() -> None:
    """
    Within the reopen window, the reply is recorded and the ticket reopened.
    """
    rig = helpdesk()
    mails, ticket_id = resolved(rig)
    rig.clock.advance(DAY)
    result = mails.handle(reply_to(ticket_id, "It dropped again this morning."))
    assert IntakeAction.REOPENED == result.action
    ticket = rig.repo.get(ticket_id)
    assert ("in_progress", "It dropped again this morning.") == (
        ticket.state,
        ticket.comments[-1].body,
    )


@pytest.mark.parametrize(
    ("thanks", "action", "state", "comments"),
    [
        ("comment", IntakeAction.COMMENTED, "resolved", 1),
        ("ignore", IntakeAction.IGNORED, "resolved", 0),
        ("reopen", IntakeAction.REOPENED, "in_progress", 1),
    ],
)
def test_a_bare_thanks_on_a_resolved_ticket(
    thanks: str, action: IntakeAction, state: str, comments: int
) -> None:
    """
    By default a thank-you is recorded without reopening; configurable.
    """
    rig = helpdesk()
    mails, ticket_id = resolved(rig, thanks=thanks)
    result = mails.handle(reply_to(ticket_id, "Thanks a lot, works now!", client="iphone"))
    assert action == result.action
    ticket = rig.repo.get(ticket_id)
    assert (state, comments) == (ticket.state, len(ticket.comments))


def test_resolved_comment_policy_keeps_the_ticket_resolved() -> None:
    """
    ``resolved="comment"``: a reply is only a comment.
    """
    rig = helpdesk()
    mails, ticket_id = resolved(rig, resolved="comment")
    result = mails.handle(reply_to(ticket_id, "It dropped again."))
    assert IntakeAction.COMMENTED == result.action
    assert "resolved" == rig.repo.get(ticket_id).state


def test_a_reply_after_the_reopen_window_opens_a_linked_ticket() -> None:
    """
    Past the workflow's 7 days, a new ticket; the linker links both ways.
    """
    rig = helpdesk()
    mails, ticket_id = resolved(rig, linker=SAM)
    rig.clock.advance(8 * DAY)
    result = mails.handle(reply_to(ticket_id, "It dropped again."))
    assert (IntakeAction.OPENED, ticket_id) == (result.action, result.related_ticket_id)
    assert result.ticket_id is not None
    new = rig.repo.get(result.ticket_id)
    assert (ticket_id, LinkKind.RELATED) in [(k.other_id, k.kind) for k in new.links]
    assert any(f"linked {new.id} to {ticket_id}" == r for r in result.reasons)
    assert "resolved" == rig.repo.get(ticket_id).state


def test_the_intakes_own_window_is_shorter() -> None:
    """
    ``reopen_window`` shorter than the workflow's: after it, a follow-up ticket naming the old.
    """
    rig = helpdesk()
    mails, ticket_id = resolved(rig, reopen_window=2 * H)
    rig.clock.advance(3 * H)
    result = mails.handle(reply_to(ticket_id, "It dropped again."))
    assert IntakeAction.OPENED == result.action
    assert result.ticket_id is not None
    assert rig.repo.get(result.ticket_id).description.startswith(f"Follow-up to {ticket_id}.")


def closed(rig: Rig, **options: object) -> tuple[EmailIntake, str]:
    """
    Ann's ticket resolved and closed by Ann.
    """
    mails, ticket_id = resolved(rig, **options)
    rig.desk.close(Actor(ANN_MAIL, Role.REQUESTER), ticket_id)
    return mails, ticket_id


def test_a_reply_to_a_closed_ticket_opens_a_follow_up() -> None:
    """
    A final ticket is never reopened: a new ticket, related to it.
    """
    rig = helpdesk()
    mails, ticket_id = closed(rig)
    result = mails.handle(reply_to(ticket_id, "It dropped again."))
    assert (IntakeAction.OPENED, ticket_id) == (result.action, result.related_ticket_id)
    assert "closed" == rig.repo.get(ticket_id).state


def test_replies_to_closed_tickets_may_be_refused() -> None:
    """
    ``final="refuse"``: refused and nothing stored; a thank-you is ignored either way.
    """
    rig = helpdesk()
    mails, ticket_id = closed(rig, final="refuse")
    before = snapshot(rig)
    assert IntakeAction.REFUSED == mails.handle(reply_to(ticket_id, "Again.")).action
    assert IntakeAction.IGNORED == mails.handle(reply_to(ticket_id, "Danke!")).action
    assert before == snapshot(rig)


def test_a_reply_to_a_merged_ticket_reaches_the_one_it_was_merged_into() -> None:
    """
    Threading follows "merged into".
    """
    rig = helpdesk()
    mails, first = opened(rig)
    second = mails.handle(mail("Me too", message_id="<m2@x>", subject="VPN again")).ticket_id
    assert second is not None
    rig.desk.merge(SAM, second, into=first)
    result = mails.handle(reply_to(second, NEW_TEXT))
    assert (IntakeAction.COMMENTED, first) == (result.action, result.ticket_id)
    assert any(f"{second} was merged into {first}" == r for r in result.reasons)


def test_attachments_are_listed_for_the_host() -> None:
    """
    The result lists the files; an attachment-only reply names them in its comment.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig)
    raw = reply_to(
        ticket_id, "", client="outlook", attachments=(("shot.png", "image/png", b"x" * 10),)
    )
    result = mails.handle(raw)
    assert [("shot.png", "image/png", 10)] == [
        (a.name, a.content_type, a.size) for a in result.attachments
    ]
    assert "(no text; attachments: shot.png)" == rig.repo.get(ticket_id).comments[-1].body


@pytest.mark.parametrize("forward", [gmail_forward, outlook_forward])
def test_a_forward_keeps_the_message_it_forwards(forward: object) -> None:
    """
    A forward's quoted part is the point: the new ticket's description keeps it.
    """
    rig = helpdesk()
    result = intake(rig).handle(forward())  # type: ignore[operator]
    ticket = rig.repo.get(str(result.ticket_id))
    assert "Certificate expires in 3 days" == ticket.title
    assert "expires on 5 March" in ticket.description


AUTOMATIC = {
    "bounce": (bounce, "bounce"),
    "auto-reply": (auto_reply, "Auto-Submitted is 'auto-replied'"),
    "exchange out of office": (exchange_out_of_office, "Auto-Submitted is 'auto-generated'"),
    "old out of office": (old_out_of_office, "automatic reply's"),
    "precedence bulk": (lambda: mail(headers={"Precedence": "bulk"}), "Precedence is 'bulk'"),
    "precedence list": (lambda: mail(headers={"Precedence": "list"}), "Precedence is 'list'"),
    "precedence junk": (lambda: mail(headers={"Precedence": "junk"}), "Precedence is 'junk'"),
    "x-autoreply": (lambda: mail(headers={"X-Autoreply": "yes"}), "x-autoreply"),
    "null sender": (lambda: mail(headers={"Return-Path": "<>"}), "Return-Path is <>"),
    "our own address": (lambda: mail(sender=f"Desk <{DESK}>"), "the desk's own address"),
    "our own message": (
        lambda: mail(message_id=IDS.message_id("INC-1#0:ticket_received")),
        "one this desk made",
    ),
}


@pytest.mark.parametrize(("build", "why"), AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_automatic_mail_is_ignored_and_nothing_stored(build: object, why: str) -> None:
    """
    The loop guards: ignored, explained, and the store untouched.
    """
    rig = helpdesk()
    mails, _ = opened(rig)
    before = snapshot(rig)
    result = mails.handle(build())  # type: ignore[operator]
    assert IntakeAction.IGNORED == result.action
    assert any(why in r for r in result.reasons), result.reasons
    assert before == snapshot(rig)


def test_auto_submitted_no_is_a_person() -> None:
    """
    ``Auto-Submitted: no`` is how clients mark a person's mail: taken.
    """
    rig = helpdesk()
    assert IntakeAction.OPENED == intake(rig).handle(mail(headers={"Auto-Submitted": "no"})).action


def test_a_sender_over_the_rate_limit_is_refused_until_the_hour_passes() -> None:
    """
    Three messages an hour: the fourth is refused, the next hour's taken.
    """
    rig = helpdesk()
    mails = intake(rig, max_per_sender=3)
    for n in range(3):
        assert mails.handle(mail(subject=f"problem {n}", message_id=f"<p{n}@x>")).stored
    before = snapshot(rig)
    result = mails.handle(mail(subject="problem 4"))
    assert IntakeAction.REFUSED == result.action
    assert any("rate limit" in r for r in result.reasons)
    assert before == snapshot(rig)
    rig.clock.advance(H + 1 * DAY / 24 / 60)
    assert mails.handle(mail(subject="problem 4")).stored


BAD_MAIL = {
    "malformed MIME": b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nx",
    "no From": b"Subject: hi\r\n\r\nbody",
    "two From": b"From: a@example.com\r\nFrom: b@example.com\r\n\r\nbody",
    "unknown charset": b"From: a@example.com\r\nContent-Type: text/plain; charset=x-y\r\n\r\nb",
    "header injection": (
        b"From: a@example.com\r\nSubject: =?utf-8?q?a=0D=0ABcc=3A_b=40c.d?=\r\n\r\nb"
    ),
}


@pytest.mark.parametrize("raw", BAD_MAIL.values(), ids=BAD_MAIL.keys())
def test_bad_mail_is_refused_with_nothing_stored(raw: bytes) -> None:
    """
    handle() refuses what parse() cannot read, says why, and stores and sends nothing.
    """
    rig = helpdesk()
    result = intake(rig).handle(raw)
    assert IntakeAction.REFUSED == result.action
    assert not result.stored
    assert result.reasons[0].startswith("unreadable: ")
    assert ((), ()) == snapshot(rig)


def test_a_50_mb_mail_is_refused() -> None:
    """
    Over the intake's size limit: refused unread.
    """
    rig = helpdesk()
    result = intake(rig).handle(mail() + b"x" * (50 * 1024 * 1024))
    assert IntakeAction.REFUSED == result.action
    assert ((), ()) == snapshot(rig)


def test_a_body_over_the_desks_limit_is_refused_and_a_long_subject_shortened() -> None:
    """
    The desk's limits hold: a too long text refused whole; a subject cut to the title limit.
    """
    rig = helpdesk()
    mails = intake(rig)
    assert IntakeAction.REFUSED == mails.handle(mail("x" * 40_000)).action
    result = mails.handle(mail(subject="s" * 400))
    assert 255 == len(rig.repo.get(str(result.ticket_id)).title)


def test_the_host_identifies_senders() -> None:
    """
    ``identify`` maps an address to a person id; None refuses the mail.
    """
    rig = helpdesk()
    mails = intake(rig, identify={ANN_MAIL: "ann"}.get)
    assert "ann" == rig.repo.get(str(mails.handle(mail()).ticket_id)).requester
    result = mails.handle(mail(sender=ZOE_MAIL))
    assert IntakeAction.REFUSED == result.action
    assert ("zoe@example.com is not a known sender",) == result.reasons


def test_handle_takes_a_parsed_mail_and_nothing_else() -> None:
    """
    An InboundMail is handled as its bytes would be; a str is InvalidInput.
    """
    rig = helpdesk()
    assert IntakeAction.OPENED == intake(rig).handle(parse(mail())).action
    with pytest.raises(InvalidInput):
        intake(rig).handle("From: a@example.com")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"max_per_sender": 0},
        {"per": H * 0},
        {"resolved": "delete"},
        {"final": "x"},
        {"thanks": "maybe"},
        {"linker": "sam"},
        {"reopen_window": -H},
        {"max_bytes": 0},
        {"max_per_sender": True},
        {"reply_address": 7},
    ],
)
def test_bad_options_are_invalid_input(options: dict[str, object]) -> None:
    """
    Each option is checked when the intake is made.
    """
    with pytest.raises(InvalidInput):
        intake(helpdesk(), **options)


def test_the_result_says_what_was_stored() -> None:
    """
    ``stored`` is True exactly for opened, commented and reopened.
    """
    stored = {a for a in IntakeAction if IntakeResult(action=a, reasons=()).stored}
    assert {IntakeAction.OPENED, IntakeAction.COMMENTED, IntakeAction.REOPENED} == stored
    assert T0 == helpdesk().clock.now()


def test_the_reply_address_threads_as_a_subject_token_does() -> None:
    """
    A reply to support+INC-1@ joins the ticket for its requester; a stranger's does not.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig, reply_address="support+{ticket}@desk.example")
    to = f"support+{ticket_id}@desk.example"
    result = mails.handle(mail(NEW_TEXT, to=to, subject="Re: VPN", message_id="<x1@x>"))
    assert (IntakeAction.COMMENTED, ticket_id) == (result.action, result.ticket_id)
    assert any("the reply address names it" in r for r in result.reasons)
    stranger = mails.handle(mail(NEW_TEXT, sender=ZOE_MAIL, to=to, subject="Re: VPN"))
    assert (IntakeAction.OPENED, "INC-2") == (stranger.action, stranger.ticket_id)


def test_mail_from_the_reply_address_is_the_desks_own() -> None:
    """
    The desk's reply addresses are its own addresses too.
    """
    rig = helpdesk()
    mails, _ = opened(rig, reply_address="support+{ticket}@desk.example")
    result = mails.handle(mail(sender="support+INC-1@desk.example", message_id="<x2@x>"))
    assert IntakeAction.IGNORED == result.action


@pytest.mark.parametrize(
    "template", ["support@desk.example", "{ticket}{ticket}@x", "no-at-{ticket}"]
)
def test_a_reply_address_without_one_ticket_and_a_domain_is_invalid(template: str) -> None:
    """
    The template must hold {ticket} once and be an address.
    """
    with pytest.raises(InvalidInput, match="reply_address"):
        intake(helpdesk(), reply_address=template)


def test_comments_count_towards_the_rate_limit() -> None:
    """
    A reply storm on one ticket is limited as new tickets are.
    """
    rig = helpdesk()
    mails, ticket_id = opened(rig, max_per_sender=3)
    for n in range(2):
        assert mails.handle(reply_to(ticket_id, f"More detail {n}.")).stored
    result = mails.handle(reply_to(ticket_id, "And more."))
    assert IntakeAction.REFUSED == result.action
    assert 2 == len(rig.repo.get(ticket_id).comments)


class People:
    """
    A host's directory: Ann's address, and no groups.
    """

    def attributes(self, person_id: str) -> dict[str, object]:
        """
        Ann has an email attribute; nobody else is known.
        """
        return {"email": "Ann@Example.com"} if person_id == "ann" else {}

    def candidates(self, group: str) -> list[Candidate]:
        """
        No agents.
        """
        return []


def test_the_requesters_address_comes_from_the_desks_people() -> None:
    """
    With ids that are not addresses, "copied" compares with the directory's email.
    """
    rig = helpdesk(Desk(people=People()))
    mails = intake(rig, identify={ANN_MAIL: "ann", ZOE_MAIL: "zoe"}.get)
    ticket_id = mails.handle(mail()).ticket_id
    result = mails.handle(mail(NEW_TEXT, sender=ZOE_MAIL, cc=ANN_MAIL, subject=f"[{ticket_id}]"))
    assert ticket_id == result.ticket_id
    assert any("addressed to its requester ann@example.com" in r for r in result.reasons)


class RacingRepository(InMemoryTicketRepository):
    """
    A store where another process saves first, once: the first save_all loses the race.
    """

    raced = False

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Raise ConcurrencyError the first time a stored ticket is saved, then save.
        """
        if not self.raced and any(not w.is_new for w in writes):
            self.raced = True
            raise ConcurrencyError("another process saved it first")
        super().save_all(writes)


def test_a_lost_race_is_decided_again() -> None:
    """
    The intake reloads the ticket and decides again; the reply is stored once.
    """
    repo = RacingRepository()
    desk = HelpDesk(repo, InMemoryNotifier(), ManualClock(T0))
    mails = EmailIntake(desk, IDS, addresses=[DESK])
    ticket_id = str(mails.handle(mail()).ticket_id)
    result = mails.handle(reply_to(ticket_id, NEW_TEXT))
    assert IntakeAction.COMMENTED == result.action
    assert "the ticket changed meanwhile; decided again" in result.reasons
    assert [NEW_TEXT] == [c.body for c in repo.get(ticket_id).comments]


def test_a_reply_to_a_ticket_merged_into_another_requesters_stays_with_its_sender() -> None:
    """
    Zoe's ticket merged into Ann's: Zoe's reply does not land on (or bounce off) Ann's
    ticket; it follows her own merged ticket up with a new one, and Ann's ticket is untouched.
    """
    rig = helpdesk()
    mails, first = opened(rig)
    second = mails.handle(
        mail("Me too", sender=ZOE_MAIL, message_id="<z2@x>", subject="VPN again")
    ).ticket_id
    assert second is not None
    rig.desk.merge(SAM, second, into=first)
    before = rig.repo.get(first).version
    result = mails.handle(
        mail(
            NEW_TEXT,
            sender=ZOE_MAIL,
            subject=f"Re: [{second}] VPN again",
            in_reply_to=IDS.thread_id(second),
            message_id="<z3@x>",
        )
    )
    assert IntakeAction.OPENED == result.action
    assert second == result.related_ticket_id
    assert before == rig.repo.get(first).version
    assert any("not followed" in r for r in result.reasons)
