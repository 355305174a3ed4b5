"""
A hostile review of the automation engine, its configuration and the CLI: each test names
one behaviour found broken (and fixed) or checked to hold under attack.
"""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from builders import ANN, LEE, T0, helpdesk
from deskflow import Actor, Role
from deskflow.adapters import InMemoryNotifier, ManualClock
from deskflow.config import load_desk
from deskflow.desk import Desk
from deskflow.enums import RuleTrigger
from deskflow.events import NotificationQueued, RuleFired
from deskflow.exceptions import ConfigError, PermissionDenied, RuleCascadeError
from deskflow.queries import TicketQuery
from deskflow.rules import AddTags, BusinessDays, InStateFor, Rule, RuleSet
from deskflow.service import HelpDesk

DEFAULT_TOML = Path(__file__).parents[2] / "src" / "deskflow" / "data" / "desk.toml"
#: The agent of the default desk's directory.
AGENT = Actor("lee.l1", Role.AGENT, tier=1, groups={"service-desk"})


def default_config(**extra: Any) -> dict[str, Any]:
    """
    The shipped default desk as a mapping, with ``extra`` top-level sections.
    """
    config = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    config.update(extra)
    return config


def rule(name: str, when: list[str], then: list[Any], condition: Any = None) -> dict[str, Any]:
    """
    A rule as TOML writes it.
    """
    spec: dict[str, Any] = {"name": name, "when": when, "then": then}
    if condition is not None:
        spec["if"] = condition
    return spec


#: Two rules that undo each other: A tags x when x is missing, B removes it when present.
UNDOING = [
    rule("A", ["tags_changed"], [{"add_tags": ["x"]}], {"not": {"field": "tags", "contains": "x"}}),
    rule("B", ["tags_changed"], [{"remove_tags": ["x"]}], {"field": "tags", "contains": "x"}),
]


def test_first_hit_policy_runs_later_time_rules_once_an_earlier_one_fired_before() -> None:
    """
    With ``hit_policy = "first"``, the pending reminder that fired at an earlier tick does not
    stop "resolve pending" from firing 5 business days on (it was this tick's first match):
    the ticket is resolved, not left pending and due at every tick.
    """
    rig = helpdesk(load_desk(default_config(automation={"hit_policy": "first"})))
    ticket = rig.desk.open(ANN, title="VPN down", description="since 8:00")
    rig.desk.assign(AGENT, ticket.id, group="service-desk", assignee=AGENT.id)
    rig.desk.start(AGENT, ticket.id)
    rig.desk.request_info(AGENT, ticket.id, question="Which office?")  # Monday 09:00
    for days in (2, 5, 6, 8):
        rig.clock.set(T0 + timedelta(days=days, hours=1))
        rig.desk.tick()
    stored = rig.repo.get(ticket.id)
    fired = [(e.rule, e.at) for e in stored.history if isinstance(e, RuleFired)]
    assert fired == [
        ("remind pending requester", T0 + timedelta(days=2, hours=1)),
        ("resolve pending", T0 + timedelta(days=8, hours=1)),  # Monday + 5bd = next Monday
    ]
    assert stored.state == "resolved"


def test_a_wait_past_the_calendars_years_never_comes_true_instead_of_refusing_commands() -> None:
    """
    A wait the desk accepted but that ends past the calendar's last year ("99999999h" of
    office hours, 10**9 business days) is a condition that never comes true: opening a
    ticket works and schedules nothing for it, rather than every command raising InvalidInput.
    """
    long_wait = rule("late", ["time"], [{"add_tags": ["late"]}], {"in_state": "new", "for": ""})
    long_wait["if"]["for"] = "99999999h"
    rig = helpdesk(load_desk(default_config(rules=[long_wait])))
    opened = rig.desk.open(ANN, title="VPN down", description="since 8:00")
    assert rig.repo.get(opened.id).state == "new"

    days = Rule(
        name="late",
        when=frozenset({RuleTrigger.TIME}),
        condition=InStateFor("new", BusinessDays(10**9)),
        actions=(AddTags(("late",)),),
    )
    rig = helpdesk(Desk(rules=RuleSet([days])))
    opened = rig.desk.open(ANN, title="VPN down", description="since 8:00")
    rig.clock.set(T0 + timedelta(days=30))
    rig.desk.tick()
    assert rig.repo.get(opened.id).tags == frozenset()


def test_max_cascade_has_an_upper_bound() -> None:
    """
    ``max_cascade`` beyond 1000 is refused with its path: a bound nobody reaches would let
    rules that undo each other run without end.
    """
    with pytest.raises(ConfigError) as caught:
        load_desk({"automation": {"max_cascade": 10**30}, "rules": UNDOING})
    assert list(caught.value.problems) == [
        (("automation", "max_cascade"), f"must be at most 1000, got {10**30}")
    ]
    desk = load_desk({"automation": {"max_cascade": 1000}, "rules": UNDOING})
    assert desk.rules.max_cascade == 1000


