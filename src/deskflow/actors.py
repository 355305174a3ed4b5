"""
Who acts on a ticket: requesters, agents at a tier, supervisors, approvers, admins and the
system itself.

The acting identity always comes from the host's authenticated context and is passed as a
parameter; it is never read from a request payload.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from deskflow._internal import checks as _checks
from deskflow.enums import Role
from deskflow.exceptions import InvalidInput

__all__ = ["SYSTEM", "Actor"]


def _id(value: str) -> str:
    return _checks.text("actor id", value)


def _manager(value: str | None) -> str | None:
    return _checks.optional_text("manager", value)


def _groups(value: str | Iterable[str]) -> frozenset[str]:
    return frozenset(_checks.names("group", value))


def _role(value: Role | str) -> Role:
    return _checks.member("role", Role, value)


@attrs.frozen
class Actor:
    """
    An authenticated identity acting on tickets.

    ``tier`` is the support level of an agent (1 = first line); ``groups`` the support groups
    the actor belongs to; ``manager`` whom hierarchical notices about the actor's work go to.

    >>> Actor("ana", Role.AGENT, tier=1, groups={"service-desk"}).groups
    frozenset({'service-desk'})
    """

    id: str = attrs.field(converter=_id)
    role: Role = attrs.field(converter=_role)
    tier: int | None = attrs.field(default=None, kw_only=True)
    groups: frozenset[str] = attrs.field(default=frozenset(), converter=_groups, kw_only=True)
    manager: str | None = attrs.field(default=None, converter=_manager, kw_only=True)

    @tier.validator
    def _check_tier(self, _attribute: attrs.Attribute[int | None], value: object) -> None:
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidInput(f"tier must be an int >= 1 or None, got {value!r}")
        if value is not None and value < 1:
            raise InvalidInput(f"tier must be >= 1, got {value}")

    @property
    def is_agent(self) -> bool:
        """
        True for roles that work tickets (agents, supervisors, admins).
        """
        return self.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


#: The identity deskflow uses for time-based work (auto-close, escalation ticks).
SYSTEM = Actor("system", Role.SYSTEM)
