"""
``deskflow report``: the desk report of a stored desk, as a table and a chart.

Tickets are read through the repository's query port, a page at a time, so a report costs
the memory of its tickets and never one query that loads a whole database at once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from deskflow.charts import write_report_chart
from deskflow.cli import operations
from deskflow.cli.common import Failure, chart_path, load_config, parse_instant
from deskflow.desk import Desk
from deskflow.enums import Metric
from deskflow.queries import MAX_LIMIT, TicketQuery
from deskflow.reports import GROUP_BY_FIELDS, DeskReport, Durations, desk_report
from deskflow.ticket import Ticket

__all__ = ["GroupBy", "figures", "parse_period", "read_tickets", "register"]


#: The ticket fields a report can be grouped by, as the choices of ``--by``.
GroupBy = enum.StrEnum("GroupBy", {name.upper(): name for name in GROUP_BY_FIELDS})  # type: ignore[misc]


def parse_period(text: str) -> tuple[datetime, datetime]:
    """
    ``START..END``: two ISO dates (days in UTC) or instants with their offsets; the end
    is excluded.

    >>> start, end = parse_period("2026-03-01..2026-04-01")
    >>> start.isoformat(), end.isoformat()
    ('2026-03-01T00:00:00+00:00', '2026-04-01T00:00:00+00:00')
    """
    first, dots, last = text.partition("..")
    if not dots or not first or not last:
        raise ValueError(f"{text!r} is not a period; write START..END, e.g. 2026-03-01..2026-04-01")
    start, end = _bound(first), _bound(last)
    if end < start:
        raise ValueError(f"period {text!r} ends before it starts")
    return start, end


def _bound(text: str) -> datetime:
    if len(text) == 10:  # a date, YYYY-MM-DD: that day's midnight in UTC
        try:
            return datetime.combine(datetime.fromisoformat(text).date(), time(), UTC)
        except ValueError:
            pass
    return parse_instant(text)


def _period(text: str) -> tuple[datetime, datetime]:
    try:
        return parse_period(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--period'") from None


def read_tickets(repository: Any, query: TicketQuery) -> Iterator[Ticket]:
    """
    Every ticket ``query`` matches, oldest first, read through ``repository.find`` a page
    at a time.
    """
    after: str | None = None
    while True:
        page = repository.find(query, order="created", limit=MAX_LIMIT, after=after)
        yield from page
        if page.next_cursor is None:
            return
        after = page.next_cursor


def _span(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}m"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _durations(name: str, value: Durations | None) -> list[tuple[str, str]]:
    if value is None:
        return []
    return [
        (f"{name}, median", _span(value.median)),
        (f"{name}, 90th percentile", _span(value.p90)),
    ]


def figures(report: DeskReport) -> list[tuple[str, str]]:
    """
    The report's figures as (label, value) rows, as ``deskflow report`` shows them.
    """
    rows = [
        ("opened", str(report.volume.opened)),
        ("resolved", str(report.volume.resolved)),
        ("backlog", str(report.volume.backlog)),
        *_durations("first response", report.time_to_first_response),
        *_durations("resolution", report.time_to_resolve),
        *_durations("resolution (business time)", report.business_time_to_resolve),
        ("first-contact resolution", _share(report.first_contact_rate)),
        ("reopened", _share(report.reopen_rate)),
        ("escalated", _share(report.escalation_rate)),
    ]
    for metric in Metric:
        compliance = report.sla.get(metric)
        if compliance is not None and compliance.met + compliance.breached:
            decided = compliance.met + compliance.breached
            rows.append((f"SLA {metric.value} met", f"{_share(compliance.rate)} of {decided}"))
    rows.append(("ratings", str(report.satisfaction.count)))
    rows.append(("CSAT", _share(report.satisfaction.csat)))
    surveys = report.satisfaction
    if surveys.surveys_sent:
        rows.append(("surveys answered", f"{surveys.surveys_answered} of {surveys.surveys_sent}"))
    return rows


def _table(report: DeskReport, *, grouped: bool) -> Table:
    table = Table()
    table.add_column("figure")
    table.add_column("all", justify="right")
    groups = list(report.groups.items()) if grouped else []
    # By label: a group shows only the figures it has data for (an SLA metric, surveys).
    columns = [dict(figures(part)) for _, part in groups]
    for key, _ in groups:
        table.add_column("(none)" if key is None else str(key), justify="right")
    for label, value in figures(report):
        table.add_row(label, value, *(column.get(label, "-") for column in columns))
    return table


def _report(
    url: str, desk: Desk | None, period: tuple[datetime, datetime] | None, by: str | None
) -> DeskReport:
    from deskflow.adapters.sql import SqlTicketRepository

    store = operations.engine(url)
    try:
        repository = SqlTicketRepository(store, migrate=False)
        now = datetime.now(UTC) if period is None else min(period[1], datetime.now(UTC))
        # Tickets opened after `now` do not count: the store need not send them.
        tickets = list(read_tickets(repository, TicketQuery(created_before=now)))
    finally:
        store.dispose()
    if desk is None:
        return desk_report(tickets, now=now, period=period, by=by)
    return desk_report(
        tickets,
        now=now,
        period=period,
        by=by,
        sla=lambda ticket: desk.sla[ticket.kind],
        workflows=desk.workflows.values(),
    )


def report(
    db: Annotated[str, typer.Option(help="The database URL, e.g. sqlite:///desk.db.")],
    config: Annotated[
        Path | None,
        typer.Option(help="The desk .toml or .json, for SLA compliance and business time."),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            metavar="START..END",
            help="Only this period (end excluded); dates are days in UTC. Default: all time.",
        ),
    ] = None,
    by: Annotated[
        GroupBy | None, typer.Option(help="Also one column per value of this ticket field.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Also draw the report into this .png or .svg file.")
    ] = None,
) -> None:
    """
    Report on a stored desk: volume, response and resolution times, SLA compliance.
    """
    window = None if period is None else _period(period)
    desk = None if config is None else load_config(config)
    try:
        chart_path(chart)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="'--chart'") from None
    # A chart is drawn per group: by priority unless another field is asked for.
    grouping = str(by or "priority")
    made = _report(db, desk, window, grouping if chart is not None or by else None)
    when = (
        "all time"
        if window is None
        else f"{window[0].astimezone(UTC):%Y-%m-%d %H:%M} to "
        f"{window[1].astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )
    out = Console()
    out.print(f"Desk report, {when}")
    out.print(_table(made, grouped=by is not None))
    if chart is not None:
        try:
            written = write_report_chart(made, chart, by=grouping)
        except ModuleNotFoundError as error:  # matplotlib, the `charts` extra
            raise Failure(str(error)) from None
        typer.echo(f"chart written to {written}")


def register(app: typer.Typer) -> None:
    """
    Add ``report`` to ``app``.
    """
    app.command()(report)
