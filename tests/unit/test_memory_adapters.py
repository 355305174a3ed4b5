"""
The in-memory adapters and the values they carry: behaviour beyond the contracts, bad input.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from builders import LEE, T0, incident
from deskflow import INCIDENT, ConcurrencyError, InvalidInput
from deskflow.adapters import (
    InMemoryKnowledgeBase,
    InMemoryNotifier,
    InMemoryTicketRepository,
    ManualClock,
    SystemClock,
)
from deskflow.enums import Audience
from deskflow.events import Classified
from deskflow.exceptions import DeskflowError
from deskflow.notifications import Notification, NotificationFailed
from deskflow.outbox import DeliveryFailure
from deskflow.ports import Article
from deskflow.testing.contracts import make_notification

NAIVE = datetime(2026, 3, 2, 9, 0)


def notification_args(**changes: object) -> dict[str, object]:
    args: dict[str, object] = {
        "dedup_key": "T-1:opened",
        "ticket_id": "T-1",
        "recipients": ["ann"],
        "template": "ticket_opened",
        "audience": "requester",
        "subject": "We logged your ticket",
        "body": "",
        "created_at": T0,
    }
    args.update(changes)
    return args


# -- Notification and Article ------------------------------------------------------------------


def test_notification_normalises_recipients_audience_and_data() -> None:
    """
    Recipients become a tuple without repeats, audience a member, data sorted pairs.
    """
    note = Notification(
        **notification_args(  # type: ignore[arg-type]
            recipients=["ann", "bob", "ann"],
            audience="staff",
            data={"url": "https://desk/T-1", "priority": "P2"},
        )
    )
    assert ("ann", "bob") == note.recipients
    assert Audience.STAFF is note.audience
    assert (("priority", "P2"), ("url", "https://desk/T-1")) == note.data
    assert note == Notification(
        **notification_args(  # type: ignore[arg-type]
            recipients=("ann", "bob"),
            audience=Audience.STAFF,
            data=[("url", "https://desk/T-1"), ("priority", "P2")],
        )
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"created_at": NAIVE}, "naive"),
        ({"created_at": "2026-03-02"}, "timezone-aware datetime"),
        ({"recipients": "ann"}, "recipients must be a list or tuple"),
        ({"recipients": None}, "recipients must be a list or tuple"),
        ({"recipients": []}, "at least one recipient"),
        ({"recipients": ["ann", 7]}, "recipient must be a string"),
        ({"recipients": [" "]}, "recipient must not be empty"),
        ({"dedup_key": ""}, "dedup_key must not be empty"),
        ({"ticket_id": None}, "ticket_id must be a string"),
        ({"template": 3}, "template must be a string"),
        ({"subject": "  "}, "subject must not be empty"),
        ({"body": None}, "body must be a string"),
        ({"audience": "everyone"}, "audience must be one of 'requester', 'staff'"),
        ({"data": "url=x"}, "data must be a mapping"),
        ({"data": [("url",)]}, "pairs of strings"),
        ({"data": [("a", "1"), ("a", "2")]}, "names 'a' twice"),
        ({"data": {"a": 1}}, "must be a string"),
    ],
)
def test_notification_rejects_bad_fields(changes: dict[str, object], message: str) -> None:
    """
    A notification with a bad field raises InvalidInput saying which and why.
    """
    with pytest.raises(InvalidInput, match=message):
        Notification(**notification_args(**changes))  # type: ignore[arg-type]


def test_notification_failed_is_a_deskflow_runtime_error() -> None:
    """
    NotificationFailed is caught as DeskflowError or RuntimeError and names the key.
    """
    error = NotificationFailed("smtp down", dedup_key="k-1")
    assert isinstance(error, DeskflowError)
    assert isinstance(error, RuntimeError)
    assert "k-1" == error.dedup_key


def test_article_tags() -> None:
    """
    A lone tag string is one tag; repeated tags are dropped; bad fields raise InvalidInput.
    """
    assert ("vpn",) == Article("KB-1", "VPN", "", "vpn").tags
    assert ("vpn", "mfa") == Article("KB-1", "VPN", "", ["vpn", "mfa", "vpn"]).tags
    with pytest.raises(InvalidInput, match="tags must be strings"):
        Article("KB-1", "VPN", "", 3)
    with pytest.raises(InvalidInput, match="id must not be empty"):
        Article("", "VPN", "")


# -- InMemoryTicketRepository ------------------------------------------------------------------


def _calls() -> list[tuple[str, Callable[[InMemoryTicketRepository], object]]]:
    t = incident()
    return [
        ("ticket_id must be a string", lambda r: r.get(42)),
        ("expected a deskflow Ticket", lambda r: r.add("T-1")),
        ("naive", lambda r: r.add(t, next_check_at=NAIVE)),
        ("timezone-aware", lambda r: r.add(t, next_check_at="soon")),
        ("outbox must be a list", lambda r: r.add(t, outbox="k-1")),
        ("outbox must be a list", lambda r: r.add(t, outbox=5)),
        ("must be Notifications", lambda r: r.add(t, outbox=[object()])),
        ("expected_version must be an int", lambda r: r.save(t, "1")),
        ("expected_version must be an int", lambda r: r.save(t, True)),
        ("expected_version must be an int", lambda r: r.save(t, -1)),
        ("naive", lambda r: r.save(t, 1, next_check_at=NAIVE)),
        ("now must be a timezone-aware", lambda r: r.due("now", 1)),
        ("limit must be an int", lambda r: r.due(T0, -1)),
        ("limit must be an int", lambda r: r.due(T0, 1.5)),
        ("limit must be an int", lambda r: r.due(T0, True)),
        ("requester_id must be a string", lambda r: r.by_requester(3)),
        ("state must be a string", lambda r: r.by_state(None)),
        ("agent_id must not be empty", lambda r: r.by_assignee("")),
        ("alert_key must be a string", lambda r: r.open_by_alert_key(None, ())),
        ("final_states must be an iterable", lambda r: r.open_by_alert_key("a", "closed")),
        ("final_states must be a string", lambda r: r.open_by_alert_key("a", [1])),
        ("limit must be an int", lambda r: r.pending_notifications(-1)),
        ("dedup_keys must be an iterable", lambda r: r.mark_delivered("k-1")),
        ("dedup_keys must be a string", lambda r: r.mark_delivered([1])),
    ]


@pytest.mark.parametrize(("message", "call"), _calls(), ids=[m for m, _ in _calls()])
def test_repository_rejects_bad_arguments(
    message: str, call: Callable[[InMemoryTicketRepository], object]
) -> None:
    """
    Every bad argument raises InvalidInput (never a bare TypeError or KeyError) and writes nothing.
    """
    repo = InMemoryTicketRepository()
    with pytest.raises(InvalidInput, match=message):
        call(repo)
    assert [] == repo.by_requester("ann")
    assert [] == repo.pending_notifications(10)


def test_bad_outbox_item_writes_nothing() -> None:
    """
    An add whose outbox holds a non-notification stores neither the ticket nor the others.
    """
    repo = InMemoryTicketRepository()
    with pytest.raises(InvalidInput):
        repo.add(incident(), next_check_at=T0, outbox=[make_notification("k-1"), "k-2"])  # type: ignore[list-item]
    assert [] == repo.by_requester("ann")
    assert [] == repo.due(T0, 10)
    assert [] == repo.pending_notifications(10)


def test_due_only_reads() -> None:
    """
    Asking what is due twice gives the same answer: due removes nothing.
    """
    repo = InMemoryTicketRepository()
    for i in range(5):
        repo.add(incident(f"T-{i}"), next_check_at=T0 + timedelta(minutes=i))
    now = T0 + timedelta(minutes=3)
    assert ["T-0", "T-1", "T-2", "T-3"] == repo.due(now, 10)
    assert ["T-0", "T-1"] == repo.due(now, 2)
    assert ["T-0", "T-1", "T-2", "T-3"] == repo.due(now, 10)


def test_due_index_stays_bounded() -> None:
    """
    Moving one ticket's next check many times does not grow the due index without bound.
    """
    repo = InMemoryTicketRepository()
    current = incident()
    repo.add(current, next_check_at=T0)
    for i in range(1000):
        changed = current.record(Classified(at=T0, actor="lee", category=f"c{i}"))
        repo.save(changed, current.version, next_check_at=T0 + timedelta(days=i + 1))
        current = changed
    assert 100 > len(repo._due._heap)
    assert ["T-1"] == repo.due(T0 + timedelta(days=1000), 10)
    assert [] == repo.due(T0 + timedelta(days=999), 10)


def test_concurrent_saves_lose_no_update() -> None:
    """
    Threads doing load-change-save with retry on ConcurrencyError lose no change.
    """
    repo = InMemoryTicketRepository()
    repo.add(incident())
    threads, saves_each = 8, 25
    conflicts: list[int] = []

    def work(worker: int) -> None:
        for n in range(saves_each):
            while True:
                loaded = repo.get("T-1")
                changed = loaded.record(Classified(at=T0, actor="lee", category=f"w{worker}"))
                note = make_notification(f"w{worker}-{n}")
                try:
                    repo.save(changed, loaded.version, outbox=[note])
                    break
                except ConcurrencyError:
                    conflicts.append(worker)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert 1 + threads * saves_each == repo.get("T-1").version
    assert threads * saves_each == len(repo.pending_notifications(10_000))


# -- InMemoryNotifier --------------------------------------------------------------------------


def test_notifier_fails_always_until_recovered() -> None:
    """
    fail_always makes every send raise NotificationFailed until recover; nothing is recorded.
    """
    notifier = InMemoryNotifier()
    notifier.fail_always()
    for _ in range(3):
        with pytest.raises(NotificationFailed, match="k-1"):
            notifier.send(make_notification("k-1"))
    assert [] == notifier.sent
    assert 3 == notifier.failures
    notifier.recover()
    notifier.send(make_notification("k-1"))
    assert ["k-1"] == [n.dedup_key for n in notifier.sent]


def _send(notifier: InMemoryNotifier, count: int) -> list[bool]:
    """
    Send notifications k-0 .. k-(count - 1); whether each send went through, in order.
    """
    outcomes = []
    for i in range(count):
        try:
            notifier.send(make_notification(f"k-{i}"))
            outcomes.append(True)
        except NotificationFailed:
            outcomes.append(False)
    return outcomes


def test_notifier_fails_the_next_n_times() -> None:
    """
    fail_next(2) fails exactly the next two sends.
    """
    notifier = InMemoryNotifier()
    notifier.fail_next(2)
    assert [False, False, True, True] == _send(notifier, 4)
    assert ["k-2", "k-3"] == [n.dedup_key for n in notifier.sent]


def _random_outcomes(seed: int, probability: float) -> list[bool]:
    notifier = InMemoryNotifier()
    notifier.fail_randomly(probability, random.Random(seed))
    return _send(notifier, 200)


def test_notifier_random_failures_replay_with_the_seed() -> None:
    """
    Random failures follow the seeded generator: the same seed fails the same sends.
    """
    outcomes = _random_outcomes(7, 0.3)
    assert outcomes == _random_outcomes(7, 0.3)
    assert 20 < outcomes.count(False) < 100
    assert all(_random_outcomes(7, 0.0))
    assert not any(_random_outcomes(7, 1.0))


def test_notifier_sent_is_a_copy() -> None:
    """
    Changing the list sent returns changes nothing recorded.
    """
    notifier = InMemoryNotifier()
    notifier.send(make_notification("k-1"))
    notifier.sent.clear()
    assert 1 == len(notifier.sent)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda n: n.send("hello"), "expected a Notification"),
        (lambda n: n.fail_next(-1), "times must be an int from 0"),
        (lambda n: n.fail_next("2"), "times must be an int from 0"),
        (lambda n: n.fail_randomly(1.5, random.Random(1)), "from 0 to 1"),
        (lambda n: n.fail_randomly("0.5", random.Random(1)), "probability must be a number"),
        (lambda n: n.fail_randomly(True, random.Random(1)), "probability must be a number"),
        (lambda n: n.fail_randomly(0.5, 42), "rng must be a random.Random"),
    ],
)
def test_notifier_rejects_bad_arguments(
    call: Callable[[InMemoryNotifier], object], message: str
) -> None:
    """
    Bad arguments to the notifier raise InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        call(InMemoryNotifier())


