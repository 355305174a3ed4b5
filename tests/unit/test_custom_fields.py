"""
Custom fields and tags: each type's check, the set_fields and tag commands through the
HelpDesk, and what requesters may not see of them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from builders import ADA, ANN, LEE, SAM, T0, ZOE, Rig, helpdesk
from deskflow import Actor, Role
from deskflow.authorization import DefaultAuthorization
from deskflow.desk import Desk
from deskflow.enums import FieldType
from deskflow.exceptions import ConfigError, InvalidInput, InvalidTransition, PermissionDenied
from deskflow.fields import (
    MAX_DECIMAL_DIGITS,
    MAX_FIELD_TEXT,
    MAX_TAG_LENGTH,
    CustomField,
    FieldsChanged,
    TagsChanged,
    check_tags,
    field_key,
)
from deskflow.outbox import queue_notifications
from deskflow.ticket import Ticket
from deskflow.views import visible

FIELDS = {
    "asset": CustomField("asset", FieldType.TEXT),
    "hours": CustomField("hours", FieldType.DECIMAL),
    "seats": CustomField("seats", FieldType.INTEGER),
    "onsite": CustomField("onsite", FieldType.BOOLEAN),
    "contract": CustomField("contract", "choice", options=("gold", "silver"), staff_only=True),
    "os": CustomField("os", FieldType.MULTI_CHOICE, options=("linux", "mac", "windows")),
    "due": CustomField("due", FieldType.DATE),
    "owner": CustomField("owner", FieldType.USER),
}
DESK = Desk(fields=FIELDS)


# -- CustomField.check, type by type ----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "given", "expected"),
    [
        ("asset", "  LT-042 ", "LT-042"),
        ("seats", 3, 3),
        ("seats", -(2**63), -(2**63)),
        ("hours", "1.50", Decimal("1.5")),
        ("hours", 2, Decimal("2")),
        ("hours", Decimal("1E+2"), Decimal("100")),
        ("hours", "-0.00", Decimal("0")),
        ("onsite", False, False),
        ("contract", "gold", "gold"),
        ("os", ["windows", "linux", "linux"], ("linux", "windows")),
        ("os", "mac", ("mac",)),
        ("due", "2026-03-02", date(2026, 3, 2)),
        ("due", date(2026, 3, 2), date(2026, 3, 2)),
        ("owner", " lee ", "lee"),
    ],
)
def test_check_returns_the_canonical_form(name: str, given: object, expected: object) -> None:
    """
    Each type takes its values and gives them back canonical: stripped text, an exact
    normalized Decimal, a sorted tuple of options, a date from an ISO string.
    """
    checked = FIELDS[name].check(given)
    assert expected == checked
    assert type(expected) is type(checked)


@pytest.mark.parametrize(
    ("name", "given", "accepts"),
    [
        ("asset", "   ", "a non-blank string"),
        ("asset", 42, "a non-blank string"),
        ("seats", True, "an int"),
        ("seats", "3", "an int"),
        ("seats", 2**63, "an int"),
        ("hours", 1.5, "not a float"),
        ("hours", "NaN", "not a float"),
        ("hours", "twelve", "a decimal string"),
        ("hours", True, "a Decimal"),
        ("onsite", 1, "True or False"),
        ("contract", "bronze", "one of its options (gold, silver)"),
        ("os", ["linux", "beos"], "a non-empty set of its options"),
        ("os", [], "clear it with None"),
        ("os", 7, "a non-empty set"),
        ("due", datetime(2026, 3, 2, 9, 0), "a datetime.date"),
        ("due", "2026-02-30", "an ISO date string"),
        ("due", "2026-03-02T09:00", "an ISO date string"),
        ("owner", "", "a person's id"),
    ],
)
def test_check_refuses_what_the_type_does_not_take(name: str, given: object, accepts: str) -> None:
    """
    A value of the wrong type or outside the options is InvalidInput naming the field and
    saying what it accepts.
    """
    with pytest.raises(InvalidInput) as info:
        FIELDS[name].check(given)
    assert f"field {name!r}" in str(info.value)
    assert accepts in str(info.value)


def test_check_bounds_text_and_decimals() -> None:
    """
    Text longer than MAX_FIELD_TEXT and decimals with too many digits are refused, saying
    the limit; NUL characters cannot be stored anywhere and are refused too.
    """
    assert "x" * MAX_FIELD_TEXT == FIELDS["asset"].check("x" * MAX_FIELD_TEXT)
    with pytest.raises(InvalidInput, match=f"at most {MAX_FIELD_TEXT}"):
        FIELDS["asset"].check("x" * (MAX_FIELD_TEXT + 1))
    with pytest.raises(InvalidInput, match="NUL"):
        FIELDS["asset"].check("a\x00b")
    with pytest.raises(InvalidInput, match=f"at most {MAX_DECIMAL_DIGITS} digits"):
        FIELDS["hours"].check("1E+999999999")
    with pytest.raises(InvalidInput, match=f"at most {MAX_DECIMAL_DIGITS} digits"):
        FIELDS["hours"].check("0." + "0" * MAX_DECIMAL_DIGITS + "1")


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda: CustomField("bad name", "text"), ("name",)),
        (lambda: CustomField("x", "colour"), ("type",)),
        (lambda: CustomField("x", "choice"), ("options",)),
        (lambda: CustomField("x", "text", options=("a",)), ("options",)),
        (lambda: CustomField("x", "choice", options=("a", "a")), ("options",)),
        (lambda: CustomField("x", "choice", options=("a", " ")), ("options",)),
    ],
)
def test_a_bad_declaration_is_a_config_error_naming_the_part(
    build: object, path: tuple[str, ...]
) -> None:
    """
    A field name that is not a key, an unknown type, a choice without options, options on
    another type, repeated or blank options: ConfigError at the bad part.
    """
    with pytest.raises(ConfigError) as info:
        build()  # type: ignore[operator]
    assert path == info.value.path


def test_field_keys_compare_values_of_one_type() -> None:
    """
    Equal numbers have one key whatever their form; True is not 1, "1" is not 1; a set of
    options is the same set in any order; long values have a short key.
    """
    assert field_key(Decimal("2.50")) == field_key(Decimal("2.5")) == field_key(Decimal("25E-1"))
    assert field_key(100) == field_key(Decimal("1E+2"))
    assert field_key(True) != field_key(1) != field_key("1")
    assert field_key(("b", "a")) == field_key(["a", "b"])
    assert field_key(date(2026, 3, 2)) != field_key("2026-03-02")
    assert len(field_key("x" * 5000)) <= 200
    assert field_key("x" * 5000) != field_key("x" * 4999)
    with pytest.raises(InvalidInput):
        field_key(1.5)


def test_check_tags() -> None:
    """
    Tags are stripped words, each once; spaces, blanks and overlong tags are refused.
    """
    assert ("vip",) == check_tags("add", "vip")
    assert ("vip", "net") == check_tags("add", [" vip", "net", "vip"])
    for bad in (["two words"], [""], ["x" * (MAX_TAG_LENGTH + 1)], [3]):
        with pytest.raises(InvalidInput):
            check_tags("add", bad)


# -- set_fields and tag through the HelpDesk --------------------------------------------------


def test_set_fields_records_one_event_of_the_checked_values() -> None:
    """
    An agent sets several fields in one command: one FieldsChanged with the canonical
    values and the reason; the view shows them.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    view = rig.desk.set_fields(
        LEE, ticket_id, {"hours": "1.50", "os": ["mac", "linux"]}, reason="triage"
    )
    assert {"hours": Decimal("1.5"), "os": ("linux", "mac")} == dict(view.fields)
    event = rig.repo.get(ticket_id).history[-1]
    assert isinstance(event, FieldsChanged)
    assert ({"hours": Decimal("1.5"), "os": ("linux", "mac")}, "triage", "lee", False) == (
        dict(event.changes),
        event.reason,
        event.actor,
        event.staff_only,
    )


