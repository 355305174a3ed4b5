"""
What a Workflow hands the shared ``transitions.Machine`` when a trigger fires.

The machine never sees a ticket: it moves a [`Holder`][deskflow._internal.firing.Holder] (a
slot holding a state name), runs guards wrapped by
[`as_condition()`][deskflow._internal.firing.as_condition], and the details a caller gives
are checked by [`checked_details()`][deskflow._internal.firing.checked_details] first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from deskflow._internal import checks as _checks
from deskflow.exceptions import InvalidInput
from deskflow.ticket import check_tier

if TYPE_CHECKING:
    from deskflow.guards import Guard

__all__ = ["NAMED_DETAILS", "Holder", "as_condition", "checked_details", "optional_str"]


class Holder:
    """
    The only thing the shared machine ever touches: a slot holding a state name.
    """

    __slots__ = ("state",)

    def __init__(self, state: str) -> None:
        self.state = state


def as_condition(guard: Guard) -> Callable[[Any], bool]:
    """
    ``guard`` as a machine condition: a refusal is recorded in the event's ``refusals``.
    """

    def condition(event_data: Any) -> bool:
        reason = guard(event_data.kwargs["attempt"])
        if reason is not None:
            event_data.kwargs["refusals"].append(reason)
            return False
        return True

    return condition


def optional_str(value: str | int | None) -> str | None:
    """
    ``value`` as a string, None kept.
    """
    return None if value is None else str(value)


#: Details that name something (a group, an agent, a reason code): stripped, never blank.
NAMED_DETAILS = frozenset({"group", "assignee", "hold_reason"})


def checked_details(base: dict[str, str | int], given: Mapping[str, object]) -> None:
    """
    Add the details in ``given`` to ``base``, checked; None means not given.

    A detail that names something (``group``, ``assignee``, ``hold_reason``) is checked and
    stripped by ``checks.text``: a blank one is refused with InvalidInput naming it. Free
    text (a reason, a resolution) is kept as given, and a blank one counts as not given, so
    a transition that requires it refuses with what is missing.
    """
    for name, value in given.items():
        if value is None:
            continue
        if name == "tier":
            base[name] = check_tier(value)
        elif name in NAMED_DETAILS:
            base[name] = _checks.text(name, value)
        elif isinstance(value, str):
            if value.strip():
                base[name] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            base[name] = value
        else:
            raise InvalidInput(
                f"detail {name!r} must be a string or an int, got {type(value).__name__}"
            )