def test_a_config_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    """
    ``load_desk`` on a file that is not UTF-8 raises ConfigError naming the file (not a
    UnicodeDecodeError), and ``deskflow validate`` says so in one line, exit code 1.
    """
    from deskflow.cli.app import app

    path = tmp_path / "desk.toml"
    path.write_bytes(b"\xff\xfename = 1\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_desk(path)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    assert "unexpected" not in result.output
    assert "Traceback" not in result.output


def test_rules_undoing_each_other_on_sqlite_refuse_and_store_nothing(tmp_path: Path) -> None:
    """
    On a SQLite file shared by two help desks, a tag that sets off two rules undoing each
    other is refused with the chain, and neither the ticket nor the outbox changes (seen
    from the other help desk too).
    """
    from deskflow.adapters.sql import SqlTicketRepository, engine_for

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = load_desk({"rules": UNDOING})
    clock = ManualClock(T0)
    one = SqlTicketRepository(engine_for(url), migrate=True)
    two = SqlTicketRepository(engine_for(url), migrate=True)
    first = HelpDesk(one, InMemoryNotifier(), clock, desk)
    second = HelpDesk(two, InMemoryNotifier(), clock, desk)
    ticket = first.open(ANN, title="VPN down", description="since 8:00")
    first.assign(LEE, ticket.id, group="service-desk", assignee=LEE.id)
    version = two.get(ticket.id).version
    pending = [n.dedup_key for n in two.pending_notifications(100)]
    with pytest.raises(RuleCascadeError) as caught:
        second.tag(LEE, ticket.id, add=["y"])
    assert caught.value.chain[0] == "A"
    one.clear_cache()
    assert one.get(ticket.id).version == version
    assert [n.dedup_key for n in one.pending_notifications(100)] == pending


def test_two_help_desks_on_one_sqlite_file_send_a_reminder_once(tmp_path: Path) -> None:
    """
    Two help desks ticking one SQLite file, in turn and out of phase, record the pending
    reminder once and queue its reply's notification once (with the question's: two).
    """
    from deskflow.adapters.sql import SqlTicketRepository, engine_for

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    desk = load_desk(default_config())
    clock = ManualClock(T0)
    repos = [SqlTicketRepository(engine_for(url), migrate=True) for _ in range(2)]
    desks = [HelpDesk(repo, InMemoryNotifier(), clock, desk) for repo in repos]
    ticket = desks[0].open(ANN, title="VPN down", description="since 8:00")
    desks[1].assign(AGENT, ticket.id, group="service-desk", assignee=AGENT.id)
    desks[0].start(AGENT, ticket.id)
    desks[1].request_info(AGENT, ticket.id, question="Which office?")
    for minutes in (0, 1, 7, 60):
        clock.set(T0 + timedelta(days=2, minutes=minutes))
        desks[minutes % 2].tick()
        desks[(minutes + 1) % 2].tick()
    stored = repos[0].get(ticket.id)
    fired = [e.rule for e in stored.history if isinstance(e, RuleFired)]
    assert fired == ["remind pending requester"]
    reminders = [c for c in stored.comments if c.author == "system"]
    assert len(reminders) == 1
    replies = [
        e.dedup_key
        for e in stored.history
        if isinstance(e, NotificationQueued) and e.template == "public_reply"
    ]
    assert len(replies) == 2


def test_requesters_see_no_rule_work_that_is_staff_only() -> None:
    """
    A rule that sets a staff-only field, adds a tag and an internal note leaves nothing of
    them in the requester's view or its dict (no RuleFired, no TagsChanged, no value), and a
    requester may not filter on the staff-only field or on tags.
    """
    config = {
        "fields": {
            "contract": {"type": "choice", "options": ["gold", "silver"], "staff_only": True}
        },
        "texts": {"note": "Contract customer $requester.", "hi": "Hello $requester, on $id."},
        "rules": [
            rule(
                "gold",
                ["opened"],
                [
                    {"set_fields": {"contract": "gold"}},
                    {"add_tags": ["vip-secret"]},
                    {"note": "note"},
                    {"reply": "hi"},
                ],
            )
        ],
    }
    rig = helpdesk(load_desk(config))
    opened = rig.desk.open(ANN, title="VPN down", description="since 8:00")
    view = rig.desk.view(ANN, opened.id)
    text = repr(view.to_dict())
    for secret in ("gold", "vip-secret", "Contract customer", "RuleFired", "TagsChanged"):
        assert secret not in text
    assert [c.body for c in view.comments] == ["Hello ann, on INC-1."]
    staff = rig.desk.view(LEE, opened.id)
    assert staff.fields["contract"] == "gold"
    with pytest.raises(PermissionDenied):
        rig.desk.tickets(ANN, TicketQuery(fields={"contract": "gold"}))
    with pytest.raises(PermissionDenied):
        rig.desk.tickets(ANN, TicketQuery(tags_any={"vip-secret"}))


def test_first_hit_policy_time_rules_rerun_over_their_own_tick_decide_nothing_new() -> None:
    """
    Running the rules again (timed) over a tick's result, as a retry or a replay does, adds
    nothing under ``hit_policy = "first"``: the firing of this tick still ends the turn,
    and the reminder of an earlier tick does not let "resolve pending" fire twice.
    """
    from deskflow.automation import run_rules

    desk = load_desk(default_config(automation={"hit_policy": "first"}))
    rig = helpdesk(desk)
    ticket = rig.desk.open(ANN, title="VPN down", description="since 8:00")
    rig.desk.assign(AGENT, ticket.id, group="service-desk", assignee=AGENT.id)
    rig.desk.start(AGENT, ticket.id)
    rig.desk.request_info(AGENT, ticket.id, question="Which office?")
    rig.clock.set(T0 + timedelta(days=2, hours=1))
    rig.desk.tick()
    reminded = rig.repo.get(ticket.id)
    rig.clock.set(T0 + timedelta(days=8, hours=1))
    rig.desk.tick()
    resolved = rig.repo.get(ticket.id)
    now = T0 + timedelta(days=8, hours=1)
    assert run_rules(desk, reminded, resolved, now, timed=True) == resolved
    assert run_rules(desk, resolved, resolved, now, timed=True) == resolved