def test_setting_what_is_already_set_records_nothing_and_none_clears() -> None:
    """
    Values equal to the current ones are left out (nothing at all recorded when nothing
    changes); None clears a field, and clearing an unset field is no change.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    rig.desk.set_fields(LEE, ticket_id, {"seats": 3, "asset": "LT-1"})
    version = rig.repo.get(ticket_id).version
    rig.desk.set_fields(LEE, ticket_id, {"seats": 3, "due": None})
    assert version == rig.repo.get(ticket_id).version
    view = rig.desk.set_fields(LEE, ticket_id, {"seats": None, "asset": "LT-1"})
    assert {"asset": "LT-1"} == dict(view.fields)
    assert {"seats": None} == dict(rig.repo.get(ticket_id).history[-1].changes)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"colour": "red"}, "unknown custom field 'colour'; known: asset, contract, due"),
        ({}, "values must map"),
        ("seats=3", "values must map"),
        ({"seats": "three"}, "field 'seats' takes an int"),
    ],
)
def test_set_fields_refuses_bad_values_and_stores_nothing(values: object, message: str) -> None:
    """
    An undeclared field (the known ones named), no values, or a bad value is InvalidInput,
    and the ticket is left as it was.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    before = rig.repo.get(ticket_id)
    with pytest.raises(InvalidInput) as info:
        rig.desk.set_fields(LEE, ticket_id, values)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert before == rig.repo.get(ticket_id)


