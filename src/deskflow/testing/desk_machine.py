"""
[`DeskStateMachine`][deskflow.testing.desk_machine.DeskStateMachine]: property-test a whole
desk — its authorization table, SLA targets, escalation ladder, routing, approval stages and
rules, all together. Subclass it with your configuration and collect ``.TestCase``::

    from deskflow.testing import DeskStateMachine

    class MyDesk(DeskStateMachine):
        config = "desk.toml"        # a path, a mapping, or a Desk

    TestMyDesk = MyDesk.TestCase

Each example opens a few tickets and then runs random steps: every command of
[`HelpDesk`][deskflow.service.HelpDesk] by an actor of the cast (two requesters, an agent at
tier 1 and one at tier 2 of every group the configuration names, the supervisors, managers
and approvers it names, an admin, and the ``actors`` you add), clock steps (fixed ones, and
ones landing on, a minute before or a minute after the next opening, closing, DST change or
next check of any ticket: SLA thresholds, escalation steps, auto-close), ticks and deliveries.
After every step it checks that

- every stored ticket equals ``Ticket.replay`` of its history;
- a refused command changed nothing stored, queued nothing and sent nothing;
- no view an outsider gets and no notification for a requester holds internal text;
- final tickets never change (but for their requester's one answer to a survey);
- a requester never sees, lists or changes another requester's ticket;
- each dedup key is queued once and delivered once;
- SLA clocks are monotone (elapsed business time never decreases, a met clock stays met)
  and a saved ticket's next check is never in the past;
- what the workflow's ``allowed()`` says is what the service accepts;
- a tick's work fails on no ticket.

Add your own with Hypothesis' ``@invariant()`` and ``@rule()``, reading the desk through
`all_tickets()`, `notifications_sent()`, `notifications()`, `now()`, `actor(id)`, ``service``
(the HelpDesk) and ``clock``. A failure prints as a script of desk commands: actors by id,
tickets as the variables the opening steps returned, ``# opened INC-3`` and ``# the clock is
now ...`` comments; paste it into a test to replay it. ``reached`` counts, per class, the
examples, steps and milestones (approvals, escalations, reopen, auto-close) of all runs.
"""

from __future__ import annotations

from deskflow.testing._desk_checks import DeskChecks
from deskflow.testing._desk_rules import DeskRules

__all__ = ["DeskStateMachine"]


class DeskStateMachine(DeskRules, DeskChecks):
    """
    Property-test a desk: subclass, set ``config`` (and optionally ``actors``,
    ``categories``, ``services``, ``start_at``, ``max_tickets``, ``make_repository``), and
    collect ``.TestCase``.
    """
