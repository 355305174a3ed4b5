"""
Webhook signatures: what the desk signs, and what a receiver's ``verify`` accepts and refuses.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import T0
from deskflow import InvalidInput
from deskflow.adapters import ManualClock
from deskflow.codec import notification_from_dict
from deskflow.notifications import Notification
from deskflow.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    InvalidSignature,
    WebhookNotifier,
    sign,
    verify,
    webhook_body,
)

SECRET = b"webhook-secret-0123456789"
OTHER = b"another-secret-0123456789"
NOW = int(T0.timestamp())
BODY = b'{"ticket_id":"INC-7"}'


def note() -> Notification:
    """
    A notification with non-ASCII text, locale, zone and HTML.
    """
    return Notification(
        dedup_key="INC-7#4:ticket_resolved",
        ticket_id="INC-7",
        recipients=["ann"],
        template="ticket_resolved",
        audience="requester",
        subject="Ihr Ticket ist gelöst",
        body="Grüße",
        html="<p>Grüße</p>",
        locale="de",
        time_zone="Europe/Berlin",
        created_at=T0,
        data={"url": "https://desk.example/INC-7"},
    )


def test_the_body_is_the_json_form_of_the_notification() -> None:
    """
    The body decodes back to the notification, with its keys sorted and UTF-8 text.
    """
    body = webhook_body(note())
    assert note() == notification_from_dict(json.loads(body))
    assert "Grüße".encode() in body
    assert list(json.loads(body)) == sorted(json.loads(body))


def test_a_signature_made_now_verifies_and_gives_its_instant() -> None:
    """
    ``verify`` accepts a fresh signature and returns the instant it was made.
    """
    assert T0 == verify(BODY, sign(BODY, SECRET, NOW), SECRET, now=T0 + timedelta(seconds=30))


@pytest.mark.parametrize(
    ("header", "match"),
    [
        (None, "no Deskflow-Signature header"),
        ("", "no Deskflow-Signature header"),
        ("v1=" + "0" * 64, "malformed"),
        (f"t={NOW}", "malformed"),
        (f"t={NOW},v1=xyz", "malformed"),
        (f"t=-5,v1={'0' * 64}", "malformed"),
        (f"t={NOW},v1={'0' * 64}", "does not match"),
    ],
)
def test_a_missing_or_malformed_signature_is_refused(header: str | None, match: str) -> None:
    """
    No header, no timestamp, no v1 or a wrong v1: an InvalidSignature saying which.
    """
    with pytest.raises(InvalidSignature, match=match):
        verify(BODY, header, SECRET, now=T0)


def test_another_body_or_secret_does_not_verify() -> None:
    """
    A changed body, or a signature made with another secret, is refused.
    """
    header = sign(BODY, SECRET, NOW)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(BODY + b" ", header, SECRET, now=T0)
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(BODY, header, OTHER, now=T0)


def test_a_moved_timestamp_breaks_the_signature() -> None:
    """
    The timestamp is signed: putting a fresh one on an old signature does not verify.
    """
    old = sign(BODY, SECRET, NOW - 3600)
    forged = old.replace(f"t={NOW - 3600}", f"t={NOW}")
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(BODY, forged, SECRET, now=T0)


def test_an_old_or_future_signature_is_refused_as_a_replay() -> None:
    """
    Outside the tolerance, either way, a correct signature is refused; inside, accepted.
    """
    header = sign(BODY, SECRET, NOW)
    for now in (T0 + timedelta(minutes=6), T0 - timedelta(minutes=6)):
        with pytest.raises(InvalidSignature, match="replay"):
            verify(BODY, header, SECRET, now=now)
    assert T0 == verify(
        BODY, header, SECRET, now=T0 + timedelta(minutes=6), tolerance=timedelta(minutes=10)
    )


def test_a_receiver_rotating_secrets_accepts_either() -> None:
    """
    With several secrets, a signature made with any of them verifies.
    """
    assert T0 == verify(BODY, sign(BODY, OTHER, NOW), [SECRET, OTHER], now=T0)


def test_bad_arguments_are_invalid_input_not_a_bad_signature() -> None:
    """
    A short secret, a str body, a naive now or a negative tolerance is the caller's mistake.
    """
    header = sign(BODY, SECRET, NOW)
    with pytest.raises(InvalidInput, match="16 bytes"):
        sign(BODY, b"short", NOW)
    with pytest.raises(InvalidInput, match="body must be bytes"):
        verify("text", header, SECRET)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="timezone-aware"):
        verify(BODY, header, SECRET, now=T0.replace(tzinfo=None))
    with pytest.raises(InvalidInput, match="tolerance"):
        verify(BODY, header, SECRET, tolerance=timedelta(seconds=-1))
    with pytest.raises(InvalidInput, match="at least one secret"):
        verify(BODY, header, [])


@given(body=st.binary(max_size=200), offset=st.integers(-300, 300))
def test_any_body_signed_within_the_tolerance_verifies(body: bytes, offset: int) -> None:
    """
    Whatever the bytes, a signature made up to five minutes either side verifies.
    """
    assert T0 == verify(body, sign(body, SECRET, NOW), SECRET, now=T0 + timedelta(seconds=offset))


@given(body=st.binary(min_size=1, max_size=200), data=st.data())
def test_any_change_of_one_byte_is_refused(body: bytes, data: st.DataObject) -> None:
    """
    Flipping any bit of any byte of the body makes the signature fail.
    """
    index = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.integers(0, 7))
    changed = bytearray(body)
    changed[index] ^= 1 << bit
    with pytest.raises(InvalidSignature):
        verify(bytes(changed), sign(body, SECRET, NOW), SECRET, now=T0)


def test_the_notifier_signs_with_its_clock_and_names_the_delivery() -> None:
    """
    The request headers carry a signature made at the clock's instant and the dedup key.
    """
    with WebhookNotifier("https://hooks.example/desk", SECRET, clock=ManualClock(T0)) as hook:
        body = webhook_body(note())
        headers = hook.request_headers(note(), body)
    assert f"t={NOW}," in headers[SIGNATURE_HEADER]
    assert T0 == verify(body, headers[SIGNATURE_HEADER], SECRET, now=T0)
    assert "INC-7#4:ticket_resolved" == headers[DELIVERY_HEADER]
    assert "application/json" == headers["Content-Type"]


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("ftp://hooks.example/", SECRET), {}, "http:// or https://"),
        (("https:///path", SECRET), {}, "http:// or https://"),
        (("https://hooks.example/", b"short"), {}, "16 bytes"),
        (("https://hooks.example/", "a-str-secret-of-many-chars"), {}, "16 bytes"),
        (("https://hooks.example/", SECRET), {"timeout": 0}, "timeout"),
        (("https://hooks.example/", SECRET), {"client": object()}, "httpx.Client"),
        (("https://hooks.example/", SECRET), {"headers": {"X-Key": "a\r\nX: b"}}, "line break"),
    ],
)
def test_a_misconfigured_webhook_is_refused_when_made(
    args: tuple[object, ...], kwargs: dict[str, object], match: str
) -> None:
    """
    A bad URL, secret, timeout, client or header is an InvalidInput at construction.
    """
    with pytest.raises(InvalidInput, match=match):
        WebhookNotifier(*args, **kwargs)  # type: ignore[arg-type]


def test_a_timestamp_of_thousands_of_digits_is_a_bad_signature_not_a_crash() -> None:
    """A forged header with a 5000-digit ``t`` is refused as malformed (a receiver answers
    401), not a ValueError from Python's integer conversion limit (a 500)."""
    header = f"t={'9' * 5000},v1={'a' * 64}"
    with pytest.raises(InvalidSignature, match="malformed"):
        verify(b"{}", header, b"a-receiver-secret-0123")