def test_a_desk_without_fields_says_so() -> None:
    """
    On a desk that declares no field, setting one says there are none.
    """
    rig = helpdesk()
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    with pytest.raises(InvalidInput, match="known: none"):
        rig.desk.set_fields(LEE, ticket_id, {"asset": "x"})


def test_who_may_set_fields_and_tag() -> None:
    """
    Agents, supervisors and admins set fields and tag; requesters do neither by default;
    agents only on tickets they work; final tickets take neither.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    for actor in (LEE, SAM, ADA):
        rig.desk.set_fields(actor, ticket_id, {"seats": len(actor.id)})
        rig.desk.tag(actor, ticket_id, add=[actor.id])
    with pytest.raises(PermissionDenied, match="requesters may not set custom fields"):
        rig.desk.set_fields(ANN, ticket_id, {"asset": "x"})
    with pytest.raises(PermissionDenied, match="requesters may not tag"):
        rig.desk.tag(ANN, ticket_id, add=["x"])
    rig.desk.assign(SAM, ticket_id, group="network")
    with pytest.raises(PermissionDenied):
        rig.desk.tag(LEE, ticket_id, add=["x"])
    rig.desk.cancel(SAM, ticket_id, reason="duplicate")
    with pytest.raises(InvalidTransition, match="final"):
        rig.desk.tag(SAM, ticket_id, add=["x"])


def test_a_requester_a_host_allows_sets_only_public_fields() -> None:
    """
    With set_fields granted to requesters on their own tickets, a requester sets a public
    field but never a staff-only one, and never tags.
    """
    from deskflow.authorization import OWN

    policy = DefaultAuthorization().with_rules({"requester": {"set_fields": OWN, "tag": OWN}})
    rig = helpdesk(Desk(fields=FIELDS, authorization=policy))
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    assert "LT-9" == rig.desk.set_fields(ANN, ticket_id, {"asset": "LT-9"}).fields["asset"]
    with pytest.raises(PermissionDenied, match="staff-only field 'contract'"):
        rig.desk.set_fields(ANN, ticket_id, {"asset": "LT-1", "contract": "gold"})
    with pytest.raises(PermissionDenied, match="tags are staff-only"):
        rig.desk.tag(ANN, ticket_id, add=["x"])
    assert "LT-9" == rig.repo.get(ticket_id).fields["asset"]


def test_tag_records_only_what_changes() -> None:
    """
    Adding a tag the ticket has and removing one it lacks is no change; one TagsChanged
    holds what did change, with the reason.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    assert {"vip", "net"} == rig.desk.tag(LEE, ticket_id, add=["vip", "net"]).tags
    version = rig.repo.get(ticket_id).version
    rig.desk.tag(LEE, ticket_id, add="vip", remove="gone")
    assert version == rig.repo.get(ticket_id).version
    view = rig.desk.tag(LEE, ticket_id, add="p1", remove=["net", "gone"], reason="rule x")
    assert {"vip", "p1"} == view.tags
    event = rig.repo.get(ticket_id).history[-1]
    assert isinstance(event, TagsChanged)
    assert (("p1",), ("net",), "rule x") == (event.added, event.removed, event.reason)


