"""
The help-desk simulator: try a desk's policies on simulated traffic before going live.

[`simulate()`][deskflow.simulation.simulate] runs the REAL
[`HelpDesk`][deskflow.service.HelpDesk], with the configuration under test, on a simulated
desk: tickets arriving as Poisson processes per hour of the week, agents on shifts pulling
work through the pull queue, handling times, requesters who reply late, holds, escalations,
and the desk's ``tick()`` on its schedule, all on a virtual clock driven by SimPy (the
``sim`` extra). Its figures are [`desk_report()`][deskflow.reports.desk_report] over the
simulated histories, the same code that reports on a real store.
[`compare()`][deskflow.simulation.compare] runs two desks on the same arrivals over several
seeds and gives each figure's difference with a 95% confidence interval. The traffic and
the staff are a [`Scenario`][deskflow.simulation.Scenario], read by
[`load_scenario()`][deskflow.simulation.load_scenario]; the package ships one,
[`DEFAULT_SCENARIO`][deskflow.simulation.DEFAULT_SCENARIO].
"""

from __future__ import annotations

from deskflow.simulation.results import Comparison, Series, SimulationResult
from deskflow.simulation.runner import compare, simulate
from deskflow.simulation.scenario import (
    DEFAULT_SCENARIO,
    AgentPool,
    ArrivalStream,
    Burst,
    Distribution,
    Scenario,
    Surge,
    TicketMix,
    load_scenario,
)

__all__ = [
    "DEFAULT_SCENARIO",
    "AgentPool",
    "ArrivalStream",
    "Burst",
    "Comparison",
    "Distribution",
    "Scenario",
    "Series",
    "SimulationResult",
    "Surge",
    "TicketMix",
    "compare",
    "load_scenario",
    "simulate",
]
