"""
Hypothesis strategies for deskflow values: instants, actors, tickets, triggers and details,
custom field declarations and their values.

>>> from hypothesis import given
>>> from deskflow import INCIDENT
>>> @given(tickets(INCIDENT))
... def test_replay(ticket):
...     assert Ticket.replay(ticket.history) == ticket
>>> test_replay()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from deskflow.actors import Actor
from deskflow.enums import FieldType, HoldReason, Impact, Role, Urgency
from deskflow.exceptions import InvalidTransition
from deskflow.fields import MAX_DECIMAL_DIGITS, CustomField, FieldValue
from deskflow.guards import OneOf
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = [
    "REQUESTER",
    "actors",
    "custom_fields",
    "details_for",
    "field_inputs",
    "field_values",
    "gaps",
    "instants",
    "tickets",
    "trigger_sequences",
    "triggers",
]

#: The requester of the tickets that [`tickets()`][deskflow.testing.strategies.tickets] opens.
REQUESTER = Actor("requester-1", Role.REQUESTER)

_ZONES = ("UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kathmandu")


def instants(
    *,
    min_value: datetime = datetime(2000, 1, 1),
    max_value: datetime = datetime(2100, 1, 1),
    zones: Sequence[str] = _ZONES,
) -> st.SearchStrategy[datetime]:
    """
    Timezone-aware datetimes in one of ``zones`` (naive bounds are taken as UTC wall time).
    """
    return st.datetimes(
        min_value=min_value, max_value=max_value, timezones=st.sampled_from(zones).map(ZoneInfo)
    )


def gaps(max_value: timedelta = timedelta(days=10)) -> st.SearchStrategy[timedelta]:
    """
    Time between two commands: often zero or small, sometimes days.
    """
    return st.one_of(
        st.just(timedelta(0)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2)),
        st.timedeltas(min_value=timedelta(0), max_value=max_value),
    )


def actors(
    *,
    roles: Sequence[Role] = tuple(Role),
    requester: Actor | None = REQUESTER,
) -> st.SearchStrategy[Actor]:
    """
    Actors of the given roles; agents get a tier of 1 to 3. The ticket's requester is
    drawn often, so rules about "their own ticket" are exercised.
    """
    ids = st.sampled_from(["ann", "bob", "cho", "dev", "eli"])
    drawn = st.builds(
        Actor,
        id=ids,
        role=st.sampled_from(list(roles)),
        tier=st.one_of(st.none(), st.integers(1, 3)),
        groups=st.frozensets(st.sampled_from(["service-desk", "network", "apps"]), max_size=2),
    )
    return drawn if requester is None else st.one_of(st.just(requester), drawn)


def triggers(workflow: Workflow, *, unknown: bool = True) -> st.SearchStrategy[str]:
    """
    Trigger names of ``workflow``, and (if ``unknown``) names it does not know.
    """
    known = st.sampled_from(workflow.triggers)
    return st.one_of(known, st.just("no_such_trigger")) if unknown else known


def trigger_sequences(
    workflow: Workflow, *, max_size: int = 20, unknown: bool = True
) -> st.SearchStrategy[list[str]]:
    """
    Lists of trigger names to fire one after another.
    """
    return st.lists(triggers(workflow, unknown=unknown), max_size=max_size)


def details_for(
    workflow: Workflow, state: str, trigger: str
) -> st.SearchStrategy[dict[str, str | int]]:
    """
    Details for firing ``trigger`` from ``state``: usually what the transition needs, with
    plausible values, sometimes missing or wrong so guards get exercised.
    """
    spec = workflow.transition(state, trigger)
    names = set(spec.requires) if spec is not None else set()
    accepted: dict[str, tuple[str, ...]] = {}
    if spec is not None:
        for guard in spec.guards:
            if isinstance(guard, OneOf):
                names.add(guard.name)
                accepted[guard.name] = guard.accepted
    names.update({"group", "assignee", "reason"})

    def value(name: str) -> st.SearchStrategy[str | int]:
        if name == "tier":
            return st.integers(1, 4)
        if name == "hold_reason":
            return st.sampled_from([*accepted.get(name, tuple(HoldReason)), "lunch"])
        if name in accepted:
            return st.sampled_from([*accepted[name], "bogus"])
        return st.sampled_from(["ann", "bob", "network", "fixed it", "see notes"])

    optional = {name: value(name) for name in sorted(names)}
    return st.fixed_dictionaries({}, optional=optional)


@st.composite
def tickets(
    draw: st.DrawFn,
    workflow: Workflow = INCIDENT,
    *,
    max_steps: int = 12,
    requester: Actor = REQUESTER,
) -> Ticket:
    """
    Tickets of ``workflow`` reached by a random walk of accepted triggers from opening.
    """
    now = draw(instants(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
    ticket = workflow.open(
        draw(st.from_regex(r"T-[0-9]{1,6}", fullmatch=True)),
        title=draw(st.sampled_from(["VPN down", "Printer jam", "New laptop", "Access to HR"])),
        requester=requester,
        at=now,
        impact=draw(st.none() | st.sampled_from(Impact)),
        urgency=draw(st.none() | st.sampled_from(Urgency)),
    )
    for _ in range(draw(st.integers(0, max_steps))):
        allowed = workflow.allowed(ticket.state)
        if not allowed:
            break
        trigger = draw(st.sampled_from(allowed))
        # Real time moves on: add in UTC (adding to a zoned datetime moves its wall clock,
        # which runs backwards in the hour a DST change repeats).
        now = (now.astimezone(UTC) + draw(gaps(timedelta(days=3)))).astimezone(now.tzinfo)
        details = draw(details_for(workflow, ticket.state, trigger))
        actor = draw(actors(requester=requester))
        try:
            ticket = workflow.fire(ticket, trigger, actor=actor, at=now, **details)
        except InvalidTransition:
            continue
    return ticket


_OPTIONS = ("gold", "silver", "bronze", "linux", "mac", "windows")


@st.composite
def custom_fields(
    draw: st.DrawFn, *, types: Sequence[FieldType] = tuple(FieldType), name: str | None = None
) -> CustomField:
    """
    Custom field declarations of one of ``types`` (choices get two to four options), named
    ``name`` or a drawn key, staff-only or not.
    """
    kind = draw(st.sampled_from(list(types)))
    options: tuple[str, ...] = ()
    if kind in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
        options = tuple(
            draw(st.lists(st.sampled_from(_OPTIONS), min_size=2, max_size=4, unique=True))
        )
    return CustomField(
        name or draw(st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)),
        kind,
        options=options,
        staff_only=draw(st.booleans()),
    )


_WORDS = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=30
).filter(lambda t: bool(t.strip()))


_DECIMAL = CustomField("d", FieldType.DECIMAL)


def _canonical_decimal(value: Decimal) -> Decimal:
    checked = _DECIMAL.check(value)
    assert isinstance(checked, Decimal)
    return checked


def _other_form(value: FieldValue) -> object:
    # The form of a value a host may pass instead of the canonical one.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(reversed(value))
    return value


def _decimals() -> st.SearchStrategy[Decimal]:
    bound = 10 ** (MAX_DECIMAL_DIGITS // 2)
    return st.decimals(
        min_value=-bound, max_value=bound, allow_nan=False, allow_infinity=False, places=6
    ).map(_canonical_decimal)


def field_values(field: CustomField) -> st.SearchStrategy[FieldValue]:
    """
    Values of ``field`` in their canonical form: what ``field.check`` returns (and gives
    back unchanged).
    """
    strategies: dict[FieldType, st.SearchStrategy[FieldValue]] = {
        FieldType.TEXT: _WORDS.map(str.strip),
        FieldType.USER: st.sampled_from(["ann", "bob", "lee", "kim", "zoe"]),
        FieldType.INTEGER: st.integers(-(2**63), 2**63 - 1),
        FieldType.DECIMAL: _decimals(),
        FieldType.BOOLEAN: st.booleans(),
        FieldType.CHOICE: st.sampled_from(field.options or ("-",)),
        FieldType.MULTI_CHOICE: st.frozensets(
            st.sampled_from(field.options or ("-",)), min_size=1
        ).map(lambda chosen: tuple(sorted(chosen))),
        FieldType.DATE: st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    }
    return strategies[field.type]


def field_inputs(field: CustomField) -> st.SearchStrategy[object]:
    """
    What a host may pass for ``field``: canonical values and the other forms ``check``
    accepts (a decimal as a string or an int, a date as an ISO string, options as a list,
    text with surrounding spaces).
    """
    canonical = field_values(field)
    if field.type is FieldType.DECIMAL:
        return st.one_of(canonical, canonical.map(str), st.integers(-(10**12), 10**12))
    if field.type in (FieldType.TEXT, FieldType.USER):  # surrounding spaces are stripped
        return st.one_of(canonical, canonical.map(lambda v: f"  {v}\t"))
    return st.one_of(canonical, canonical.map(_other_form))
