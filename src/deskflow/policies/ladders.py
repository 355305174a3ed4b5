"""
The escalation ladder: page level after level until someone acknowledges, as PagerDuty's
escalation policies do.

A [`Ladder`][deskflow.policies.ladders.Ladder] is a list of levels, each with its targets (agent
ids) and the delay before the next level is paged; after the last level it starts again,
``loops`` more times. A level pages all its targets at once, or one per pass in turn
(round-robin); a level with no targets is skipped. Paging stops for the cycle when someone
acknowledges (an [`Acknowledged`][deskflow.events.Acknowledged] event, or the ticket entering an
acknowledging state such as in_progress) or when the ticket is resolved; a reopen starts the
ladder again.

Timing is wall-clock from the start of the cycle: the ticket's opening or its reopen. A
[`LadderPolicy`][deskflow.policies.ladders.LadderPolicy] keeps dated versions of the ladder and
pages each ticket by the version in effect when the ticket was opened, so publishing a new
ladder never changes the paging of tickets already open.

>>> from datetime import datetime, timedelta, timezone
>>> from deskflow import INCIDENT
>>> from deskflow.calendars import BusinessCalendar
>>> from deskflow.sla import SlaPolicy
>>> ladder = Ladder([LadderLevel(["kim"], delay=timedelta(minutes=15)), LadderLevel(["mia"])])
>>> policy = LadderPolicy(ladder, name="on-call")
>>> opened = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
>>> t = INCIDENT.open("INC-9", title="Site down", requester="monitoring", at=opened)
>>> now = opened + timedelta(minutes=20)
>>> report = SlaPolicy.itil(BusinessCalendar.always("UTC")).evaluate(t, now)
>>> for page in policy.evaluate(t, report, now):
...     print(page.recipients, page.dedup_key)
('kim',) INC-9|on-call|ladder|c1|level1-loop0
('mia',) INC-9|on-call|ladder|c1|level2-loop0
>>> t = t.record(Acknowledged(at=now, actor="mia"))
>>> policy.evaluate(t, report, now + timedelta(hours=1))
[]
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal import escalation_support as support
from deskflow.dedup import WorkCycle, action_key, current_cycle, fired_keys
from deskflow.enums import Metric, State
from deskflow.escalation import EscalationAction, Notify, check_evaluation
from deskflow.events import Acknowledged, StateChanged
from deskflow.exceptions import ConfigError, InvalidInput
from deskflow.sla import SlaReport
from deskflow.states import Workflow
from deskflow.ticket import Ticket
from deskflow.workflows import INCIDENT

__all__ = [
    "MAX_LOOPS",
    "MIN_DELAY",
    "Ladder",
    "LadderLevel",
    "LadderPolicy",
    "LadderStep",
    "LadderVersion",
    "LevelMode",
]

#: PagerDuty's limits: at least a minute between levels, at most nine repeats.
MIN_DELAY: Final = timedelta(minutes=1)
MAX_LOOPS: Final = 9

#: Since always: the ``effective_from`` of a ladder given without a date.
_ALWAYS: Final = datetime.min.replace(tzinfo=UTC)


class LevelMode(enum.StrEnum):
    """
    How a level pages its targets: all at once, or one per pass in turn.
    """

    ALL = "all"
    ROUND_ROBIN = "round_robin"


def _targets(value: object) -> tuple[str, ...]:
    # A lone string would otherwise be split into its characters.
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, Iterable):
        raise ConfigError(f"expected agent ids, got {value!r}", path=["targets"])
    out = tuple(names)
    for name in out:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"a target is an agent id, got {name!r}", path=["targets"])
    return out


def _delay(value: object) -> timedelta:
    # A number is minutes, as PagerDuty's escalation_delay_in_minutes.
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = timedelta(minutes=value)
    if not isinstance(value, timedelta):
        raise ConfigError(f"expected a timedelta or minutes, got {value!r}", path=["delay"])
    if value < MIN_DELAY:
        raise ConfigError(f"must be at least 1 minute, got {value}", path=["delay"])
    return value


def _mode(value: object) -> LevelMode:
    try:
        return _checks.member("mode", LevelMode, value)
    except InvalidInput as error:
        raise ConfigError(str(error), path=["mode"]) from None


@attrs.frozen
class LadderLevel:
    """
    One level of a ladder: who is paged, how, and how long before the next level is.

    ``delay`` is a timedelta or a number of minutes (at least one; 30 by default).
    """

    targets: tuple[str, ...] = attrs.field(converter=_targets)
    delay: timedelta = attrs.field(default=timedelta(minutes=30), converter=_delay)
    mode: LevelMode = attrs.field(default=LevelMode.ALL, converter=_mode)

    def paged(self, loop: int) -> tuple[str, ...]:
        """
        Who this level pages on pass ``loop`` (0 for the first): round-robin rotates by pass.
        """
        if self.mode is LevelMode.ROUND_ROBIN and self.targets:
            return (self.targets[loop % len(self.targets)],)
        return self.targets


def _reason(error: ConfigError) -> str:
    # The message without the path ConfigError put in front of it.
    where = ".".join(str(p) for p in error.path)
    text = str(error)
    return text[len(where) + 2 :] if where and text.startswith(where + ": ") else text


def _level(value: object, index: int) -> LadderLevel:
    if isinstance(value, LadderLevel):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"expected a LadderLevel or {{targets, delay, mode}}, got {value!r}",
            path=("levels", index),
        )
    unknown = sorted(set(map(str, value)) - {"targets", "delay", "mode"})
    if unknown:
        raise ConfigError(
            f"unknown fields {', '.join(unknown)}; a level has targets, delay and mode",
            path=("levels", index),
        )
    if "targets" not in value:
        raise ConfigError("a level needs targets (empty to skip it)", path=("levels", index))
    try:
        return LadderLevel(**value)
    except ConfigError as error:
        raise ConfigError(_reason(error), path=("levels", index, *error.path)) from None


def _levels(value: object) -> tuple[LadderLevel, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ConfigError(f"expected a list of levels, got {value!r}", path=["levels"])
    levels = tuple(_level(item, index) for index, item in enumerate(value))
    if not levels:
        raise ConfigError("a ladder needs at least one level", path=["levels"])
    if not any(level.targets for level in levels):
        raise ConfigError("no level of the ladder has a target", path=["levels"])
    return levels


def _loops(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOOPS:
        raise ConfigError(f"must be an int from 0 to {MAX_LOOPS}, got {value!r}", path=["loops"])
    return value


@attrs.frozen
class LadderStep:
    """
    One page of the ladder: ``offset`` after the cycle starts, level ``level`` (from 1) on
    pass ``loop`` (from 0) pages ``targets``.
    """

    offset: timedelta
    level: int
    loop: int
    targets: tuple[str, ...]

    @property
    def mark(self) -> str:
        """
        The step's part of the dedup key.
        """
        return f"level{self.level}-loop{self.loop}"


@attrs.frozen
class Ladder:
    """
    Levels paged one after the other, the whole ladder repeated ``loops`` times (0 to 9).

    >>> ladder = Ladder(
    ...     [{"targets": ["kim", "lee"], "delay": 5, "mode": "round_robin"},
    ...      {"targets": []},
    ...      {"targets": ["mia"], "delay": 10}],
    ...     loops=1,
    ... )
    >>> for step in ladder.steps:
    ...     print(step.offset, step.mark, step.targets)
    0:00:00 level1-loop0 ('kim',)
    0:05:00 level3-loop0 ('mia',)
    0:15:00 level1-loop1 ('lee',)
    0:20:00 level3-loop1 ('mia',)
    """

    levels: tuple[LadderLevel, ...] = attrs.field(converter=_levels)
    loops: int = attrs.field(default=0, converter=_loops)
    steps: tuple[LadderStep, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        steps: list[LadderStep] = []
        offset = timedelta(0)
        for loop in range(self.loops + 1):
            for number, level in enumerate(self.levels, start=1):
                # An empty level is skipped at once: its delay does not hold the ladder up.
                if level.targets:
                    steps.append(LadderStep(offset, number, loop, level.paged(loop)))
                    offset += level.delay
        object.__setattr__(self, "steps", tuple(steps))


@attrs.frozen
class LadderVersion:
    """
    A ladder and the instant from which it applies to newly opened tickets.
    """

    effective_from: datetime
    ladder: Ladder

    def __attrs_post_init__(self) -> None:
        try:
            _checks.aware("effective_from", self.effective_from)
        except InvalidInput as error:
            raise ConfigError(str(error), path=["versions"]) from None
        if not isinstance(self.ladder, Ladder):
            raise ConfigError(f"expected a Ladder, got {self.ladder!r}", path=["versions"])


def _versions(value: object) -> tuple[LadderVersion, ...]:
    items: Iterable[Any]
    if isinstance(value, Ladder):
        items = [LadderVersion(_ALWAYS, value)]
    elif isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, Iterable) and not isinstance(value, str):
        items = value
    else:
        raise ConfigError(f"expected a Ladder or dated ladders, got {value!r}", path=["versions"])
    out: list[LadderVersion] = []
    for item in items:
        if isinstance(item, LadderVersion):
            out.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            out.append(LadderVersion(*item))
        else:
            raise ConfigError(f"expected (effective_from, Ladder), got {item!r}", path=["versions"])
    if not out:
        raise ConfigError("a ladder policy needs at least one ladder", path=["versions"])
    out.sort(key=lambda v: v.effective_from)
    for before, after in itertools.pairwise(out):
        if before.effective_from == after.effective_from:
            raise ConfigError(
                f"two ladders take effect at {after.effective_from.isoformat()}",
                path=["versions"],
            )
    return tuple(out)


def _state_names(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, Iterable):
        raise ConfigError(f"expected state names, got {value!r}", path=["acknowledged_states"])
    return frozenset(str(name) for name in names)


@attrs.frozen
class LadderPolicy:
    """
    Pages a ticket's ladder — the version in effect when the ticket was opened — from the
    start of each cycle until someone acknowledges or the ticket is resolved.

    ``versions`` is a [`Ladder`][deskflow.policies.ladders.Ladder] (in effect since always),
    ``{effective_from: ladder}`` or ``(effective_from, ladder)`` pairs. Entering a state that
    stops the resolution clock, or one of ``acknowledged_states`` (the workflow's in_progress or
    in_fulfilment by default), counts as an acknowledgement, except for the reopen that starts a
    cycle.
    """

    versions: tuple[LadderVersion, ...] = attrs.field(converter=_versions)
    name: str = attrs.field(default="ladder", validator=support.config_text, kw_only=True)
    workflow: Workflow = attrs.field(default=INCIDENT, repr=support.workflow_repr, kw_only=True)
    acknowledged_states: frozenset[str] | None = attrs.field(
        default=None, converter=_state_names, kw_only=True
    )
    template: str = attrs.field(default="ladder-page", validator=support.config_text, kw_only=True)

    def __attrs_post_init__(self) -> None:
        states = self.acknowledged_states
        if states is None:
            working = {State.IN_PROGRESS, State.IN_FULFILMENT}
            states = frozenset(s for s in self.workflow.states if s in working)
        for state in sorted(states):
            if state not in self.workflow.states:
                raise ConfigError(
                    f"unknown state {state!r} of workflow {self.workflow.name!r}",
                    path=["acknowledged_states"],
                )
        object.__setattr__(self, "acknowledged_states", states)

    @classmethod
    def from_levels(
        cls, levels: Iterable[LadderLevel | Mapping[str, Any]], loops: int = 0, **options: Any
    ) -> LadderPolicy:
        """
        A policy with one ladder, in effect since always (the ``ladder`` plug-in).
        """
        return cls(Ladder(levels, loops), **options)

    def publish(self, effective_from: datetime, ladder: Ladder) -> LadderPolicy:
        """
        This policy with ``ladder`` in effect for tickets opened from ``effective_from`` on.
        """
        _checks.aware("effective_from", effective_from)
        return attrs.evolve(self, versions=(*self.versions, LadderVersion(effective_from, ladder)))

    def ladder_for(self, ticket: Ticket) -> Ladder | None:
        """
        The ladder in effect when ``ticket`` was opened, or None if none was yet.
        """
        found = None
        for version in self.versions:
            if version.effective_from <= ticket.created_at:
                found = version.ladder
        return found

    def _stopped_at(self, ticket: Ticket, cycle: WorkCycle) -> datetime | None:
        # The event that began the cycle (a reopen into in_progress) is not an ack.
        acks = self.acknowledged_states or frozenset()
        for event in ticket.history[cycle.start + 1 :]:
            if isinstance(event, Acknowledged):
                return event.at
            if isinstance(event, StateChanged) and (
                event.dest in acks or self.workflow.stops_metric(event.dest, Metric.RESOLUTION)
            ):
                return event.at
        return None

    def _open_steps(self, ticket: Ticket) -> list[tuple[datetime, str, LadderStep, int]]:
        """
        The steps of the current cycle not paged yet, with their instants and keys; none
        once someone acknowledged or the ticket was resolved.
        """
        ladder = self.ladder_for(ticket)
        if ladder is None:
            return []
        cycle = current_cycle(ticket, self.workflow)
        if self._stopped_at(ticket, cycle) is not None:
            return []
        # Wall-clock time: add in UTC, so a DST change does not shift a page by an hour.
        start = cycle.started_at.astimezone(UTC)
        fired = fired_keys(ticket)
        out = []
        for step in ladder.steps:
            at = start + step.offset
            key = action_key(ticket.id, self.name, "ladder", cycle.number, step.mark)
            if key not in fired:
                out.append((at, key, step, cycle.number))
        return out

    def evaluate(self, ticket: Ticket, sla: SlaReport, now: datetime) -> list[EscalationAction]:
        """
        A page for every step of the current cycle that is due and not paged yet.
        """
        check_evaluation(ticket, sla, now)
        ladder = self.ladder_for(ticket)
        loops = ladder.loops if ladder else 0
        return [
            Notify(
                recipients=step.targets,
                template=self.template,
                dedup_key=key,
                reason=(
                    f"level {step.level}, pass {step.loop + 1} of {loops + 1} of ladder "
                    f"{self.name!r}: not acknowledged {step.offset} into cycle {cycle}"
                ),
            )
            for at, key, step, cycle in self._open_steps(ticket)
            if at <= now
        ]

    def next_check_at(self, ticket: Ticket, sla: SlaReport, now: datetime) -> datetime | None:
        """
        ``now`` if a page is due, else when the next step is, or None once the ladder stopped
        or ran out.
        """
        check_evaluation(ticket, sla, now)
        return self.next_check_without_report(ticket, now)

    def next_check_without_report(self, ticket: Ticket, now: datetime) -> datetime | None:
        """
        `next_check_at()` without the SLA report, which a ladder never reads: the service
        then needs none to schedule the ticket.
        """
        _checks.aware("now", now)
        instants = [at for at, _, _, _ in self._open_steps(ticket)]
        if not instants:
            return None
        return max(min(instants), now)
