"""
Messages benchmark, as ratios in one run: an agent's public comment through ``HelpDesk``
(one message to the requester, written in German for Berlin by the shipped Jinja2
templates, its dates through Babel) against the same command with the plain renderer (the
audit line, no templates): what writing for people costs a command. Goal within 1.5x.

Tickets carry 20 events saved by an earlier command, on the ITIL targets of a business
calendar, as in the other service benchmarks.
"""

from __future__ import annotations

from typing import Any

from harness import AGENT, ROUNDS, desk_with, history, interleaved

from deskflow.messages import PlainRenderer
from deskflow.people import MappingPeople
from deskflow.templates import Templates

PEOPLE = MappingPeople(
    {
        "ann": {"name": "Anna Becker", "locale": "de", "timezone": "Europe/Berlin"},
        "lee": {"name": "Lee Jones", "locale": "en_GB", "timezone": "Europe/London"},
    }
)


def comment_with_templates(number: int = 200) -> list[dict[str, Any]]:
    """
    An agent's public comment (the requester is told) with the shipped templates and with
    the plain renderer; medians of interleaved rounds.
    """
    ticket = history(20)
    copies = number * (ROUNDS + 1)
    written, written_ids = desk_with(ticket, copies, people=PEOPLE, messages=Templates())
    plain, plain_ids = desk_with(ticket, copies, people=PEOPLE, messages=PlainRenderer())
    for service, ids in ((written, written_ids), (plain, plain_ids)):
        for ticket_id in ids:  # the earlier command
            service.comment(AGENT, ticket_id, body="looking")
    pending = {"written": iter(written_ids), "plain": iter(plain_ids)}

    def run(side: str) -> None:
        service = written if side == "written" else plain
        service.comment(AGENT, next(pending[side]), body="We restarted the VPN gateway.")

    out = interleaved({"written": lambda: run("written"), "plain": lambda: run("plain")}, number)
    sent = written.repository.pending_notifications(10)
    assert sent, "nothing was queued"
    assert sent[-1].locale == "de", "the reply was not written in German"
    return [
        {
            "what": "public comment through HelpDesk, shipped templates (de, Berlin) vs plain",
            "deskflow": f"{out['written'] * 1e6:.0f} us",
            "baseline": f"{out['plain'] * 1e6:.0f} us",
            "ratio": out["written"] / out["plain"],
            "goal": "<= 1.5x",
        }
    ]


def main() -> None:
    """
    Print the messages benchmark.
    """
    print("| measurement | deskflow | baseline | ratio | goal |")
    print("|---|---|---|---|---|")
    for r in comment_with_templates():
        print(
            f"| {r['what']} | {r['deskflow']} | {r['baseline']} | {r['ratio']:.2f}x | {r['goal']} |"
        )


if __name__ == "__main__":
    main()
