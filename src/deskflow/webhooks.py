"""
Webhooks: each notification POSTed as JSON to a URL of the host's, signed so the receiver
knows it came from the desk and was not replayed.

The request body is the JSON form of the notification
([`notification_to_dict()`][deskflow.codec.notification_to_dict], keys sorted, UTF-8), the
same bytes on every retry. Its headers:

- ``Content-Type: application/json``;
- ``Deskflow-Signature: t=<unix seconds>,v1=<hex>``: HMAC-SHA256 with the shared secret over
  ``<t>.`` followed by the body;
- ``Deskflow-Delivery``: the notification's dedup key (percent-encoded), the same on every
  retry, so a receiver drops a key it has already handled.

A receiver checks a request with [`verify()`][deskflow.webhooks.verify] before trusting it:
the signature must match and its timestamp lie within a tolerance of the receiver's clock
(five minutes by default), so a captured request cannot be played again later. The sender
needs the ``webhooks`` extra (httpx); ``sign`` and ``verify`` need only the standard library.

>>> secret = b"shared-secret-of-16+-bytes"
>>> header = sign(b'{"ticket_id":"INC-7"}', secret, 1772442000)
>>> header  # doctest: +ELLIPSIS
't=1772442000,v1=...'
>>> from datetime import datetime, timezone
>>> verify(b'{"ticket_id":"INC-7"}', header, secret,
...        now=datetime(2026, 3, 2, 9, 1, tzinfo=timezone.utc))
datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from deskflow.codec import notification_to_dict
from deskflow.exceptions import InvalidInput
from deskflow.notifications import Notification, NotificationFailed

if TYPE_CHECKING:
    import httpx

    from deskflow.ports import Clock

__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "InvalidSignature",
    "WebhookNotifier",
    "sign",
    "verify",
    "webhook_body",
]

log = logging.getLogger("deskflow.webhooks")

#: The header holding the signature: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``.
SIGNATURE_HEADER = "Deskflow-Signature"
#: The header naming the notification (its dedup key, percent-encoded).
DELIVERY_HEADER = "Deskflow-Delivery"

_SCHEME = "v1"
_MIN_SECRET = 16
_HEX = re.compile(r"[0-9a-f]{64}")


class InvalidSignature(InvalidInput):
    """
    A webhook request whose signature is missing, malformed, wrong or too old.
    """


def _secret(value: object) -> bytes:
    if not isinstance(value, bytes) or len(value) < _MIN_SECRET:
        raise InvalidInput(f"a webhook secret must be at least {_MIN_SECRET} bytes")
    return value


def _mac(body: bytes, secret: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def webhook_body(notification: Notification) -> bytes:
    """
    The request body for ``notification``: its JSON form, keys sorted, UTF-8.
    """
    return json.dumps(
        notification_to_dict(notification),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def sign(body: bytes, secret: bytes, timestamp: int) -> str:
    """
    The ``Deskflow-Signature`` header value for ``body`` sent at ``timestamp`` (unix
    seconds).
    """
    if not isinstance(body, bytes):
        raise InvalidInput(f"body must be bytes, got {type(body).__name__}")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp < 0:
        raise InvalidInput(f"timestamp must be whole unix seconds, got {timestamp!r}")
    return f"t={timestamp},{_SCHEME}={_mac(body, _secret(secret), timestamp)}"


def verify(
    body: bytes,
    header: str | None,
    secret: bytes | Iterable[bytes],
    *,
    tolerance: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> datetime:
    """
    Check a webhook request: its raw ``body`` and ``Deskflow-Signature`` ``header`` against
    ``secret`` (or several, while a secret is being rotated). Returns the instant it was
    signed; raises [`InvalidSignature`][deskflow.webhooks.InvalidSignature] if no ``v1``
    signature matches or the instant is further than ``tolerance`` from ``now`` (the wall
    clock by default), either way.

    Check the raw bytes as received, before parsing the JSON: a re-serialised body differs.
    """
    if not isinstance(body, bytes):
        raise InvalidInput(f"body must be bytes, got {type(body).__name__}")
    if not isinstance(tolerance, timedelta) or tolerance < timedelta(0):
        raise InvalidInput(f"tolerance must be a timedelta of 0 or more, got {tolerance!r}")
    secrets = [_secret(secret)] if isinstance(secret, bytes) else [_secret(s) for s in secret]
    if not secrets:
        raise InvalidInput("give at least one secret")
    if not isinstance(header, str) or not header.strip():
        raise InvalidSignature(f"the request has no {SIGNATURE_HEADER} header")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        # Unix seconds have 10 digits until 2286; thousands would be a ValueError from int().
        digits = value.isascii() and value.isdigit() and len(value) <= 18
        if key == "t" and digits and timestamp is None:
            timestamp = int(value)
        elif key == _SCHEME and _HEX.fullmatch(value):
            signatures.append(value)
    if timestamp is None or not signatures:
        raise InvalidSignature(
            f"malformed {SIGNATURE_HEADER} header (expected t=<unix seconds>,v1=<hex>)"
        )
    expected = [_mac(body, s, timestamp) for s in secrets]
    if not any(hmac.compare_digest(e, given) for e in expected for given in signatures):
        raise InvalidSignature("the signature does not match the body")
    try:
        signed_at = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidSignature(f"the timestamp {timestamp} is not an instant") from error
    reference = datetime.now(UTC) if now is None else now
    if reference.tzinfo is None:
        raise InvalidInput("now must be timezone-aware")
    if abs(reference - signed_at) > tolerance:
        raise InvalidSignature(
            f"signed at {signed_at.isoformat()}, more than {tolerance} from "
            f"{reference.isoformat()}: refused as a replay"
        )
    return signed_at


def _url(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"url must be a string, got {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url must be an http:// or https:// URL, got {value!r}")
    return value


class WebhookNotifier:
    """
    A [`Notifier`][deskflow.ports.Notifier] POSTing each notification to ``url``, signed
    with ``secret`` (bytes, at least 16, shared with the receiver).

    ``client`` is an ``httpx.Client`` to send with (its transport, proxies, certificates);
    by default the notifier makes one and ``close()`` closes it. ``timeout`` (seconds)
    bounds each request; ``clock`` gives the signing instant (the system clock by default);
    ``headers`` are added to every request (an API key of the receiver's, say).

    Any answer but a 2xx (redirects are not followed), and any transport error (refused
    connection, timeout, TLS failure), raises
    [`NotificationFailed`][deskflow.notifications.NotificationFailed]: the notification stays
    in the outbox and is retried with the same body and ``Deskflow-Delivery``, signed anew.
    """

    def __init__(
        self,
        url: str,
        secret: bytes,
        *,
        client: httpx.Client | None = None,
        timeout: float = 10.0,
        clock: Clock | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        try:
            import httpx
        except ImportError as error:  # pragma: no cover - the extra is installed in tests
            raise ImportError(
                "WebhookNotifier needs httpx: pip install 'deskflow[webhooks]'"
            ) from error
        self.url = _url(url)
        self._secret_bytes = _secret(secret)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise InvalidInput(f"timeout must be a positive number of seconds, got {timeout!r}")
        if client is not None and not isinstance(client, httpx.Client):
            raise InvalidInput(f"client must be an httpx.Client, got {type(client).__name__}")
        extra = dict(headers or {})
        for name, value in extra.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise InvalidInput("headers must map strings to strings")
            if re.search(r"[\x00-\x1f\x7f]", name + value):
                raise InvalidInput(f"header {name!r} contains a line break or control character")
        self.timeout = float(timeout)
        self.headers = extra
        self._owned = client is None
        self._client = client if client is not None else httpx.Client(follow_redirects=False)
        if clock is None:
            from deskflow.adapters.clocks import SystemClock

            clock = SystemClock()
        self._clock = clock

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.url!r})"

    def request_headers(self, notification: Notification, body: bytes) -> dict[str, str]:
        """
        The headers of the request carrying ``body`` for ``notification``, signed now.
        """
        timestamp = int(self._clock.now().timestamp())
        return {
            **self.headers,
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self._secret_bytes, timestamp),
            DELIVERY_HEADER: quote(notification.dedup_key, safe="#:|~/@!$&'()*+,;="),
        }

    def send(self, notification: Notification) -> None:
        """
        POST ``notification``; raise ``NotificationFailed`` unless the receiver says 2xx.
        """
        import httpx

        body = webhook_body(notification)
        headers = self.request_headers(notification, body)
        try:
            response = self._client.post(
                self.url, content=body, headers=headers, timeout=self.timeout
            )
        except httpx.HTTPError as error:
            raise NotificationFailed(
                f"could not post {notification.dedup_key} to {self.url}: "
                f"{type(error).__name__}: {error}",
                dedup_key=notification.dedup_key,
            ) from error
        if not 200 <= response.status_code < 300:
            raise NotificationFailed(
                f"the webhook {self.url} answered {response.status_code} "
                f"{response.reason_phrase} to {notification.dedup_key}",
                dedup_key=notification.dedup_key,
            )
        log.debug("notification %s posted to %s", notification.dedup_key, self.url)

    def close(self) -> None:
        """
        Close the HTTP client, if the notifier made it.
        """
        if self._owned:
            self._client.close()

    def __enter__(self) -> WebhookNotifier:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
