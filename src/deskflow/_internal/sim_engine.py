"""
The simulator's machinery: SimPy processes driving a real HelpDesk on a virtual clock.

Arrivals are Poisson processes (piecewise constant per hour), agents are processes that
follow their shift's business calendar and pull the next ticket through the real pull
queue ([`next_ticket()`][deskflow.policies.queues.next_ticket]), the desk ticks on the
scenario's schedule, and requesters, approvers and vendors answer after random delays
(plain timeouts with a callback: cheaper than a process each). Every change goes through
the HelpDesk's commands; the engine only keeps, for speed, which tickets wait for an agent
in which group, refreshed from the repository after each command.

Randomness comes from ``random.Random`` streams seeded from the run's seed and a name:
one per arrival stream (so two desks compared get the same arrivals) and one per ticket
(its outcomes and handling times), never the global generator.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Generator
from typing import Any

import attrs
import simpy

from deskflow._internal.sim_parts import Agent, SimulationClock, Work
from deskflow.actors import Actor
from deskflow.adapters.memory import InMemoryNotifier, InMemoryTicketRepository
from deskflow.approval import approval_status
from deskflow.desk import Desk
from deskflow.enums import Role, State, TicketKind
from deskflow.exceptions import DeskflowError
from deskflow.policies.queues import next_ticket
from deskflow.routing import Candidate
from deskflow.service import HelpDesk
from deskflow.simulation.scenario import ArrivalStream, Burst, Scenario, TicketMix
from deskflow.ticket import Ticket

__all__ = ["Engine"]

Process = Generator[simpy.Event, Any, None]

_DAY = 86400.0
_WAITING = frozenset({State.PENDING, State.ON_HOLD, State.AWAITING_APPROVAL})
_SOLVED = frozenset({State.RESOLVED, State.FULFILLED})
_NEW = frozenset({State.NEW, State.SUBMITTED, State.APPROVED})


class Engine:
    """
    One run: a HelpDesk over in-memory adapters on a virtual clock, and the processes.
    """

    def __init__(self, desk: Desk, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.env = simpy.Environment()
        self.clock = SimulationClock(self.env, scenario.start)
        self.repository = InMemoryTicketRepository()
        self.notifier = InMemoryNotifier()
        self.service = HelpDesk(self.repository, self.notifier, self.clock, desk)
        self.desk = desk
        self.work: dict[str, Work] = {}
        self.order: list[str] = []
        self.queues: dict[str, dict[str, Ticket]] = {}
        self.backlog: set[str] = set()
        self.idle: dict[str, tuple[simpy.Event, Agent]] = {}
        self.alerts = 0
        self.alert_repeats = 0
        self.refused = 0
        self.samples: list[tuple[float, int, dict[str, int], int]] = []
        self.dispatcher = Actor("sim.dispatcher", Role.SUPERVISOR)
        # The monitoring integration's account: it notes repeated alerts on any ticket.
        self.monitor = Actor("sim.monitoring", Role.SUPERVISOR)
        calendars = scenario.calendars()
        self.agents: list[Agent] = []
        for pool in scenario.agents:
            for i in range(1, pool.count + 1):
                name = f"{pool.name}-{i}"
                groups = frozenset(pool.groups)
                self.agents.append(
                    Agent(
                        Actor(name, Role.AGENT, tier=pool.tier, groups=groups),
                        Candidate(name, groups=groups),
                        pool,
                        calendars[pool.shift],
                    )
                )
        for pool in scenario.agents:
            for group in pool.groups:
                self.queues.setdefault(group, {})
        #: The group that takes tickets at each tier: the first pool's first group there.
        self.tier_groups: dict[int, str] = {}
        for pool in sorted(scenario.agents, key=lambda p: p.tier):
            self.tier_groups.setdefault(pool.tier, pool.groups[0])
        self.first_group = min(self.tier_groups.items())[1] if self.tier_groups else "service-desk"
        self.requesters = [
            Actor(f"requester-{i}", Role.REQUESTER) for i in range(1, scenario.requesters.count + 1)
        ]
        self.arrived = 0
        self._profiles: dict[str | None, tuple[tuple[float, ...], ...]] = {}

    # -- running ---------------------------------------------------------------------------

    def run(self, days: int, progress: Callable[[int, int], None] | None) -> None:
        """
        Start the processes and run ``days`` simulated days, reporting each day done.
        """
        for stream in self.scenario.arrivals:
            self.env.process(self._arrivals(stream))
        for burst in self.scenario.bursts:
            self.env.process(self._burst(burst))
        for agent in self.agents:
            self.env.process(self._agent(agent))
        self.env.process(self._ticks())
        self.env.process(self._sampler())
        for day in range(1, days + 1):
            self.env.run(until=day * _DAY)
            if progress is not None:
                progress(day, days)

    def tickets(self) -> list[Ticket]:
        """
        Every ticket the run opened, as stored, in the order they arrived.
        """
        return [self.repository.get(ticket_id) for ticket_id in self.order]

    # -- arrivals --------------------------------------------------------------------------

    def _rate(self, stream: ArrivalStream, weekday: int, hour: int) -> float:
        profile = self._profiles.setdefault(
            stream.profile, self.scenario.profile_table(stream.profile)
        )
        rate = stream.per_hour * profile[weekday][hour]
        for surge in self.scenario.surges:
            if (
                (surge.streams is None or stream.name in surge.streams)
                and weekday in surge.weekdays()
                and surge.hours[0] <= hour < surge.hours[1]
            ):
                rate *= surge.factor
        return rate

    def _arrivals(self, stream: ArrivalStream) -> Process:
        rng = random.Random(f"{self.seed}:arrivals:{stream.name}")
        weights = [m.share for m in stream.mix]
        zone = self.scenario.start.tzinfo
        number = 0
        while True:
            local = self.clock.now().astimezone(zone)
            hour_end = self.env.now + (3600 - local.minute * 60 - local.second)
            rate = self._rate(stream, local.weekday(), local.hour)
            if rate <= 0:
                yield self.env.timeout(hour_end - self.env.now)
                continue
            gap = rng.expovariate(rate / 3600)
            if self.env.now + gap >= hour_end:
                # Memoryless: the next hour draws afresh at its own rate.
                yield self.env.timeout(hour_end - self.env.now)
                continue
            yield self.env.timeout(gap)
            number += 1
            mix = rng.choices(stream.mix, weights)[0]
            requester = self.requesters[rng.randrange(len(self.requesters))]
            self._open(f"{stream.name}:{number}", requester, mix, stream.group)

    def _burst(self, burst: Burst) -> Process:
        rng = random.Random(f"{self.seed}:burst:{burst.alert_key}")
        yield self.env.timeout(burst.start.total_seconds())
        end = self.env.now + burst.duration.total_seconds()
        rate = burst.alerts_per_hour + burst.reports_per_hour
        number = 0
        while rate > 0:
            yield self.env.timeout(rng.expovariate(rate / 3600))
            if self.env.now >= end:
                return
            number += 1
            if rng.random() * rate < burst.alerts_per_hour:
                self._alert(burst)
            else:
                requester = self.requesters[rng.randrange(len(self.requesters))]
                self._open(f"{burst.alert_key}:{number}", requester, burst, burst.group)

    def _open(self, name: str, requester: Actor, mix: TicketMix | Burst, group: str | None) -> None:
        rng = random.Random(f"{self.seed}:ticket:{name}")
        work = self.scenario.work
        kind = mix.kind if isinstance(mix, TicketMix) else TicketKind.INCIDENT
        view = self._try(
            lambda: self.service.open(
                requester,
                title=f"{name} {mix.category or kind.value}",
                kind=kind,
                category=mix.category,
                service=mix.service,
                impact=mix.impact,
                urgency=mix.urgency,
            )
        )
        if view is None:
            return
        self._track(
            view.id,
            Work(
                rng,
                requester,
                ask=rng.random() < work.request_info,
                hold=rng.random() < work.hold,
                escalate=rng.random() < work.escalate,
                confirm=rng.random() < self.scenario.requesters.confirm,
            ),
            group,
        )

    def _alert(self, burst: Burst) -> None:
        self.alerts += 1
        view = self._try(
            lambda: self.service.open_from_alert(
                self.monitor,
                alert_key=burst.alert_key,
                title=burst.title,
                service=burst.service,
                category=burst.category,
                impact=burst.impact,
                urgency=burst.urgency,
            )
        )
        if view is None:
            return
        if view.id in self.work:
            self.alert_repeats += 1
            return
        rng = random.Random(f"{self.seed}:ticket:{view.id}")
        self._track(view.id, Work(rng, self.monitor, False, False, False, False), burst.group)

    def _track(self, ticket_id: str, work: Work, group: str | None) -> None:
        self.arrived += 1
        self.work[ticket_id] = work
        self.order.append(ticket_id)
        if group is None and self.desk.routing is not None:
            self._try(
                lambda: self.service.assign(self.dispatcher, ticket_id, candidates=self._roster())
            )
        work.group = group
        self._place(ticket_id)

    def _roster(self) -> list[Candidate]:
        now = self.clock.now()
        return [
            attrs.evolve(a.candidate, load=int(a.working))
            for a in self.agents
            if a.calendar.is_open(now)
        ]

    # -- where a ticket is -----------------------------------------------------------------

    def _place(self, ticket_id: str) -> None:
        """
        Put the ticket where its stored state says it is: done, waiting, or queued.
        """
        ticket = self.repository.get(ticket_id)
        work = self.work[ticket_id]
        for queue in self.queues.values():
            queue.pop(ticket_id, None)
        workflow = self.desk.workflow_for(ticket)
        state = ticket.state
        if workflow.is_final(state) or state in _SOLVED:
            self.backlog.discard(ticket_id)
            return
        self.backlog.add(ticket_id)
        if state in _WAITING or work.working:
            return
        group = ticket.group or work.group or self.first_group
        self.queues.setdefault(group, {})[ticket_id] = ticket
        self._wake(group, ticket.assignee)

    def _wake(self, group: str, assignee: str | None) -> None:
        for agent_id, (event, agent) in self.idle.items():
            if (assignee is None and group in agent.candidate.groups) or agent_id == assignee:
                del self.idle[agent_id]
                event.succeed()
                return

    def _try(self, command: Callable[[], Any]) -> Any:
        try:
            return command()
        except DeskflowError:
            self.refused += 1
            return None

    def _later(self, seconds: float, action: Callable[[], None]) -> None:
        event = self.env.timeout(seconds)
        event.callbacks.append(lambda _event: action())

    # -- agents ----------------------------------------------------------------------------

    def _agent(self, agent: Agent) -> Process:
        env, calendar = self.env, agent.calendar
        while True:
            now = self.clock.now()
            if not calendar.is_open(now):
                opens = calendar.next_open(now)
                agent.skip.clear()
                yield env.timeout(max(self.clock.seconds(opens) - env.now, 1.0))
                continue
            ticket = next_ticket(
                agent.candidate,
                itertools.chain.from_iterable(
                    self.queues.get(g, {}).values() for g in agent.pool.groups
                ),
                now,
                skip=agent.skip,
            )
            if ticket is None:
                wake = env.event()
                self.idle[agent.actor.id] = (wake, agent)
                if calendar.always_open:
                    yield wake
                else:
                    closes = self.clock.seconds(calendar.next_close(now))
                    yield wake | env.timeout(max(closes - env.now, 1.0))
                self.idle.pop(agent.actor.id, None)
                continue
            yield from self._handle(agent, ticket)

    def _handle(self, agent: Agent, ticket: Ticket) -> Process:
        ticket_id, work = ticket.id, self.work[ticket.id]
        for queue in self.queues.values():
            queue.pop(ticket_id, None)
        actor, service = agent.actor, self.service
        policy = self.desk.approval
        if policy is not None and ticket.state == State.SUBMITTED and policy.needs_approval(ticket):
            if self._try(lambda: service.request_approval(actor, ticket_id)):
                self._approver_later(ticket_id)
            else:
                agent.skip[ticket_id] = "could not ask for approval"
            self._place(ticket_id)
            return
        if ticket.assignee != actor.id or ticket.state in _NEW:
            group = ticket.group if ticket.group in agent.candidate.groups else agent.pool.groups[0]
            taken = self._try(
                lambda: service.assign(actor, ticket_id, group=group, assignee=actor.id)
            )
            if taken is None:
                agent.skip[ticket_id] = "could not take it"
                self._place(ticket_id)
                return
        work.working = agent.working = True
        current = self.repository.get(ticket_id)
        if current.state == State.ASSIGNED:
            self._try(lambda: service.start(actor, ticket_id))
        if not work.answered:
            work.answered = True
            self._try(lambda: service.comment(actor, ticket_id, body="Looking into it."))
        spell = agent.pool.handling.sample(work.rng)
        day = int(self.env.now // _DAY)
        yield self.env.timeout(spell)
        agent.busy += spell
        agent.busy_by_day[day] = agent.busy_by_day.get(day, 0.0) + spell
        work.working = agent.working = False
        self._finish(actor, ticket_id, work)
        self._place(ticket_id)

    def _finish(self, actor: Actor, ticket_id: str, work: Work) -> None:
        service, scenario = self.service, self.scenario
        if work.ask and not work.asked:
            work.asked = True
            if self._try(lambda: service.request_info(actor, ticket_id, question="Details?")):
                delay = scenario.requesters.reply_delay.sample(work.rng)
                self._later(delay, lambda: self._answer(ticket_id, work))
                return
        if work.hold and not work.held:
            work.held = True
            reason = scenario.work.hold_reason
            if self._try(lambda: service.hold(actor, ticket_id, reason=reason)):
                delay = scenario.work.hold_for.sample(work.rng)
                self._later(delay, lambda: self._resume(actor, ticket_id))
                return
        if work.escalate and not work.escalated:
            work.escalated = True
            ticket = self.repository.get(ticket_id)
            group = self.tier_groups.get(ticket.tier + 1)
            if (
                group is not None
                and ticket.kind is TicketKind.INCIDENT
                and self._try(
                    lambda: service.escalate(
                        actor, ticket_id, reason="Needs the next tier", group=group
                    )
                )
            ):
                return
        resolved = self._try(lambda: service.resolve(actor, ticket_id, resolution="Fixed."))
        if resolved and work.confirm:
            delay = scenario.requesters.confirm_delay.sample(work.rng)
            self._later(delay, lambda: self._confirm(ticket_id, work))

    # -- the others: requesters, vendors, approvers ----------------------------------------

    def _answer(self, ticket_id: str, work: Work) -> None:
        self._try(lambda: self.service.reply(work.requester, ticket_id, body="Here it is."))
        self._place(ticket_id)

    def _resume(self, actor: Actor, ticket_id: str) -> None:
        self._try(lambda: self.service.resume(actor, ticket_id))
        self._place(ticket_id)

    def _confirm(self, ticket_id: str, work: Work) -> None:
        ratings = self.scenario.requesters.ratings
        rating = work.rng.choices(range(1, 6), ratings)[0]
        self._try(lambda: self.service.close(work.requester, ticket_id, rating=rating))
        self._place(ticket_id)

    def _approver_later(self, ticket_id: str) -> None:
        work = self.work[ticket_id]
        delay = self.scenario.approvers.delay.sample(work.rng)
        self._later(delay, lambda: self._approve(ticket_id))

    def _approve(self, ticket_id: str) -> None:
        ticket = self.repository.get(ticket_id)
        awaiting = sorted(approval_status(ticket).awaiting - {ticket.requester})
        if awaiting:
            approver = Actor(awaiting[0], Role.APPROVER)
            self._try(lambda: self.service.approve(approver, ticket_id))
            if self.repository.get(ticket_id).state == State.AWAITING_APPROVAL:
                self._approver_later(ticket_id)  # the next stage
                return
        self._place(ticket_id)

    # -- the desk's own schedule -----------------------------------------------------------

    def _ticks(self) -> Process:
        every = self.scenario.tick_every.total_seconds()
        while True:
            yield self.env.timeout(every)
            while True:
                report = self.service.tick()
                for ticket_id in report.saved:
                    if ticket_id in self.work:
                        self._place(ticket_id)
                if len(report.checked) < 1000:
                    break

    def _sampler(self) -> Process:
        every = self.scenario.sample_every.total_seconds()
        while True:
            busy = sum(1 for a in self.agents if a.working)
            queues = {g: len(q) for g, q in self.queues.items()}
            self.samples.append((self.env.now, len(self.backlog), queues, busy))
            yield self.env.timeout(every)

    def shift_seconds(self, agent: Agent, start: float, end: float) -> float:
        """
        The agent's on-shift time between two simulated instants, in seconds.
        """
        return agent.calendar.elapsed(self.clock.at(start), self.clock.at(end)).total_seconds()
