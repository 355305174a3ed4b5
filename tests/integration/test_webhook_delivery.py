"""
WebhookNotifier against a real HTTP server on 127.0.0.1 (the standard library's): signed
posts a receiver verifies, failures as NotificationFailed, and a round trip through the
desk's outbox where the first attempt fails and the retry is delivered.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple

import pytest

from builders import ANN, T0, helpdesk
from deskflow.codec import notification_from_dict
from deskflow.notifications import Notification, NotificationFailed
from deskflow.retry import RetryPolicy
from deskflow.service import HelpDesk
from deskflow.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, WebhookNotifier, verify

SECRET = b"webhook-secret-0123456789"


class Request(NamedTuple):
    """
    One request the receiver got: path, headers (lower-case names) and raw body.
    """

    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(ThreadingHTTPServer):
    """
    An HTTP server on 127.0.0.1 that records each POST and answers with the next status of
    ``answers`` (200 once they run out); ``hold`` keeps it from answering until set.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[Request] = []
        self.answers: list[int] = []
        self.hold: threading.Event | None = None

    @property
    def url(self) -> str:
        """
        The URL of the receiver's hook.
        """
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/desk"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        receiver = self.server
        receiver.requests.append(
            Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        if receiver.hold is not None:
            receiver.hold.wait(10)
        status = receiver.answers.pop(0) if receiver.answers else 200
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """
        Quiet: the tests read the recorded requests instead.
        """


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """
    A receiver serving from a thread for one test, then shut down.
    """
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if server.hold is not None:
            server.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def note() -> Notification:
    """
    A notification about INC-7 for ann.
    """
    return Notification(
        dedup_key="INC-7#4:ticket_resolved",
        ticket_id="INC-7",
        recipients=["ann"],
        template="ticket_resolved",
        audience="requester",
        subject="[INC-7] Your VPN works again",
        body="We restarted the gateway.",
        created_at=T0,
    )


def test_a_post_carries_the_notification_signed(receiver: Receiver) -> None:
    """
    The receiver gets the notification's JSON at its path, with a signature that verifies
    and the dedup key as the delivery id.
    """
    with WebhookNotifier(receiver.url, SECRET, headers={"X-Api-Key": "k-1"}) as hook:
        hook.send(note())
    [request] = receiver.requests
    assert "/hooks/desk" == request.path
    assert note() == notification_from_dict(json.loads(request.body))
    verify(request.body, request.headers[SIGNATURE_HEADER.lower()], SECRET)
    assert "INC-7#4:ticket_resolved" == request.headers[DELIVERY_HEADER.lower()]
    assert ("application/json", "k-1") == (
        request.headers["content-type"],
        request.headers["x-api-key"],
    )


@pytest.mark.parametrize("status", [500, 503, 404, 301, 204])
def test_anything_but_2xx_fails_the_notification(receiver: Receiver, status: int) -> None:
    """
    Server errors, client errors and redirects (not followed) are NotificationFailed; a
    204 is delivered.
    """
    receiver.answers = [status]
    with WebhookNotifier(receiver.url, SECRET) as hook:
        if status == 204:
            hook.send(note())
        else:
            with pytest.raises(NotificationFailed, match=f"answered {status}") as failed:
                hook.send(note())
            assert "INC-7#4:ticket_resolved" == failed.value.dedup_key
    assert ["/hooks/desk"] == [r.path for r in receiver.requests]


def test_a_closed_port_or_a_slow_receiver_fails_the_notification(receiver: Receiver) -> None:
    """
    A refused connection and a receiver slower than the timeout are NotificationFailed.
    """
    closed = Receiver()
    url = closed.url
    closed.server_close()
    with (
        WebhookNotifier(url, SECRET) as hook,
        pytest.raises(NotificationFailed, match="ConnectError"),
    ):
        hook.send(note())
    receiver.hold = threading.Event()
    with (
        WebhookNotifier(receiver.url, SECRET, timeout=0.2) as hook,
        pytest.raises(NotificationFailed, match="ReadTimeout"),
    ):
        hook.send(note())
    receiver.hold.set()


def test_a_failed_post_is_retried_through_the_outbox(receiver: Receiver) -> None:
    """
    The receiver answers 503 first: the round records a failure, and after the backoff the
    same body and delivery id arrive again and are accepted, freshly signed.
    """
    rig = helpdesk()
    hook = WebhookNotifier(receiver.url, SECRET, clock=rig.clock)
    desk = HelpDesk(rig.repo, hook, rig.clock, retry_policy=RetryPolicy(jitter=0.0, max_attempts=3))
    desk.open(ANN, title="VPN down")
    receiver.answers = [503]
    key = "INC-1#0:ticket_received"
    assert (key,) == desk.deliver_pending().failed
    rig.clock.advance(timedelta(seconds=30))
    assert (key,) == desk.deliver_pending().sent
    hook.close()
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers[DELIVERY_HEADER.lower()] == second.headers[DELIVERY_HEADER.lower()]
    signed = verify(
        second.body, second.headers[SIGNATURE_HEADER.lower()], SECRET, now=rig.clock.now()
    )
    assert T0 + timedelta(seconds=30) == signed
    delivered = notification_from_dict(json.loads(second.body))
    assert (key, "ticket_received", ("ann",)) == (
        delivered.dedup_key,
        delivered.template,
        delivered.recipients,
    )
    assert [] == desk.dead_letters()
    assert [] == rig.repo.pending_notifications(10)
