"""
Notifications: the messages a help desk sends about its tickets.

A [`Notification`][deskflow.notifications.Notification] is written to the repository's outbox in
the same save as the state change that caused it, then handed to a
[`Notifier`][deskflow.ports.Notifier] after the save. Its ``dedup_key`` names it: delivery is at
least once, and queuing the same key again is a no-op, so retries and repeated evaluations never
notify twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from deskflow._internal import checks as _checks
from deskflow._internal.checks import any_text_field, required_text_field
from deskflow.enums import Audience
from deskflow.exceptions import DeskflowError, InvalidInput

__all__ = ["Notification", "NotificationFailed"]


class NotificationFailed(DeskflowError, RuntimeError):
    """
    A notifier could not deliver a notification; it stays in the outbox and is retried.

    ``dedup_key`` names the notification that failed, when the notifier knows it.
    """

    def __init__(self, message: str, *, dedup_key: str | None = None) -> None:
        super().__init__(message)
        self.dedup_key = dedup_key


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: object) -> None:
    _checks.aware(attribute.name, value)


def _optional_text(
    _instance: object, attribute: attrs.Attribute[str | None], value: object
) -> None:
    _checks.optional_text(attribute.name, value)


def _audience(value: object) -> Audience:
    return _checks.member("audience", Audience, value)


def _recipients(value: object) -> tuple[str, ...]:
    # A lone string would otherwise be taken as a list of one-letter recipients.
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidInput(
            f"recipients must be a list or tuple of ids, got {type(value).__name__} {value!r}"
        )
    # A recipient named twice would get the message twice; keep the first mention.
    recipients = tuple(dict.fromkeys(_checks.text("recipient", r) for r in value))
    if not recipients:
        raise InvalidInput("a notification needs at least one recipient")
    return recipients


def _data(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        pairs: Iterable[object] = value.items()
    elif isinstance(value, Iterable) and not isinstance(value, str):
        pairs = value
    else:
        raise InvalidInput(
            f"data must be a mapping or (name, value) pairs, got {type(value).__name__}"
        )
    out: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise InvalidInput(f"data items must be (name, value) pairs of strings, got {pair!r}")
        name = _checks.text("data name", pair[0])
        if name in out:
            raise InvalidInput(f"data names {name!r} twice")
        out[name] = _checks.text(f"data[{name!r}]", pair[1], allow_empty=True)
    # Sorted, so two notifications with the same data are equal whatever order it came in.
    return tuple(sorted(out.items()))


@attrs.frozen
class Notification:
    """
    A message about a ticket, to be delivered to ``recipients`` (ids the notifier resolves).

    ``template`` names the kind of message (``"ticket_resolved"``); ``subject`` and ``body``
    are its rendered text for ``audience``; ``data`` holds extra (name, value) pairs a
    channel may use, kept sorted by name. Repeated recipients are dropped. ``locale``,
    ``time_zone`` and ``html`` say how it was rendered for its recipients, so a retry sends
    exactly what was decided.

    >>> from datetime import datetime, timezone
    >>> n = Notification(
    ...     dedup_key="T-1:resolved:5", ticket_id="T-1", recipients=["ann"],
    ...     template="ticket_resolved", audience="requester", subject="T-1 resolved",
    ...     body="We restarted the VPN gateway.",
    ...     created_at=datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc),
    ...     data={"url": "https://desk.example/T-1"},
    ... )
    >>> n.recipients, n.audience, n.data
    (('ann',), <Audience.REQUESTER: 'requester'>, (('url', 'https://desk.example/T-1'),))
    """

    dedup_key: str = attrs.field(validator=required_text_field)
    ticket_id: str = attrs.field(validator=required_text_field)
    recipients: tuple[str, ...] = attrs.field(converter=_recipients)
    template: str = attrs.field(validator=required_text_field)
    audience: Audience = attrs.field(converter=_audience)
    subject: str = attrs.field(validator=required_text_field)
    body: str = attrs.field(validator=any_text_field)
    created_at: datetime = attrs.field(validator=_aware)
    data: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_data)
    #: The locale the message was rendered in (``"de"``, ``"en_GB"``); None if not rendered
    #: for a locale.
    locale: str | None = attrs.field(default=None, validator=_optional_text)
    #: The IANA time zone its times are shown in (``"Europe/Berlin"``); None if not rendered.
    time_zone: str | None = attrs.field(default=None, validator=_optional_text)
    #: The HTML form of ``body``, when the template has one.
    html: str | None = attrs.field(default=None, validator=_optional_text)
