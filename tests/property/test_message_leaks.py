"""
No internal text reaches a requester's message: every template, rendered for random tickets
holding random internal text (internal notes, staff-only fields, tags, internal events),
in every shipped locale, carries none of it.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from builders import LEE, SAM, T0, M, incident
from deskflow import INCIDENT, MappingPeople, Ticket
from deskflow._internal.template_catalog import CATALOG
from deskflow.enums import Audience, Trigger, Visibility
from deskflow.events import CommentAdded, Escalated, RuleFired, RuleNotified
from deskflow.fields import CustomField, FieldsChanged, TagsChanged
from deskflow.messages import render_notifications
from deskflow.outbox import queue_notifications
from deskflow.templates import SHIPPED_LOCALES, Templates

FIELDS = {
    "asset": CustomField("asset", "text"),
    "contract": CustomField("contract", "text", staff_only=True),
}
TEMPLATES = Templates()
#: Internal text: a marker no template or public text holds, then random letters.
SECRETS = st.from_regex(r"zqx[a-z0-9]{6,10}", fullmatch=True)
PUBLIC = st.text(alphabet="abcdefghij ", min_size=1, max_size=20).filter(str.strip)

STEPS = st.lists(
    st.sampled_from(
        [
            "internal_note",
            "public_note",
            "staff_field",
            "mislabelled_fields",
            "tag",
            "escalated",
            "rule_fired",
            "rule_notice",
            "assign",
            "resolve",
        ]
    ),
    min_size=1,
    max_size=8,
)


def _step(ticket: Ticket, step: str, secret: str, public: str) -> Ticket:
    at = ticket.updated_at + M
    if step == "internal_note":
        return ticket.record(
            CommentAdded(at=at, actor=LEE.id, body=secret, visibility=Visibility.INTERNAL)
        )
    if step == "public_note":
        return ticket.record(CommentAdded(at=at, actor=LEE.id, body=public))
    if step == "staff_field":
        return ticket.record(
            FieldsChanged(at=at, actor=LEE.id, changes={"contract": secret}, staff_only=True)
        )
    if step == "mislabelled_fields":
        # A change of a staff-only field recorded as public (a host's own event, say):
        # the projection still shows only the public field.
        return ticket.record(
            FieldsChanged(at=at, actor=LEE.id, changes={"contract": secret, "asset": public})
        )
    if step == "tag":
        return ticket.record(TagsChanged(at=at, actor=LEE.id, added=(secret,)))
    if step == "escalated":
        return ticket.record(Escalated(at=at, actor="system", notified=(SAM.id,), reason=secret))
    if step == "rule_fired":
        return ticket.record(RuleFired(at=at, actor="system", rule=secret, dedup_key=secret))
    if step == "rule_notice":
        return ticket.record(
            RuleNotified(at=at, actor="system", rule=secret, template=secret, recipients=("sam",))
        )
    allowed = INCIDENT.allowed(ticket.state)
    if step == "assign" and Trigger.ASSIGN in allowed:
        return INCIDENT.fire(ticket, Trigger.ASSIGN, actor=LEE, at=at, assignee=LEE.id)
    if step == "resolve" and Trigger.RESOLVE in allowed:
        return INCIDENT.fire(ticket, Trigger.RESOLVE, actor=LEE, at=at, resolution=public)
    return ticket


@st.composite
def secret_tickets(draw: st.DrawFn) -> tuple[Ticket, str]:
    secret = draw(SECRETS)
    ticket = incident("INC-7", title=draw(PUBLIC), description=draw(PUBLIC), at=T0)
    for step in draw(STEPS):
        ticket = _step(ticket, step, secret, draw(PUBLIC))
    return ticket, secret


def _texts(ticket: Ticket, position: int, template: str, locale: str) -> list[str]:
    people = MappingPeople({"ann": {"name": "Ann", "locale": locale}})
    out: list[str] = []
    for n in render_notifications(
        ticket,
        position,
        template,
        Audience.REQUESTER,
        (ticket.requester,),
        ticket.updated_at,
        renderer=TEMPLATES,
        people=people,
        fields=FIELDS,
    ):
        out.extend([n.subject, n.body, n.html or ""])
    return out


@settings(max_examples=30)
@given(case=secret_tickets())
def test_no_internal_text_in_any_requester_message(case: tuple[Ticket, str]) -> None:
    """Every template, every event, every locale: the internal text is in no message."""
    ticket, secret = case
    for position in range(ticket.version):
        for template in sorted(CATALOG):
            for locale in SHIPPED_LOCALES:
                for text in _texts(ticket, position, template, locale):
                    assert secret not in text.lower()


@given(case=secret_tickets())
def test_no_internal_text_through_the_outbox(case: tuple[Ticket, str]) -> None:
    """A rule telling the requester of every event, by any template, leaks none of it."""
    ticket, secret = case

    def tell_everything(t: Ticket, event: object) -> list[tuple[str, Audience, tuple[str, ...]]]:
        return [(name, Audience.REQUESTER, (t.requester,)) for name in ("notice", "public_reply")]

    _, sent = queue_notifications(
        None,
        ticket,
        ticket.updated_at,
        rules=(tell_everything,),
        renderer=TEMPLATES,
        fields=FIELDS,
    )
    assert sent  # the opening at least
    for n in sent:
        assert all(secret not in text for text in (n.subject, n.body, n.html or ""))


def test_the_marker_would_be_found() -> None:
    """The same check finds the text when it is public: the property is not vacuous."""
    ticket = incident("INC-7", title="zqxpublic1")
    ticket = ticket.record(CommentAdded(at=T0 + M, actor=LEE.id, body="zqxpublic2"))
    assert any("zqxpublic1" in t for t in _texts(ticket, 0, "ticket_received", "en"))
    assert any("zqxpublic2" in t for t in _texts(ticket, 1, "public_reply", "de"))
