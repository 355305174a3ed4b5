"""
What a simulation produced: the desk report over the simulated histories, the series over
time, and the comparison of two desks over several seeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from deskflow._internal.json_forms import json_value
from deskflow._internal.sim_stats import mean_interval
from deskflow.enums import Metric
from deskflow.reports import DeskReport
from deskflow.simulation.scenario import Scenario
from deskflow.ticket import Ticket

__all__ = ["Comparison", "Series", "SimulationResult"]

#: One row of a comparison: label, mean of a, mean of b, difference (b - a), 95% interval.
Row = tuple[str, float | None, float | None, float | None, float | None, float | None]


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 3600


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _duration(hours: float | None) -> str:
    if hours is None:
        return "-"
    minutes = round(hours * 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


@attrs.frozen
class Series:
    """
    The simulated desk over time.

    Sampled every ``sample_every`` of the scenario, at ``at``: ``backlog`` (tickets neither
    resolved nor final), ``queues`` (per group, tickets waiting for an agent: not being
    worked, not waiting for the requester, a vendor or an approver) and ``busy`` (agents
    working a ticket). Per simulated day, from ``days`` (each day's start): ``compliance``
    (per SLA metric, the share of clocks decided that day that were met; None if none was
    decided), ``utilisation`` (the share of on-shift agent time spent working; None with
    nobody on shift) and ``opened``. ``first_response_hours`` and ``resolution_hours`` hold
    each ticket's times, for distributions.
    """

    at: tuple[datetime, ...]
    backlog: tuple[int, ...]
    queues: Mapping[str, tuple[int, ...]]
    busy: tuple[int, ...]
    days: tuple[datetime, ...]
    opened: tuple[int, ...]
    compliance: Mapping[Metric, tuple[float | None, ...]]
    utilisation: tuple[float | None, ...]
    first_response_hours: tuple[float, ...]
    resolution_hours: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        """
        The series as JSON values (instants as ISO 8601 UTC strings).
        """
        return {
            "at": [json_value(t) for t in self.at],
            "backlog": list(self.backlog),
            "queues": {g: list(v) for g, v in self.queues.items()},
            "busy": list(self.busy),
            "days": [json_value(t) for t in self.days],
            "opened": list(self.opened),
            "compliance": {str(m): list(v) for m, v in self.compliance.items()},
            "utilisation": list(self.utilisation),
            "first_response_hours": list(self.first_response_hours),
            "resolution_hours": list(self.resolution_hours),
        }


@attrs.frozen
class SimulationResult:
    """
    One simulated run: the scenario and seed, the period simulated, the tickets (their full
    histories), the [`DeskReport`][deskflow.reports.DeskReport] that
    [`desk_report()`][deskflow.reports.desk_report] computes from them (grouped by priority),
    and what the simulator counted besides: arrivals, monitoring alerts (and the repeats
    the desk folded into an open incident), notifications sent, escalations, refused
    commands, and each agent pool's utilisation (working time over on-shift time).
    """

    scenario: Scenario
    seed: int
    start: datetime
    end: datetime
    tickets: tuple[Ticket, ...] = attrs.field(repr=False)
    report: DeskReport = attrs.field(repr=False)
    series: Series = attrs.field(repr=False)
    arrivals: int
    alerts: int
    alert_repeats: int
    notices: int
    escalations: int
    refused: int
    utilisation: Mapping[str, float | None]

    @property
    def final_counts(self) -> Mapping[str, int]:
        """
        How the arrivals ended: ``open`` (backlog), ``resolved`` (resolved, not closed),
        ``closed`` and ``cancelled`` (final states), counted from the tickets' states.
        """
        counts = {"open": 0, "resolved": 0, "closed": 0, "cancelled": 0}
        for ticket in self.tickets:
            state = str(ticket.state)
            if state in ("closed", "cancelled", "rejected"):
                counts["closed" if state == "closed" else "cancelled"] += 1
            elif state in ("resolved", "fulfilled"):
                counts["resolved"] += 1
            else:
                counts["open"] += 1
        return counts

    def figures(self) -> dict[str, float | None]:
        """
        The headline figures as numbers, by label: SLA compliance per metric (a share),
        times to first response and to resolution (hours), backlog at the end, escalations,
        notices and utilisation. [`summary()`][deskflow.simulation.SimulationResult.summary]
        formats them; a [`Comparison`][deskflow.simulation.Comparison] compares them.
        """
        report = self.report
        out: dict[str, float | None] = {
            "tickets opened": float(report.volume.opened),
            "tickets resolved": float(report.volume.resolved),
            "backlog at end": float(report.volume.backlog),
        }
        for metric in Metric:
            compliance = report.sla.get(metric)
            if compliance is not None and compliance.met + compliance.breached:
                out[f"SLA {metric} met"] = compliance.rate
        first, resolve = report.time_to_first_response, report.time_to_resolve
        out |= {
            "first response median (h)": _hours(first.median),
            "first response p90 (h)": _hours(first.p90),
            "resolution median (h)": _hours(resolve.median),
            "resolution p90 (h)": _hours(resolve.p90),
            "escalations": float(self.escalations),
            "notices sent": float(self.notices),
        }
        busy = [u for u in self.utilisation.values() if u is not None]
        out["agent utilisation"] = sum(busy) / len(busy) if busy else None
        return out

    def summary(self) -> list[tuple[str, str]]:
        """
        The headline figures as ``(label, formatted value)`` rows, for a table.
        """
        local = self.start.astimezone(self.scenario.start.tzinfo)
        rows: list[tuple[str, str]] = [
            ("simulated", f"{(self.end - self.start).days} days from {local:%a %Y-%m-%d %H:%M}"),
            ("seed", str(self.seed)),
        ]
        for label, value in self.figures().items():
            rows.append((label, _format(label, value)))
        for pool, share in self.utilisation.items():
            rows.append((f"utilisation {pool}", _percent(share)))
        return rows

    def priority_rows(self) -> list[tuple[str, str, str, str]]:
        """
        Per priority: ``(priority, tickets opened, first response met, resolution met)``.
        """
        rows = []
        for key, part in self.report.groups.items():
            first = part.sla.get(Metric.FIRST_RESPONSE)
            resolution = part.sla.get(Metric.RESOLUTION)
            rows.append(
                (
                    key or "none",
                    str(part.volume.opened),
                    _percent(first.rate if first else None),
                    _percent(resolution.rate if resolution else None),
                )
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """
        The result as JSON values: the run, its figures, the report and the series (the
        tickets' histories are left out; the report is made from them).
        """
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "start": json_value(self.start),
            "end": json_value(self.end),
            "arrivals": self.arrivals,
            "alerts": self.alerts,
            "alert_repeats": self.alert_repeats,
            "notices": self.notices,
            "escalations": self.escalations,
            "refused": self.refused,
            "final": dict(self.final_counts),
            "utilisation": dict(self.utilisation),
            "figures": self.figures(),
            "report": self.report.to_dict(),
            "series": self.series.to_dict(),
        }


def _format(label: str, value: float | None) -> str:
    if value is None:
        return "-"
    if label.startswith("SLA") or label == "agent utilisation":
        return _percent(value)
    if label.endswith("(h)"):
        return _duration(value)
    return f"{value:.0f}"


@attrs.frozen
class Comparison:
    """
    Two desks run on the same arrivals over several seeds: ``a`` and ``b`` hold each
    seed's result. [`rows()`][deskflow.simulation.Comparison.rows] compares the figures.
    """

    label_a: str
    label_b: str
    seeds: tuple[int, ...]
    a: tuple[SimulationResult, ...] = attrs.field(repr=False)
    b: tuple[SimulationResult, ...] = attrs.field(repr=False)

    def rows(self) -> list[Row]:
        """
        Per figure: ``(label, mean_a, mean_b, difference, ci_low, ci_high)``, the
        difference being b - a, paired seed by seed, with its 95% confidence interval
        (Student's t over the seeds). A figure missing in some seed's run (no clock decided,
        nothing resolved) is compared over the seeds that have it; None where none has it.
        """
        labels = list(dict.fromkeys([*self.a[0].figures(), *self.b[0].figures()]))
        out: list[Row] = []
        for label in labels:
            pairs = [
                (fa, fb)
                for ra, rb in zip(self.a, self.b, strict=True)
                if (fa := ra.figures().get(label)) is not None
                and (fb := rb.figures().get(label)) is not None
            ]
            if not pairs:
                out.append((label, None, None, None, None, None))
                continue
            mean_a = mean_interval([p[0] for p in pairs])[0]
            mean_b = mean_interval([p[1] for p in pairs])[0]
            diff, low, high = mean_interval([p[1] - p[0] for p in pairs])
            out.append((label, mean_a, mean_b, diff, low, high))
        return out

    def formatted_rows(self) -> list[tuple[str, str, str, str, str]]:
        """
        The rows formatted for a table: ``(label, a, b, difference, 95% interval)``.
        """
        out = []
        for label, a, b, diff, low, high in self.rows():
            interval = (
                "-"
                if low is None or high is None
                else (f"[{_signed(label, low)}, {_signed(label, high)}]")
            )
            out.append(
                (label, _format(label, a), _format(label, b), _signed(label, diff), interval)
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        """
        The comparison as JSON values.
        """
        return {
            "a": self.label_a,
            "b": self.label_b,
            "seeds": list(self.seeds),
            "rows": [
                dict(
                    zip(
                        ("label", "mean_a", "mean_b", "difference", "ci_low", "ci_high"),
                        r,
                        strict=True,
                    )
                )
                for r in self.rows()
            ],
        }


def _signed(label: str, value: float | None) -> str:
    if value is None:
        return "-"
    if label.startswith("SLA") or label == "agent utilisation":
        return f"{100 * value:+.1f} pts"
    if label.endswith("(h)"):
        return ("-" if value < 0 else "+") + _duration(abs(value))
    return f"{value:+.1f}"
