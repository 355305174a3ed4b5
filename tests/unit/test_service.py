"""
The HelpDesk pipeline: one path for every command, atomic writes of several tickets, the
command's instant, tick's isolation of failures, and the checks the service adds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from deskflow import (
    INCIDENT,
    SERVICE_REQUEST,
    ConcurrencyError,
    Desk,
    HelpDesk,
    InMemoryNotifier,
    InMemoryTicketRepository,
    InvalidInput,
    ManualClock,
    PermissionDenied,
    Role,
    Ticket,
)
from deskflow import Actor as Person
from deskflow.adapters.sql import SqlTicketRepository, engine_for
from deskflow.approval import ApprovalPolicy, ApprovalStage
from deskflow.calendars import BusinessCalendar
from deskflow.enums import LinkKind, Metric, TicketKind
from deskflow.events import Acknowledged, CommentAdded
from deskflow.limits import Limits
from deskflow.policies.ladders import Ladder, LadderLevel, LadderPolicy
from deskflow.ports import TicketRepository, TicketWrite
from deskflow.sla import SlaPolicy

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
ANN = Person("ann", Role.REQUESTER)
LEE = Person("lee", Role.AGENT, tier=1, groups={"service-desk"})
SAM = Person("sam", Role.SUPERVISOR, groups={"service-desk"})
MAX = Person("max", Role.APPROVER)


class Racing(TicketRepository, Protocol):
    """
    A repository where another writer gets in just before the next save_all.
    """

    before_next_write: Callable[[], None] | None


class RaceFirst:
    """
    A repository mixin: another writer gets in just before the next save_all, once.
    """

    before_next_write: Callable[[], None] | None = None

    def save_all(self, writes: Sequence[TicketWrite]) -> None:
        """
        Let the racing writer write first, once, then write as usual.
        """
        race, self.before_next_write = self.before_next_write, None
        if race is not None:
            race()
        super().save_all(writes)  # type: ignore[misc]  # the repository it is mixed into


class RacingMemory(RaceFirst, InMemoryTicketRepository):
    """
    The in-memory repository, with a racing writer.
    """


class RacingSql(RaceFirst, SqlTicketRepository):
    """
    The SQL repository on SQLite, with a racing writer.
    """


@pytest.fixture(params=["memory", "sqlite"])
def racing(request: pytest.FixtureRequest) -> Iterator[Racing]:
    """
    A racing repository of each kind deskflow ships.
    """
    if request.param == "memory":
        yield RacingMemory()
        return
    engine = engine_for("sqlite://")
    yield RacingSql(engine, migrate=True)
    engine.dispose()


def make_desk(
    desk: Desk | None = None, repo: TicketRepository | None = None
) -> tuple[HelpDesk, TicketRepository, InMemoryNotifier, ManualClock]:
    repo = repo if repo is not None else InMemoryTicketRepository()
    notifier, clock = InMemoryNotifier(), ManualClock(MONDAY)
    return HelpDesk(repo, notifier, clock, desk), repo, notifier, clock


def stored(repo: TicketRepository, prefix: str = "INC", upto: int = 20) -> dict[str, int]:
    """
    The version of every stored ticket id with ``prefix`` up to ``upto``.
    """
    found = {}
    for n in range(1, upto + 1):
        with contextlib.suppress(KeyError):
            found[f"{prefix}-{n}"] = repo.get(f"{prefix}-{n}").version
    return found


def someone_comments(repo: TicketRepository, ticket_id: str) -> Callable[[], None]:
    """
    Another process's change to ``ticket_id``, made between our load and our save.
    """

    def race() -> None:
        ticket = repo.get(ticket_id)
        changed = ticket.record(CommentAdded(at=ticket.updated_at, actor="kim", body="Me too"))
        repo.save_all([TicketWrite(changed, ticket.version)])

    return race


@pytest.mark.parametrize("parts", [1, 3])
@pytest.mark.parametrize("loser", [0, 1])
def test_split_is_all_or_nothing_under_a_lost_race(racing: Racing, parts: int, loser: int) -> None:
    """
    When the source of a split changed since it was loaded, the split raises
    ConcurrencyError and stores none of it: no new ticket, no link, no notification.
    """
    repo = racing
    desk, _, notifier, _ = make_desk(repo=repo)
    desk.open(LEE, title="Mail and VPN down", requester="ann")
    desk.open(LEE, title="Printer jam", requester="ann")
    source = ["INC-1", "INC-2"][loser]
    before = stored(repo)
    pending = len(repo.pending_notifications(100))
    repo.before_next_write = someone_comments(repo, source)
    with pytest.raises(ConcurrencyError) as caught:
        desk.split(LEE, source, titles=[f"Part {n}" for n in range(parts)])
    assert source == caught.value.ticket_id
    after = stored(repo)
    assert {**before, source: before[source] + 1} == after  # only the other writer's comment
    assert pending == len(repo.pending_notifications(100))
    assert [] == [n for n in notifier.sent if n.ticket_id not in before]


@pytest.mark.parametrize("loser", ["INC-1", "INC-2"])
@pytest.mark.parametrize("command", ["merge", "link"])
def test_merge_and_link_are_all_or_nothing_under_a_lost_race(
    racing: Racing, command: str, loser: str
) -> None:
    """
    A lost race on either ticket of a merge or a link writes neither of them.
    """
    repo = racing
    desk, _, _, _ = make_desk(repo=repo)
    desk.open(ANN, title="Mail down")
    desk.open(ANN, title="Mail down again")
    before = stored(repo)
    repo.before_next_write = someone_comments(repo, loser)
    run: Callable[[], object] = (
        (lambda: desk.merge(LEE, "INC-2", into="INC-1"))
        if command == "merge"
        else (lambda: desk.link(LEE, "INC-2", other_id="INC-1"))
    )
    with pytest.raises(ConcurrencyError):
        run()
    assert {**before, loser: before[loser] + 1} == stored(repo)
    assert "new" == repo.get("INC-2").state
    assert () == repo.get("INC-1").links == repo.get("INC-2").links


def test_split_saves_the_source_and_its_parts_in_one_write() -> None:
    """
    A split is one save_all: the source's links and the new tickets, linked both ways.
    """
    writes: list[list[str]] = []

    class Spying(InMemoryTicketRepository):
        def save_all(self, batch: Sequence[TicketWrite]) -> None:
            writes.append([w.ticket.id for w in batch])
            super().save_all(batch)

    repo = Spying()
    desk, _, _, _ = make_desk(repo=repo)
    desk.open(LEE, title="Mail and VPN down", requester="ann")
    views = desk.split(LEE, "INC-1", titles=["Mail down", "VPN down"])
    assert [["INC-1"], ["INC-1", "INC-2", "INC-3"]] == writes
    assert ["INC-2", "INC-3"] == [v.id for v in views]
    source = repo.get("INC-1")
    assert [(LinkKind.SPLIT_INTO, "INC-2"), (LinkKind.SPLIT_INTO, "INC-3")] == [
        (link.kind, link.other_id) for link in source.links
    ]
    assert [(LinkKind.SPLIT_FROM, "INC-1")] == [
        (link.kind, link.other_id) for link in repo.get("INC-3").links
    ]


def test_a_taken_new_id_is_retried_with_new_ones(racing: Racing) -> None:
    """
    When the host itself stores a ticket under an id the store had just handed a split, the
    whole split runs again with new ids, and succeeds.
    """
    repo = racing
    desk, _, _, _ = make_desk(repo=repo)
    desk.open(LEE, title="Mail and VPN down", requester="ann")

    def host_stores_inc_2() -> None:
        mine = INCIDENT.open("INC-2", title="Printer jam", requester="zoe", at=MONDAY)
        repo.save_all([TicketWrite(mine, None)])

    repo.before_next_write = host_stores_inc_2
    views = desk.split(LEE, "INC-1", titles=["Mail down", "VPN down"])
    parts = [v.id for v in views]
    assert "Printer jam" == repo.get("INC-2").title
    assert "INC-2" not in parts
    assert ["Mail down", "VPN down"] == [repo.get(i).title for i in parts]
    assert parts == [link.other_id for link in repo.get("INC-1").links]


def test_a_store_that_keeps_handing_out_taken_ids_is_given_up_on() -> None:
    """
    The retry after a taken id is bounded: a store whose ids are always taken ends in
    ConcurrencyError, having written nothing.
    """

    class Stuck(InMemoryTicketRepository):
        def next_id(self, prefix: str) -> str:
            return f"{prefix}-1"

    repo = Stuck()
    desk, _, _, _ = make_desk(repo=repo)
    desk.open(LEE, title="Mail down", requester="ann")
    before = stored(repo)
    with pytest.raises(ConcurrencyError, match="free ticket id"):
        desk.open(LEE, title="VPN down", requester="ann")
    assert ["INC-1"] == list(before)
    assert before == stored(repo)


def test_ids_come_from_the_store_not_from_probing() -> None:
    """
    A new help desk on a store that already holds tickets asks the store for an id once: it
    reads no ticket to find a free one.
    """
    asked: list[str] = []

    class Counting(InMemoryTicketRepository):
        def get(self, ticket_id: str) -> Ticket:
            asked.append(ticket_id)
            return super().get(ticket_id)

    repo = Counting()
    first, _, _, _ = make_desk(repo=repo)
    for n in range(5):
        first.open(LEE, title=f"Old {n}", requester="ann")
    asked.clear()
    restarted, _, _, _ = make_desk(repo=repo)
    assert "INC-6" == restarted.open(LEE, title="New", requester="ann").id
    assert [] == asked


def test_the_command_instant_is_never_before_the_ticket_last_change() -> None:
    """
    A clock a little behind the process that last changed the ticket does not make a valid
    command fail: the command's instant is the ticket's last change.
    """
    desk, repo, notifier, _ = make_desk()
    desk.open(ANN, title="VPN down")
    behind = HelpDesk(repo, notifier, ManualClock(MONDAY - timedelta(milliseconds=3)))
    view = behind.assign(LEE, "INC-1", group="service-desk", assignee="lee")
    assert "assigned" == view.state
    assert MONDAY == repo.get("INC-1").updated_at


class _Broken:
    """
    An escalation policy that fails on one ticket.
    """

    def evaluate(self, ticket: Ticket, sla: object, now: datetime) -> list[object]:
        if ticket.title == "broken":
            raise RuntimeError("policy bug")
        return []

    def next_check_at(self, ticket: Ticket, sla: object, now: datetime) -> datetime | None:
        return now


def test_tick_isolates_a_failing_ticket() -> None:
    """
    One ticket whose policy raises is listed in failed; the others are worked and the
    outbox is still delivered.
    """
    desk, _, _, clock = make_desk(Desk(escalation=_Broken()))
    desk.open(ANN, title="fine")
    desk.open(ANN, title="broken")
    desk.open(ANN, title="fine too")
    clock.advance(MINUTE)
    report = desk.tick()
    assert ["INC-1", "INC-2", "INC-3"] == sorted(report.checked)
    assert 1 == len(report.failed)
    assert report.failed[0].startswith("INC-2: RuntimeError: policy bug")
    assert report.delivery is not None
    json.dumps(report.to_dict())


def test_sla_is_a_staff_read() -> None:
    """
    The SLA clocks are read through the authorization policy: staff may, requesters may not.
    """
    desk, _, _, _ = make_desk()
    desk.open(ANN, title="VPN down")
    assert Metric.RESOLUTION in desk.sla(LEE, "INC-1").clocks
    with pytest.raises(PermissionDenied):
        desk.sla(ANN, "INC-1")


def test_acknowledge_stops_the_ladder_and_moves_the_next_check() -> None:
    """
    An acknowledged page stops the ladder: nothing more is paged and the ticket is no
    longer due at the next level's time.
    """
    ladder = LadderPolicy(
        Ladder([LadderLevel(["kim"], delay=5 * MINUTE), LadderLevel(["mia"], delay=5 * MINUTE)]),
        name="on-call",
    )
    always = BusinessCalendar.always("UTC")
    sla = {
        TicketKind.INCIDENT: SlaPolicy.itil(always, workflow=INCIDENT),
        TicketKind.SERVICE_REQUEST: SlaPolicy.itil(always, workflow=SERVICE_REQUEST),
    }
    desk, repo, _, clock = make_desk(Desk(escalation=ladder, sla=sla))
    desk.open(ANN, title="Core switch down", impact="high", urgency="high")
    clock.advance(MINUTE)
    assert any("level1" in a for a in desk.tick().actions)
    kim = Person("kim", Role.AGENT, tier=2, groups={"network"})
    desk.acknowledge(kim, "INC-1")
    assert isinstance(repo.get("INC-1").history[-1], Acknowledged)
    clock.advance(10 * MINUTE)
    assert [] == [a for a in desk.tick().actions if "level2" in a]
    with pytest.raises(PermissionDenied):
        desk.acknowledge(ANN, "INC-1")


def test_a_requester_who_approves_is_not_asked_to_approve_their_own_request() -> None:
    """
    The approval request goes to the approvers who may approve, not to the requester.
    """
    policy = ApprovalPolicy([ApprovalStage(["max", "mia"], required="any")])
    desk, _, notifier, _ = make_desk(Desk(approval=policy))
    desk.open(MAX, title="New laptop", kind="service_request")
    desk.request_approval(LEE, "REQ-1")
    desk.deliver_pending()
    asked = [n for n in notifier.sent if n.template == "approval_requested"]
    assert [("mia",)] == [n.recipients for n in asked]


@pytest.mark.parametrize(
    ("command", "field"),
    [
        (lambda d: d.assign(LEE, "INC-1", group=""), "group"),
        (lambda d: d.assign(LEE, "INC-1", assignee="   "), "assignee"),
        (lambda d: d.open(LEE, title="VPN down", requester=""), "requester"),
        (lambda d: d.open(LEE, title=" \t"), "title"),
        (lambda d: d.comment(LEE, "INC-1", body="\n"), "comment"),
        (lambda d: d.escalate(LEE, "INC-1", reason=" "), "reason"),
    ],
)
def test_blank_ids_and_texts_are_refused_and_store_nothing(
    command: Callable[[HelpDesk], object], field: str
) -> None:
    """
    A blank id, name or text is InvalidInput naming the field, and nothing is stored.
    """
    desk, repo, _, _ = make_desk()
    desk.open(ANN, title="VPN down")
    before = stored(repo)
    with pytest.raises(InvalidInput, match=field):
        command(desk)
    assert before == stored(repo)


@pytest.mark.parametrize(
    ("command", "field", "limit"),
    [
        (lambda d: d.open(LEE, title="x" * 41, requester="ann"), "title", 40),
        (lambda d: d.comment(LEE, "INC-1", body="y" * 101), "comment", 100),
        (lambda d: d.cancel(ANN, "INC-1", reason="z" * 31), "reason", 30),
    ],
)
def test_texts_over_the_desk_limits_are_refused(
    command: Callable[[HelpDesk], object], field: str, limit: int
) -> None:
    """
    A text longer than the desk allows for its field is InvalidInput saying the limit.
    """
    desk, repo, _, _ = make_desk(Desk(limits=Limits(title=40, comment=100, reason=30)))
    desk.open(ANN, title="VPN down")
    before = stored(repo)
    with pytest.raises(InvalidInput, match=rf"{field} is \d+ characters long.*at most {limit}"):
        command(desk)
    assert before == stored(repo)


def test_tick_delivers_once_and_reports_it() -> None:
    """
    A tick delivers in one round after all its tickets are saved, and reports that round;
    a dead notifier is tried once per pending item per tick, not once per due ticket.
    """
    ladder = LadderPolicy(Ladder([LadderLevel(["kim"], delay=5 * MINUTE)]), name="on-call")
    desk, repo, notifier, clock = make_desk(Desk(escalation=ladder))
    for n in range(3):
        desk.open(ANN, title=f"Down {n}", impact="high", urgency="high")
    notifier.fail_always()
    clock.advance(MINUTE)
    pending_before = {n.dedup_key for n in repo.pending_notifications(100)}
    report = desk.tick()
    assert report.delivery is not None
    attempted = set(report.delivery.failed)
    assert pending_before <= attempted
    assert len(attempted) == notifier.failures
    notifier.recover()
    clock.advance(MINUTE)
    assert set(desk.tick().delivery.sent) == attempted  # type: ignore[union-attr]


class BrokenOutbox(InMemoryTicketRepository):
    """
    A repository whose outbox cannot be marked delivered (a locked table, say).
    """

    def mark_delivered(self, dedup_keys: object) -> None:
        """
        Fail, as a locked database would.
        """
        raise RuntimeError("database is locked")


def test_a_delivery_failure_after_the_save_does_not_fail_the_command() -> None:
    """
    Once a command is saved it returns, whatever delivery does afterwards; a tick keeps its
    report and says the delivery round did not complete.
    """
    desk, repo, _, clock = make_desk(repo=BrokenOutbox())
    view = desk.open(ANN, title="VPN down", impact="high", urgency="high")
    assert "INC-1" == view.id
    assert "VPN down" == repo.get("INC-1").title
    clock.advance(timedelta(hours=5))
    report = desk.tick()
    assert [] == report.failed
    assert report.thresholds
    assert report.delivery is None


def test_feedback_comments_are_checked() -> None:
    """
    A feedback comment goes with a rating and keeps within the desk's limit.
    """
    desk, repo, _, _ = make_desk(Desk(limits=Limits(feedback_comment=10)))
    desk.open(LEE, title="VPN down", requester="ann")
    desk.assign(LEE, "INC-1", group="service-desk", assignee="lee")
    desk.resolve(LEE, "INC-1", resolution="Token reset")
    before = stored(repo)
    with pytest.raises(InvalidInput, match="comment"):
        desk.close(ANN, "INC-1", rating=5, comment="x" * 11)
    with pytest.raises(InvalidInput, match="rating"):
        desk.close(ANN, "INC-1", comment="thanks")
    assert before == stored(repo)
    assert "closed" == desk.close(ANN, "INC-1", rating=5, comment="thanks").state


def test_a_custom_beneficiary_is_not_asked_to_approve() -> None:
    """
    The approval policy's own beneficiary rule decides who is not asked to approve.
    """
    policy = ApprovalPolicy(
        [ApprovalStage(["max", "mia"], required="any")], beneficiary=lambda t: "mia"
    )
    desk, _, notifier, _ = make_desk(Desk(approval=policy))
    desk.open(LEE, title="New laptop for mia", kind="service_request", requester="zoe")
    desk.request_approval(LEE, "REQ-1")
    desk.deliver_pending()
    asked = [n.recipients for n in notifier.sent if n.template == "approval_requested"]
    assert [("max",)] == asked


@pytest.mark.parametrize("title", [None, "  ", "t" * 300])
def test_a_repeated_alert_title_is_checked(title: object) -> None:
    """
    The note a repeated alert adds is checked like any title: present, not blank, in limits.
    """
    desk, repo, _, _ = make_desk()
    desk.open_from_alert(LEE, alert_key="disk:db1", title="Disk full")
    before = stored(repo)
    with pytest.raises(InvalidInput, match="title"):
        desk.open_from_alert(LEE, alert_key="disk:db1", title=title)  # type: ignore[arg-type]
    assert before == stored(repo)


def test_refused_commands_store_nothing_and_numbers_are_never_reused() -> None:
    """
    A refused open or split stores nothing; the number the store handed it may be skipped,
    never handed out again.
    """
    desk, repo, _, _ = make_desk()
    for bad in ({"title": "x" * 300}, {"requester": " "}, {"impact": "huge"}):
        with pytest.raises(InvalidInput):
            desk.open(LEE, **{"title": "VPN down", **bad})
    assert {} == stored(repo)
    first = desk.open(LEE, title="VPN down", requester="ann").id
    before = stored(repo)
    with pytest.raises(InvalidInput):
        desk.split(LEE, first, titles=["ok", "x" * 300])
    assert [first] == list(before) == list(stored(repo))
    second = desk.open(LEE, title="Printer", requester="ann").id
    assert first != second
    assert [first, second] == list(stored(repo))


def test_an_agent_acknowledges_what_they_were_paged_about_or_their_groups_tickets() -> None:
    """
    An agent of another group may acknowledge a ticket only once a page named them.
    """
    ladder = LadderPolicy(Ladder([LadderLevel(["kim"], delay=5 * MINUTE)]), name="on-call")
    desk, _, _, clock = make_desk(Desk(escalation=ladder))
    desk.open(ANN, title="Core switch down", impact="high", urgency="high")
    kim = Person("kim", Role.AGENT, tier=2, groups={"network"})
    noa = Person("noa", Role.AGENT, tier=2, groups={"network"})
    desk.assign(LEE, "INC-1", group="service-desk")
    with pytest.raises(PermissionDenied):
        desk.acknowledge(kim, "INC-1")
    clock.advance(MINUTE)
    desk.tick()
    assert isinstance(desk.acknowledge(kim, "INC-1").id, str)
    with pytest.raises(PermissionDenied):
        desk.acknowledge(noa, "INC-1")


def test_linking_twice_changes_nothing() -> None:
    """
    A repeated link request (a retry, a double click) adds no second link on either ticket.
    """
    desk, repo, _, _ = make_desk()
    desk.open(ANN, title="Mail down")
    desk.open(ANN, title="Mail slow")
    desk.link(LEE, "INC-2", other_id="INC-1")
    before = stored(repo)
    view = desk.link(LEE, "INC-2", other_id="INC-1")
    assert before == stored(repo)
    assert 1 == len(view.links)
    assert 1 == len(repo.get("INC-1").links)
