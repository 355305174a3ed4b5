"""
Priority: impact, urgency and the policies that turn them into a priority.

A [`PriorityPolicy`][deskflow.priority.PriorityPolicy] reads
[`PriorityFacts`][deskflow.priority.PriorityFacts] and returns a
[`PriorityDecision`][deskflow.priority.PriorityDecision] that names the rule which decided and
explains it in one line, so the audit trail can say *why* a ticket is P2. The built-ins follow
the products desks run: the ITIL 3x3 matrix as ServiceNow ships it, a 5x5 matrix in the style of
GLPI, custom matrices from configuration (validated: complete and monotone), weighted scores,
one policy per service, a VIP floor and rule chains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Protocol, cast

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.priority_support import config_priority, named
from deskflow.enums import Priority
from deskflow.exceptions import ConfigError, InvalidInput

if TYPE_CHECKING:
    # ticket.py and events.py import this module, so these are imported where they are used.
    from deskflow.ticket import Ticket

__all__ = [
    "FIVE_LEVELS",
    "THREE_LEVELS",
    "PriorityDecision",
    "PriorityFacts",
    "PriorityMatrix",
    "PriorityPolicy",
]


#: The ITIL scale of [`Impact`][deskflow.enums.Impact] and
#: [`Urgency`][deskflow.enums.Urgency], most severe first.
THREE_LEVELS: Final = ("high", "medium", "low")
#: The scale of [`PriorityMatrix.five_by_five()`][deskflow.priority.PriorityMatrix.five_by_five],
#: most severe first. GLPI numbers these
#: 5 (very high) down to 1 (very low); names avoid asking which end "1" is. The ITIL levels
#: are its middle three, so a ticket's [`Impact`][deskflow.enums.Impact] and
#: [`Urgency`][deskflow.enums.Urgency] fit it as well.
FIVE_LEVELS: Final = ("very_high", "high", "medium", "low", "very_low")


def _level(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"impact and urgency must be level names like 'high', got {value!r}")
    return str(value)  # a StrEnum member becomes its plain value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"vip must be a bool, got {value!r}")
    return value


@attrs.frozen
class PriorityFacts:
    """
    What a priority policy may look at.

    ``impact`` and ``urgency`` are level names: [`Impact`][deskflow.enums.Impact] and
    [`Urgency`][deskflow.enums.Urgency] members, or names of a wider scale such as
    [`FIVE_LEVELS`][deskflow.priority.FIVE_LEVELS].

    >>> from deskflow.enums import Impact, Urgency
    >>> PriorityFacts(Impact.HIGH, "low", service="email").urgency
    'low'
    """

    impact: str = attrs.field(converter=_level)
    urgency: str = attrs.field(converter=_level)
    service: str | None = None
    category: str | None = None
    requester: str | None = None
    vip: bool = attrs.field(default=False, kw_only=True, converter=_flag)

    @classmethod
    def of(cls, ticket: Ticket, *, vip: bool = False) -> PriorityFacts:
        """
        The facts of a classified ticket; a ticket without impact or urgency is an error.
        """
        if ticket.impact is None or ticket.urgency is None:
            raise InvalidInput(f"ticket {ticket.id} has no impact or urgency; classify it first")
        return cls(
            ticket.impact,
            ticket.urgency,
            ticket.service,
            ticket.category,
            ticket.requester,
            vip=vip,
        )


def _decided(value: object) -> Priority:
    return _checks.member("priority", Priority, value)


@attrs.frozen
class PriorityDecision:
    """
    A priority, the short id of the rule that decided it and a one-line explanation.
    """

    priority: Priority = attrs.field(converter=_decided)
    rule: str
    explanation: str


class PriorityPolicy(Protocol):
    """
    Turns the facts of a ticket into a priority.
    """

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        Decide the priority for ``facts``; say which rule decided and why.
        """
        ...


def _levels(levels: Iterable[str]) -> tuple[str, ...]:
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        raise ConfigError(f"levels must be a list of level names, got {levels!r}")
    return tuple(levels)


