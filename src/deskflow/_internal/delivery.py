"""
One delivery round: claim outbox items, hand each to the notifier, record what happened.

The pipeline's ``deliver_pending`` is this function over its repository, notifier, clock and
retry policy. A claimed item is this worker's until its lease runs out, so a round stops
sending once half the lease is gone: what is left goes back to the outbox with the lease and
no other worker can have taken an item this one is still sending.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from deskflow.exceptions import DeskflowError
from deskflow.outbox import Delivery, DeliveryFailure
from deskflow.ports import Notifier, TicketRepository
from deskflow.retry import RetryPolicy

log = logging.getLogger("deskflow.delivery")

#: The longest error text kept with an outbox item.
_ERROR_CHARS = 500


def describe(error: BaseException) -> str:
    """
    The error as one line for a report or an outbox item: its type and message.
    """
    text = f"{type(error).__name__}: {error}".replace("\n", " ")
    return text if len(text) <= _ERROR_CHARS else text[: _ERROR_CHARS - 1] + "…"


def deliver_round(
    repository: TicketRepository,
    notifier: Notifier,
    policy: RetryPolicy,
    *,
    owner: str,
    now: Callable[[], datetime],
    limit: int,
    stop: threading.Event | None = None,
) -> Delivery:
    """
    Claim at most ``limit`` due outbox items for ``owner``, send them, mark them delivered or
    failed (with the next attempt from ``policy``, or as dead letters), and say what happened.
    """
    started = now()
    deadline = started + policy.lease / 2
    items = repository.claim_notifications(started, limit, owner=owner, lease=policy.lease)
    sent: list[str] = []
    failures: list[DeliveryFailure] = []
    try:
        for done, item in enumerate(items):
            if (stop is not None and stop.is_set()) or now() >= deadline:
                # The rest stays claimed until the lease runs out, then any worker sends it.
                log.info("delivery round stopped with %d items left", len(items) - done)
                break
            try:
                notifier.send(item.notification)
            except Exception as error:  # a host's notifier may fail in any way; nothing is lost
                attempts = item.attempts + 1
                retry_at = policy.retry_at(attempts, now())
                failures.append(DeliveryFailure(item.dedup_key, describe(error), retry_at))
                level = logging.INFO if isinstance(error, DeskflowError) else logging.WARNING
                if retry_at is None:
                    level = logging.ERROR
                log.log(
                    level,
                    "delivery of %s failed (attempt %d of %d%s): %s",
                    item.dedup_key,
                    attempts,
                    policy.max_attempts,
                    ", now a dead letter" if retry_at is None else "",
                    describe(error),
                )
            else:
                sent.append(item.dedup_key)
    finally:
        # Recorded even if the round is interrupted, so nothing sent is sent again.
        if sent:
            repository.mark_delivered(sent)
        if failures:
            repository.mark_failed(failures)
    return Delivery(
        tuple(sent),
        tuple(f.dedup_key for f in failures if f.retry_at is not None),
        tuple(f.dedup_key for f in failures if f.retry_at is None),
    )