@pytest.mark.parametrize(
    ("add", "remove", "message"),
    [
        ((), (), "tags to add or to remove"),
        (["x"], ["x"], "both added and removed: x"),
        (["two words"], (), "without spaces"),
    ],
)
def test_tag_refuses_bad_tags(add: object, remove: object, message: str) -> None:
    """
    Nothing to do, a tag both added and removed, or a tag that is not one word: InvalidInput.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    with pytest.raises(InvalidInput, match=message):
        rig.desk.tag(LEE, ticket_id, add=add, remove=remove)  # type: ignore[arg-type]


# -- what requesters see --------------------------------------------------------------------


def _worked() -> tuple[Rig, Ticket]:
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    rig.desk.set_fields(LEE, ticket_id, {"asset": "LT-1", "due": "2026-03-09"})
    rig.desk.set_fields(LEE, ticket_id, {"asset": "LT-2", "contract": "gold"})
    rig.desk.tag(LEE, ticket_id, add=["vip"])
    return rig, rig.repo.get(ticket_id)


def test_requesters_never_see_staff_only_fields_nor_tags() -> None:
    """
    The requester's view, its dict and its history hold the public fields only and no
    tag; staff see everything, a date as ISO and a decimal as a string in the dict.
    """
    rig, ticket = _worked()
    mine = rig.desk.view(ANN, ticket.id)
    assert ({"asset": "LT-2", "due": date(2026, 3, 9)}, frozenset()) == (
        dict(mine.fields),
        mine.tags,
    )
    text = repr(mine.to_dict())
    assert "gold" not in text
    assert "vip" not in text
    assert "contract" not in text
    staff = rig.desk.view(LEE, ticket.id)
    assert {"vip"} == staff.tags
    assert "gold" == staff.fields["contract"]
    data = staff.to_dict()
    assert {"asset": "LT-2", "due": "2026-03-09", "contract": "gold"} == data["fields"]
    assert ["vip"] == data["tags"]
    listed = rig.desk.tickets(ANN)
    assert "gold" not in repr(listed[0].to_dict())


def test_a_field_made_staff_only_later_leaves_the_requesters_history() -> None:
    """
    The view follows the desk's declarations now: a field once public but staff-only now
    (or no longer declared) shows in no requester view, nor in their history.
    """
    _, ticket = _worked()
    now_hidden = {**FIELDS, "asset": CustomField("asset", "text", staff_only=True)}
    view = visible(ANN, ticket, fields=now_hidden)
    assert {"due": date(2026, 3, 9)} == dict(view.fields)
    changes = [dict(e.changes) for e in view.history if isinstance(e, FieldsChanged)]
    assert [{"due": date(2026, 3, 9)}] == changes
    bare = visible(ANN, ticket)
    assert ({}, []) == (
        dict(bare.fields),
        [e for e in bare.history if "Fields" in type(e).__name__],
    )


def test_requesters_are_never_notified_of_staff_only_fields_or_tags() -> None:
    """
    Even a host rule that tells the requester of every event sends nothing about a
    staff-only field change or a tag, and nothing that holds their values.
    """
    from deskflow.enums import Audience

    def tell_everything(
        ticket: Ticket, event: object
    ) -> list[tuple[str, Audience, tuple[str, ...]]]:
        return [("anything", Audience.REQUESTER, (ticket.requester,))]

    _, ticket = _worked()
    _, sent = queue_notifications(None, ticket, T0, rules=(tell_everything,), fields=FIELDS)
    bodies = " ".join(n.body for n in sent)
    assert sent
    assert "LT-1" in bodies
    assert "gold" not in bodies
    assert "vip" not in bodies
    assert "LT-2" not in bodies


def test_tickets_filters_on_fields_and_tags_checked_by_the_desk() -> None:
    """
    HelpDesk.tickets checks the query's field values by their declarations ("1.5" finds
    a decimal field's 1.50); an unknown field is InvalidInput; requesters may not filter on
    staff-only fields or tags, which would tell them what the view hides.
    """
    from deskflow.queries import TicketQuery

    rig = helpdesk(DESK)
    first = rig.desk.open(ANN, title="VPN down").id
    second = rig.desk.open(ZOE, title="Printer jam").id
    rig.desk.set_fields(LEE, first, {"hours": "1.50", "contract": "gold"})
    rig.desk.tag(LEE, second, add=["vip"])

    def ids(actor: Actor, **query: object) -> list[str]:
        return [view.id for view in rig.desk.tickets(actor, TicketQuery(**query))]

    assert [first] == ids(LEE, fields={"hours": "1.5"})
    assert [second] == ids(LEE, fields={"hours": None})
    assert [second] == ids(LEE, tags_any=["vip", "x"])
    assert [first] == ids(ANN, fields={"hours": Decimal("1.5")})
    with pytest.raises(InvalidInput, match="unknown custom field 'colour'"):
        ids(LEE, fields={"colour": "red"})
    with pytest.raises(InvalidInput, match="field 'hours'"):
        ids(LEE, fields={"hours": "lots"})
    with pytest.raises(PermissionDenied, match="staff-only field 'contract'"):
        ids(ANN, fields={"contract": "gold"})
    with pytest.raises(PermissionDenied, match="tags"):
        ids(ANN, tags_all=["vip"])


def test_a_system_actor_sets_fields_and_tags_for_rules() -> None:
    """
    The system (automation rules) may set fields and tag.
    """
    rig = helpdesk(DESK)
    ticket_id = rig.desk.open(ANN, title="VPN down").id
    system = Actor("system", Role.SYSTEM)
    rig.desk.set_fields(system, ticket_id, {"contract": "silver"}, reason="rule gold")
    assert {"auto"} == rig.desk.tag(system, ticket_id, add="auto").tags