# -- clocks ------------------------------------------------------------------------------------


def test_manual_clock_moves_only_forward() -> None:
    """
    set and advance move the clock forward; setting the same instant is allowed, back is not.
    """
    clock = ManualClock(T0)
    clock.advance(timedelta(minutes=5))
    assert T0 + timedelta(minutes=5) == clock.now()
    clock.set(T0 + timedelta(hours=1))
    clock.set(T0 + timedelta(hours=1))
    clock.advance(timedelta(0))
    assert T0 + timedelta(hours=1) == clock.now()
    with pytest.raises(InvalidInput, match="cannot go back"):
        clock.set(T0)
    assert T0 + timedelta(hours=1) == clock.now()


# Wrong types on purpose (hence the type: ignores): each case checks a run-time refusal.
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ManualClock(NAIVE), "naive"),
        (lambda: ManualClock("2026-03-02"), "timezone-aware datetime"),  # type: ignore[arg-type]
        (lambda: ManualClock(T0).set(NAIVE), "naive"),
        (lambda: ManualClock(T0).advance(timedelta(seconds=-1)), "must not be negative"),
        (lambda: ManualClock(T0).advance(5), "must be a datetime.timedelta"),  # type: ignore[arg-type]
    ],
)
def test_manual_clock_rejects_bad_arguments(call: Callable[[], object], message: str) -> None:
    """
    Naive datetimes, non-datetimes and negative or non-timedelta steps raise InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        call()


def test_system_clock_reads_utc_now() -> None:
    """
    SystemClock returns the current instant, aware, in UTC.
    """
    before = datetime.now(UTC)
    now = SystemClock().now()
    assert UTC == now.tzinfo
    assert before <= now <= datetime.now(UTC)


# -- InMemoryKnowledgeBase ---------------------------------------------------------------------

ARTICLES = [
    Article("KB-1", "Printer jams", "Open tray 2 and remove the paper.", ["printer"]),
    Article("KB-2", "VPN token expired", "Request a new token in the portal.", ["vpn"]),
    Article("KB-3", "Slow laptop", "If the VPN is on, turn it off and on again.", []),
    Article("KB-4", "Password reset", "Use the self-service portal.", ["password"]),
]


def test_suggest_ranks_tags_then_titles_then_bodies() -> None:
    """
    A match in a tag outweighs one in a title, which outweighs one in a body.
    """
    kb = InMemoryKnowledgeBase(ARTICLES)
    found = kb.suggest(incident(title="VPN token expired", description="The vpn refuses me."))
    assert ["KB-2", "KB-3"] == [a.id for a in found]
    assert ["KB-2"] == [a.id for a in kb.suggest(incident(title="VPN token"), limit=1)]


def test_suggest_ignores_case_stopwords_and_unrelated_articles() -> None:
    """
    Matching is case-insensitive, skips common words, and returns nothing when nothing fits.
    """
    kb = InMemoryKnowledgeBase(ARTICLES)
    assert ["KB-1"] == [a.id for a in kb.suggest(incident(title="PRINTER is on fire"))]
    assert [] == kb.suggest(incident(title="The and of is"))
    assert [] == kb.suggest(incident(title="Coffee machine"))
    assert [] == kb.suggest(incident(title="VPN down"), limit=0)


def test_record_resolution_makes_one_candidate_per_ticket() -> None:
    """
    A resolved ticket becomes a candidate (latest resolution wins); only add publishes it.
    """
    kb = InMemoryKnowledgeBase()
    t = incident(title="Outlook crashes").record(
        Classified(at=T0, actor="lee", category="email", service="outlook")
    )
    first = INCIDENT.fire(t, "resolve", actor=LEE, at=T0, resolution="Safe mode fixed it.")
    kb.record_resolution(first)
    again = INCIDENT.fire(first, "reopen", actor=LEE, at=T0)
    second = INCIDENT.fire(again, "resolve", actor=LEE, at=T0, resolution="Repair Office.")
    kb.record_resolution(second)
    candidate = Article("candidate:T-1", "Outlook crashes", "Repair Office.", ["email", "outlook"])
    assert [candidate] == kb.candidates
    assert [] == kb.suggest(incident(title="Outlook crashes again"))
    kb.add(candidate)
    assert [candidate] == kb.suggest(incident(title="Outlook crashes again"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda kb: kb.record_resolution(incident()), "has no resolution"),
        (lambda kb: kb.record_resolution("T-1"), "expected a deskflow Ticket"),
        (lambda kb: kb.suggest("VPN"), "expected a deskflow Ticket"),
        (lambda kb: kb.suggest(incident(), limit=-1), "limit must be an int"),
        (lambda kb: kb.add({"id": "KB-1"}), "expected an Article"),
    ],
)
def test_knowledge_base_rejects_bad_arguments(
    call: Callable[[InMemoryKnowledgeBase], object], message: str
) -> None:
    """
    Non-tickets, unresolved tickets, bad limits and non-articles raise InvalidInput.
    """
    with pytest.raises(InvalidInput, match=message):
        call(InMemoryKnowledgeBase())


def test_next_id_counts_from_one_and_skips_stored_ids() -> None:
    """
    In memory, next_id starts at PREFIX-1 and steps over ids a host stored itself.
    """
    repo = InMemoryTicketRepository()
    assert "INC-1" == repo.next_id("INC")
    repo.add(incident("INC-2"))
    repo.add(incident("INC-3"))
    assert "INC-4" == repo.next_id("INC")
    assert "REQ-1" == repo.next_id(" REQ ")


def test_claims_step_over_others_without_losing_their_entries() -> None:
    """
    Tickets held by another owner are stepped over and stay in the due index: after their
    lease, they come back in order.
    """
    repo = InMemoryTicketRepository()
    for i in range(5):
        repo.add(incident(f"T-{i}"), next_check_at=T0 + timedelta(minutes=i))
    lease = timedelta(minutes=10)
    assert ["T-0", "T-1"] == repo.claim_due(T0 + timedelta(hours=1), 2, owner="a", lease=lease)
    assert ["T-2", "T-3"] == repo.claim_due(T0 + timedelta(hours=1), 2, owner="b", lease=lease)
    later = T0 + timedelta(hours=2)
    assert ["T-0", "T-1", "T-2", "T-3", "T-4"] == repo.claim_due(later, 9, owner="c", lease=lease)


def test_outbox_heaps_stay_bounded() -> None:
    """
    An item failing and coming back many times does not grow the outbox's heaps without bound.
    """
    repo = InMemoryTicketRepository()
    repo.add(incident(), outbox=[make_notification("k-1")])
    now, lease = T0, timedelta(minutes=1)
    for _ in range(1000):
        assert ["k-1"] == [
            i.dedup_key for i in repo.claim_notifications(now, 5, owner="w", lease=lease)
        ]
        now += timedelta(minutes=1)
        repo.mark_failed([DeliveryFailure("k-1", "down", now)])
    outbox = repo._outbox
    assert 100 > len(outbox._ready) + len(outbox._waiting)
    assert 1000 == repo.claim_notifications(now, 1, owner="w", lease=lease)[0].attempts
