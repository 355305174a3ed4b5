"""
Who acts on a desk under test: the cast a DeskStateMachine draws actors from, derived from the
desk's own configuration (its groups, tiers, supervisors, managers and approvers) plus the
actors a subclass names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs

from deskflow.actors import Actor
from deskflow.calendars import BusinessCalendar
from deskflow.config import DEFAULT_CONFIG, load_desk
from deskflow.desk import Desk
from deskflow.enums import Role
from deskflow.escalation import CompositePolicy
from deskflow.exceptions import ConfigError
from deskflow.policies.notices import MappingDirectory
from deskflow.policies.tiers import FunctionalTiers

#: The requesters every cast has: two, so one can try the other's tickets.
DEFAULT_REQUESTERS = (Actor("ann", Role.REQUESTER), Actor("zoe", Role.REQUESTER))
#: The groups of a desk whose configuration names none.
DEFAULT_GROUPS = ("service-desk",)


@attrs.frozen
class Cast:
    """
    The actors of a run, by id, with the ids the machine draws for each kind of command.
    """

    actors: tuple[Actor, ...]
    groups: tuple[str, ...]
    categories: tuple[str, ...]
    services: tuple[str, ...]

    @property
    def by_id(self) -> dict[str, Actor]:
        """
        Each actor by id.
        """
        return {actor.id: actor for actor in self.actors}

    @property
    def ids(self) -> tuple[str, ...]:
        """
        Every actor's id.
        """
        return tuple(actor.id for actor in self.actors)

    @property
    def staff(self) -> tuple[str, ...]:
        """
        The ids of those who work tickets (agents, supervisors, admins).
        """
        return tuple(actor.id for actor in self.actors if actor.is_agent)

    @property
    def requesters(self) -> tuple[str, ...]:
        """
        The ids of plain requesters: they only ever act on their own tickets.
        """
        return tuple(actor.id for actor in self.actors if actor.role is Role.REQUESTER)

    @property
    def outsiders(self) -> tuple[str, ...]:
        """
        The ids of everyone who is not staff: what they see is filtered of internal entries.
        """
        return tuple(actor.id for actor in self.actors if not actor.is_agent)

    @property
    def assignees(self) -> tuple[str, ...]:
        """
        The ids a ticket may be assigned to: agents and supervisors.
        """
        return tuple(
            actor.id for actor in self.actors if actor.role in (Role.AGENT, Role.SUPERVISOR)
        )


def resolve_desk(config: object) -> Desk:
    """
    The desk ``config`` describes: a Desk as it is, a path or a mapping through
    ``load_desk``, None for the default desk.
    """
    if isinstance(config, Desk):
        return config
    if config is None:
        config = DEFAULT_CONFIG
    if isinstance(config, (str, Path, Mapping)):
        return load_desk(config)
    raise ConfigError(
        f"DeskStateMachine.config must be a Desk, a file path or a mapping, got {config!r}"
    )


def _escalation_groups(desk: Desk) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    pending: list[object] = list(desk.escalation.values())
    while pending:
        policy = pending.pop()
        if isinstance(policy, CompositePolicy):
            pending.extend(policy.policies)
        elif isinstance(policy, FunctionalTiers):
            found.extend(sorted(policy.tiers.items()))
    return found


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def cast_for(desk: Desk, extra: Sequence[Actor] = (), *, derive: bool = True) -> Cast:
    """
    The cast of ``desk``: with ``derive``, two requesters, an agent at tier 1 and one at
    tier 2 for every group the desk names (escalation tiers, supervisors), each group's
    supervisor, the managers and approvers the configuration names as approvers, an admin;
    then ``extra`` (an actor of ``extra`` replaces a derived one of the same id).
    """
    actors: dict[str, Actor] = {}
    tiers = _escalation_groups(desk)
    directory = desk.directory if isinstance(desk.directory, MappingDirectory) else None
    supervised = {} if directory is None else dict(directory.supervisors)
    groups = _unique([g for _, g in tiers] + [g for g in supervised if g != "*"])
    if derive:
        for requester in DEFAULT_REQUESTERS:
            actors[requester.id] = requester
        for group in groups or DEFAULT_GROUPS:
            for tier in (1, 2):
                agent = f"{group}.{tier}"
                actors[agent] = Actor(agent, Role.AGENT, tier=tier, groups={group})
        if directory is not None:
            for agent, manager in directory.managers.items():
                actors.setdefault(manager, Actor(manager, Role.APPROVER))
                if agent not in actors:
                    group = (groups or DEFAULT_GROUPS)[0]
                    actors[agent] = Actor(agent, Role.AGENT, tier=1, groups={group})
            supervisors: dict[str, set[str]] = {}
            for group, supervisor in supervised.items():
                supervisors.setdefault(supervisor, set())
                if group != "*":
                    supervisors[supervisor].add(group)
            for supervisor, theirs in supervisors.items():
                actors[supervisor] = Actor(supervisor, Role.SUPERVISOR, groups=theirs)
        if desk.approval is not None:
            for stage in desk.approval.stages:
                for approver in stage.approvers:
                    if approver not in actors or actors[approver].role is Role.APPROVER:
                        actors[approver] = Actor(approver, Role.APPROVER)
        actors["admin"] = Actor("admin", Role.ADMIN)
    for actor in extra:
        actors[actor.id] = actor
    all_groups = _unique([*groups, *(g for a in actors.values() for g in sorted(a.groups))])
    categories: list[str] = []
    services: list[str] = []
    if desk.approval is not None:
        categories.extend(sorted(desk.approval.categories))
        services.extend(sorted(desk.approval.services))
    return Cast(
        tuple(actors.values()),
        all_groups or DEFAULT_GROUPS,
        _unique([*categories, "software"]),
        _unique([*services, "email"]),
    )


def desk_zone(desk: Desk) -> ZoneInfo:
    """
    The time zone of the desk's first SLA calendar (the clock's start is given there).
    """
    for policy in desk.sla.values():
        calendar: object = policy.calendar
        if not isinstance(calendar, BusinessCalendar):
            calendar = getattr(calendar, "default", None)
        if isinstance(calendar, BusinessCalendar):
            return ZoneInfo(calendar.timezone)
    return ZoneInfo("UTC")


def default_start(desk: Desk) -> datetime:
    """
    A Friday half an hour before a 17:00 closing in the desk's zone, two days before the
    European clocks go forward: the first advances cross closing time, a weekend and a DST
    change.
    """
    return datetime(2026, 3, 27, 16, 30, tzinfo=desk_zone(desk))
