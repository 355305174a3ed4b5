"""
The simulator's small parts: the virtual clock and its notes on agents and tickets.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import attrs
import simpy

from deskflow.actors import Actor
from deskflow.calendars import BusinessCalendar
from deskflow.routing import Candidate
from deskflow.simulation.scenario import AgentPool

__all__ = ["Agent", "SimulationClock", "Work"]


class SimulationClock:
    """
    A Clock whose ``now()`` is the SimPy environment's time (seconds) after ``start``.
    """

    def __init__(self, env: simpy.Environment, start: datetime) -> None:
        self.env = env
        self.start = start.astimezone(UTC)

    def now(self) -> datetime:
        """
        The virtual instant, in UTC.
        """
        return self.start + timedelta(seconds=self.env.now)

    def at(self, seconds: float) -> datetime:
        """
        The instant ``seconds`` after the start.
        """
        return self.start + timedelta(seconds=seconds)

    def seconds(self, instant: datetime) -> float:
        """
        Seconds from the start to ``instant``.
        """
        return (instant - self.start).total_seconds()


@attrs.define(eq=False)
class Agent:
    """
    One simulated agent: the actor, the roster entry, the pool, the shift and the time
    spent working (in total and per day).
    """

    actor: Actor
    candidate: Candidate
    pool: AgentPool
    calendar: BusinessCalendar
    busy: float = 0.0
    busy_by_day: dict[int, float] = attrs.Factory(dict)
    working: bool = False
    #: Tickets this agent could not take (refused), with why: skipped in the pull queue
    #: until the agent's next shift.
    skip: dict[str, str] = attrs.Factory(dict)


@attrs.define(eq=False)
class Work:
    """
    The simulator's notes on one ticket: its random stream, the outcomes drawn for it when
    it arrived, which of them were used, and the group it waits in.
    """

    rng: random.Random
    requester: Actor
    ask: bool
    hold: bool
    escalate: bool
    confirm: bool
    asked: bool = False
    held: bool = False
    escalated: bool = False
    working: bool = False
    group: str | None = None
    answered: bool = False
