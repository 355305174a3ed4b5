"""
Growth benchmark (issue: commands at the cost of their own work), as ratios in one run.

Tickets have realistic histories: events at distinct instants over business days, on a
09:00-17:00 Monday-Friday Europe/London calendar. Every figure is the median of interleaved
rounds after a warm-up, so both sides of a ratio see the same machine state.
"""

from __future__ import annotations

from datetime import timedelta

from bench_sla import add_vs_pandas
from harness import AGENT, CAL, command_cost, desk_with, history, interleaved, machine, median_pair

from deskflow import Ticket
from deskflow.sla import SlaPolicy


def tick_cost(events: int, number: int) -> tuple[float, float]:
    """
    Seconds per due ticket of a tick over ``number`` due tickets of ``events`` events, and
    per command (an assign) on tickets with the same history.
    """
    ticket = history(events)
    ticking = [desk_with(ticket, number, due=True) for _ in range(8)]
    commanded, ids = desk_with(ticket, number * 8)
    pending = iter(ids)
    desks = iter(ticking)

    def tick() -> None:
        desk, _ = next(desks)
        report = desk.tick(limit=number)
        assert len(report.checked) == number, report

    def commands() -> None:
        for _ in range(number):
            commanded.assign(AGENT, next(pending), group="service-desk", assignee="kim")

    per_tick, per_commands = median_pair(tick, commands, rounds=7)
    return per_tick / number, per_commands / number


def main() -> None:
    """
    Print the goal table and the growth table.
    """
    growth: dict[int, dict[str, float]] = {}
    for events in (10, 20, 100, 1_000):
        ticket = history(events)
        now = ticket.updated_at + timedelta(hours=1)
        retro = SlaPolicy.itil(CAL)
        prosp = SlaPolicy.itil(CAL, priority_change="prospective")
        number = max(3, 2_000 // events)
        events_of = ticket.history
        timed = interleaved(
            {
                "evaluate": lambda p=retro, h=events_of, n=now: p.evaluate(Ticket.replay(h), n),
                "prospective": lambda p=prosp, h=events_of, n=now: p.evaluate(Ticket.replay(h), n),
                "replay": lambda h=events_of: Ticket.replay(h),
            },
            number,
        )
        desk_s, bare_s = command_cost(events, number=30 if events < 1_000 else 10)
        growth[events] = {**timed, "command": desk_s, "bare": bare_s}
    short, long = history(50).history, history(5_000).history
    replays = interleaved(
        {"50": lambda: Ticket.replay(short), "5000": lambda: Ticket.replay(long)}, 3
    )
    replay50, replay5000 = replays["50"], replays["5000"]
    g = growth
    tick_s, command_s = tick_cost(20, 25)
    ours_add, pandas_add = add_vs_pandas()
    rows: list[tuple[str, float, str]] = [
        (
            "full command through HelpDesk, 20 events, vs bare workflow.fire",
            g[20]["command"] / g[20]["bare"],
            "<= 4x",
        ),
        ("same command at 1,000 events vs at 10", g[1000]["command"] / g[10]["command"], "<= 1.5x"),
        (
            "Ticket.replay per event at 5,000 vs 50 events",
            (replay5000 / 5000) / (replay50 / 50),
            "<= 1.3x",
        ),
        (
            "prospective evaluate per event at 1,000 vs 100",
            (g[1000]["prospective"] / 1000) / (g[100]["prospective"] / 100),
            "<= 1.5x",
        ),
        (
            "tick per due ticket vs one command on the same ticket (20 events)",
            tick_s / command_s,
            "<= 1.2x",
        ),
        (
            "add vs pandas CustomBusinessHour (offset prebuilt), speed-up",
            pandas_add / ours_add,
            ">= 30x",
        ),
    ]
    print(f"Goals of the issue ({machine()}; medians of interleaved rounds)")
    print()
    print("| measure | today | goal |")
    print("|---|---|---|")
    for name, ratio, goal in rows:
        print(f"| {name} | {ratio:.2f}x | {goal} |")
    print()
    print("| events | command | bare fire | evaluate (replay + report) | prospective | replay |")
    print("|---|---|---|---|---|---|")
    for events, row in growth.items():
        print(
            f"| {events:,} | {row['command'] * 1e6:,.0f} us | {row['bare'] * 1e6:,.1f} us | "
            f"{row['evaluate'] * 1e6:,.0f} us | {row['prospective'] * 1e6:,.0f} us | "
            f"{row['replay'] * 1e6:,.0f} us |"
        )


if __name__ == "__main__":
    main()
