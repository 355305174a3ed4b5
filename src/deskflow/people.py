"""
A ready [`PeopleDirectory`][deskflow.rules.PeopleDirectory]: people's attributes and the
agents of each group, held in mappings.

The desk reads these attribute keys when it writes to someone: ``"locale"`` (``"de"``,
``"en_GB"``: the language and formats of their messages), ``"timezone"`` (an IANA name:
the zone their times are shown in), ``"name"`` (how they are greeted) and ``"email"``
(where mail goes). Rules read any other attribute (``vip``, ``organization``, ...) as
``requester.<attribute>``. A configuration file fills one from its ``[people."id"]``
tables.

>>> people = MappingPeople({"ann": {"name": "Ann Smith", "locale": "de", "vip": True}})
>>> people.attributes("ann")["locale"], dict(people.attributes("bob"))
('de', {})
>>> people.name("ann"), people.name("bob")
('Ann Smith', 'bob')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import attrs

from deskflow.exceptions import ConfigError

if TYPE_CHECKING:
    from deskflow.routing import Candidate

__all__ = ["PERSON_KEYS", "MappingPeople"]

#: The attributes the desk itself reads, and what each must hold.
PERSON_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "locale": "a locale such as 'de' or 'en_GB'",
        "timezone": "an IANA time zone such as 'Europe/Berlin'",
        "name": "the name the person is greeted by",
        "email": "an email address",
    }
)


def _people(value: Mapping[str, Mapping[str, object]]) -> Mapping[str, Mapping[str, object]]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"people must map ids to attributes, got {type(value).__name__}")
    out: dict[str, Mapping[str, object]] = {}
    for person, attributes in value.items():
        if not isinstance(person, str) or not person.strip():
            raise ConfigError(f"a person's id must be a non-blank string, got {person!r}")
        if not isinstance(attributes, Mapping):
            raise ConfigError(
                f"expected a table of attributes, got {type(attributes).__name__}",
                path=("people", person),
            )
        for key in PERSON_KEYS:
            held = attributes.get(key)
            if held is not None and (not isinstance(held, str) or not held.strip()):
                raise ConfigError(
                    f"{key} must be {PERSON_KEYS[key]}, got {held!r}", path=("people", person, key)
                )
        out[person] = MappingProxyType(dict(attributes))
    return MappingProxyType(out)


def _groups(value: Mapping[str, Sequence[Candidate]]) -> Mapping[str, tuple[Candidate, ...]]:
    return MappingProxyType({group: tuple(agents) for group, agents in dict(value).items()})


@attrs.frozen
class MappingPeople:
    """
    People's attributes by id, and the routing candidates of each group.

    An unknown person has no attributes (an empty mapping), an unknown group no candidates.
    """

    people: Mapping[str, Mapping[str, object]] = attrs.field(
        factory=dict, converter=_people, hash=False
    )
    groups: Mapping[str, tuple[Candidate, ...]] = attrs.field(
        factory=dict, converter=_groups, hash=False
    )

    def attributes(self, person_id: str) -> Mapping[str, object]:
        """
        The attributes of ``person_id`` (an empty mapping for someone unknown).
        """
        return self.people.get(person_id, MappingProxyType({}))

    def candidates(self, group: str) -> Sequence[Candidate]:
        """
        The agents who may get a ticket of ``group``, for the routing policy.
        """
        return self.groups.get(group, ())

    def name(self, person_id: str) -> str:
        """
        How ``person_id`` is greeted: their ``name`` attribute, else the id itself.
        """
        name = self.attributes(person_id).get("name")
        return name if isinstance(name, str) and name.strip() else person_id