def _rows(rows: Iterable[Iterable[Priority | str]]) -> tuple[tuple[Priority, ...], ...]:
    # Names ("P2", "p2") are accepted here and made Priority members after the checks of
    # __attrs_post_init__, which say which cell is wrong.
    try:
        return cast("tuple[tuple[Priority, ...], ...]", tuple(tuple(row) for row in rows))
    except TypeError:
        raise ConfigError(f"cells must be rows of priorities, got {rows!r}") from None


def _cell(levels: Sequence[str], i: int, u: int) -> str:
    return f"(impact={levels[i]}, urgency={levels[u]})"


@attrs.frozen
class PriorityMatrix:
    """
    An impact x urgency matrix: ``cells[i][u]`` is the priority of impact ``levels[i]`` and
    urgency ``levels[u]``, levels most severe first. Validated when built: square, complete
    and monotone (raising impact or urgency never lowers the priority).

    >>> from deskflow.enums import Impact, Urgency
    >>> itil = PriorityMatrix.itil()
    >>> itil.priority(Impact.MEDIUM, Urgency.HIGH)
    <Priority.P2: 'P2'>
    >>> itil.prioritize(PriorityFacts("low", "low")).explanation
    'impact low and urgency low give P5 in the itil matrix'
    """

    levels: tuple[str, ...] = attrs.field(converter=_levels)
    cells: tuple[tuple[Priority, ...], ...] = attrs.field(converter=_rows)
    name: str = "custom"
    _index: Mapping[str, int] = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        size = len(self.levels)
        if not size or len(set(self.levels)) != size or not all(named(x) for x in self.levels):
            raise ConfigError(f"levels must be distinct names, got {self.levels}", path=[self.name])
        if len(self.cells) != size or any(len(row) != size for row in self.cells):
            raise ConfigError(f"cells must be {size} rows of {size} priorities", path=[self.name])
        # Strings would compare as text, not by urgency: convert before checking order.
        cells = tuple(
            tuple(
                config_priority(value, self.name, self.levels[i], self.levels[u])
                for u, value in enumerate(row)
            )
            for i, row in enumerate(self.cells)
        )
        object.__setattr__(self, "cells", cells)
        _check_monotone(self.name, self.levels, self.cells)
        object.__setattr__(self, "_index", {level: i for i, level in enumerate(self.levels)})

    @classmethod
    def itil(cls) -> PriorityMatrix:
        """
        The ITIL 3x3 matrix as ServiceNow ships it: P1 for high/high down to P5 for low/low.
        """
        # One rank less urgent per step away from high/high on either axis.
        rows = [[Priority.from_rank(i + u + 1) for u in range(3)] for i in range(3)]
        return cls(THREE_LEVELS, rows, name="itil")

    @classmethod
    def five_by_five(cls) -> PriorityMatrix:
        """
        A 5x5 matrix over [`FIVE_LEVELS`][deskflow.priority.FIVE_LEVELS] in the style of GLPI's.

        The rank is half the sum of the two positions (1 = very_high), rounded down:
        very_high/very_high is P1, high/high P2, medium/medium P3, very_low/very_low P5.
        """
        rows = [[Priority.from_rank((i + u + 2) // 2) for u in range(5)] for i in range(5)]
        return cls(FIVE_LEVELS, rows, name="five_by_five")

    @classmethod
    def from_mapping(
        cls, spec: object, *, levels: Sequence[str] | None = None, name: str = "custom"
    ) -> PriorityMatrix:
        """
        A matrix from configuration, validated.

        ``spec`` is ``{impact: {urgency: priority}}`` or a list of rows ``{"impact": ...,
        "urgency": ..., "priority": ...}``; levels and priorities may be strings or enum
        members. Without ``levels`` the scale is
        [`THREE_LEVELS`][deskflow.priority.THREE_LEVELS], or
        [`FIVE_LEVELS`][deskflow.priority.FIVE_LEVELS] if the names need it. Every problem is a
        [`ConfigError`][deskflow.exceptions.ConfigError] naming the offending cell.
        """
        if levels is not None and (isinstance(levels, str) or not all(map(named, levels))):
            raise ConfigError(f"levels must be a list of level names, got {levels!r}", path=[name])
        entries = _entries(spec, name)
        used = {level for impact, urgency, _, _ in entries for level in (impact, urgency)}
        if levels is not None:
            scale = tuple(map(str, levels))
        else:
            scale = THREE_LEVELS if used <= set(THREE_LEVELS) else FIVE_LEVELS
        position = {level: i for i, level in enumerate(scale)}
        found: dict[tuple[int, int], Priority] = {}
        for impact, urgency, value, path in entries:
            for axis, level in (("impact", impact), ("urgency", urgency)):
                if level not in position:
                    known = ", ".join(scale)
                    raise ConfigError(f"unknown {axis} level {level!r}; known: {known}", path=path)
            key = (position[impact], position[urgency])
            if key in found:
                raise ConfigError(f"cell {_cell(scale, *key)} is given twice", path=path)
            found[key] = config_priority(value, *path)
        size = range(len(scale))
        missing = [_cell(scale, i, u) for i in size for u in size if (i, u) not in found]
        if missing:
            raise ConfigError(f"missing cells: {', '.join(missing)}", path=[name])
        return cls(scale, [[found[i, u] for u in size] for i in size], name=name)

    def priority(self, impact: str, urgency: str) -> Priority:
        """
        The priority in the cell of ``impact`` and ``urgency``.
        """
        return self.cells[self._position("impact", impact)][self._position("urgency", urgency)]

    def prioritize(self, facts: PriorityFacts) -> PriorityDecision:
        """
        Look the facts up in the matrix.
        """
        found = self.priority(facts.impact, facts.urgency)
        return PriorityDecision(
            found,
            self.name,
            f"impact {facts.impact} and urgency {facts.urgency} give {found} in the "
            f"{self.name} matrix",
        )

    def _position(self, axis: str, level: object) -> int:
        found = self._index.get(level) if isinstance(level, str) else None
        if found is None:
            raise InvalidInput(
                f"{axis} {level!r} is not a level of the {self.name} matrix "
                f"({', '.join(self.levels)})"
            )
        return found


_Entry = tuple[str, str, object, tuple[str | int, ...]]


def _entries(spec: object, name: str) -> list[_Entry]:
    # Flatten either accepted shape into (impact, urgency, priority, path) entries.
    raw: list[tuple[object, object, object, tuple[str | int, ...]]] = []
    if isinstance(spec, Mapping):
        for impact, row in spec.items():
            if not isinstance(row, Mapping):
                raise ConfigError(f"expected urgency -> priority, got {row!r}", path=[name, impact])
            raw.extend(
                (impact, urgency, value, (name, impact, urgency)) for urgency, value in row.items()
            )
    elif isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        for n, row in enumerate(spec):
            if not isinstance(row, Mapping) or {"impact", "urgency", "priority"} - set(row):
                raise ConfigError(
                    f"expected impact, urgency, priority; got {row!r}", path=[name, n]
                )
            raw.append((row["impact"], row["urgency"], row["priority"], (name, n)))
    else:
        raise ConfigError(
            "expected {impact: {urgency: priority}} or a list of {impact, urgency, priority} "
            f"rows, got {type(spec).__name__}",
            path=[name],
        )
    for impact, urgency, _, path in raw:
        if not (named(impact) and named(urgency)):
            raise ConfigError(f"levels must be names, got {impact!r}, {urgency!r}", path=path)
    # StrEnum members equal their values but print as <Impact.HIGH: 'high'>; keep values.
    return [(str(i), str(u), v, p) for i, u, v, p in raw]


def _check_monotone(name: str, levels: Sequence[str], cells: Sequence[Sequence[Priority]]) -> None:
    # Comparing each cell with its two less severe neighbours suffices: order is transitive.
    size = len(levels)
    faults = [
        (
            i,
            u,
            f"cell {_cell(levels, i, u)}={cells[i][u]} is lower than "
            f"{_cell(levels, j, v)}={cells[j][v]}",
        )
        for i in range(size)
        for u in range(size)
        for j, v in ((i + 1, u), (i, u + 1))
        if j < size and v < size and cells[i][u] < cells[j][v]
    ]
    if faults:
        message = "; ".join(text for _, _, text in faults)
        path = [name, levels[faults[0][0]], levels[faults[0][1]]]
        raise ConfigError(f"{message} (raising impact or urgency must never lower it)", path=path)
