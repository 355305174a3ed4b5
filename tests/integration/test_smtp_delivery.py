"""
SmtpNotifier against a real SMTP server on 127.0.0.1 (aiosmtpd): plain, STARTTLS with login,
implicit TLS, certificate checks, refusals; and a retry through the desk's outbox that
carries the same Message-ID.
"""

from __future__ import annotations

import email
import ssl
from collections.abc import Iterator
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

import pytest

from builders import ANN, T0, ZOE, helpdesk
from deskflow import InvalidInput
from deskflow.mail import MailIds
from deskflow.mail.smtp import SmtpNotifier, mail_address
from deskflow.notifications import Notification, NotificationFailed
from deskflow.retry import RetryPolicy
from deskflow.service import HelpDesk
from smtpserver import ACCOUNT, Certificate, LoopbackSmtp, Received, authenticate, make_certificate

IDS = MailIds("desk.example", b"test-secret-0123456789")
SENDER = "Service Desk <support@desk.example>"


def address(person: str) -> Address | None:
    """
    Everyone's address is their id at example.org; the desk's staff have none for "nobody".
    """
    return None if person == "nobody" else mail_address(f"{person}@example.org", person.title())


def parsed(item: Received) -> EmailMessage:
    """
    The message the server received, as a mail client reads it.
    """
    message = email.message_from_bytes(item.data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def note(**changes: object) -> Notification:
    """
    A notification about INC-7 for ann and zoe.
    """
    fields: dict[str, object] = {
        "dedup_key": "INC-7#4:ticket_resolved",
        "ticket_id": "INC-7",
        "recipients": ["ann", "zoe"],
        "template": "ticket_resolved",
        "audience": "requester",
        "subject": "Your VPN works again",
        "body": "We restarted the gateway.",
        "html": "<p>We restarted the gateway.</p>",
        "created_at": T0,
    }
    fields.update(changes)
    return Notification(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """
    A throwaway self-signed certificate for 127.0.0.1.
    """
    folder: Path = tmp_path_factory.mktemp("tls")
    return make_certificate(folder)


@pytest.fixture
def plain_server() -> Iterator[LoopbackSmtp]:
    """
    A server without TLS or login.
    """
    with LoopbackSmtp() as server:
        yield server


@pytest.fixture
def submission_server(certificate: Certificate) -> Iterator[LoopbackSmtp]:
    """
    A submission server: STARTTLS required before anything, then login required.
    """
    with LoopbackSmtp(
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    ) as server:
        yield server


def plain_notifier(server: LoopbackSmtp, **kwargs: object) -> SmtpNotifier:
    """
    A notifier speaking plain SMTP to ``server``.
    """
    options: dict[str, object] = {
        "ids": IDS,
        "sender": SENDER,
        "addresses": address,
        "security": "plain",
        "timeout": 10,
    }
    options.update(kwargs)
    return SmtpNotifier("127.0.0.1", server.port, **options)  # type: ignore[arg-type]


def test_each_recipient_receives_the_message_with_its_headers(
    plain_server: LoopbackSmtp,
) -> None:
    """
    Two recipients get one message each, from the desk's address, with the thread headers
    and both parts.
    """
    plain_notifier(plain_server, reply_to="support+{ticket}@desk.example").send(note())
    received = plain_server.recorder.received
    assert [
        ("support@desk.example", ("ann@example.org",)),
        ("support@desk.example", ("zoe@example.org",)),
    ] == [(r.mail_from, r.rcpt_tos) for r in received]
    first, second = (parsed(r) for r in received)
    assert "Ann <ann@example.org>" == first["To"]
    assert "Zoe <zoe@example.org>" == second["To"]
    assert first["Message-ID"].strip() == second["Message-ID"].strip()
    assert IDS.message_id("INC-7#4:ticket_resolved") == first["Message-ID"].strip()
    assert IDS.thread_id("INC-7") == first["References"].strip()
    assert "support+INC-7@desk.example" == first["Reply-To"]
    assert "auto-generated" == first["Auto-Submitted"]
    assert "multipart/alternative" == first.get_content_type()
    assert "[INC-7] Your VPN works again" == first["Subject"]


def test_a_refusing_server_fails_the_notification(plain_server: LoopbackSmtp) -> None:
    """
    A 451 from the server is a NotificationFailed naming the notification.
    """
    plain_server.recorder.refuse_next = 1
    with pytest.raises(NotificationFailed, match="451") as failed:
        plain_notifier(plain_server).send(note(recipients=["ann"]))
    assert "INC-7#4:ticket_resolved" == failed.value.dedup_key
    assert [] == plain_server.recorder.received


def test_no_server_listening_fails_the_notification() -> None:
    """
    A closed port is a NotificationFailed, not a crash of the delivery round.
    """
    with LoopbackSmtp() as server:
        port = server.port
    notifier = SmtpNotifier(
        "127.0.0.1", port, ids=IDS, sender=SENDER, addresses=address, security="plain"
    )
    with pytest.raises(NotificationFailed, match="ConnectionRefusedError"):
        notifier.send(note())


def test_a_missing_address_sends_nothing(plain_server: LoopbackSmtp) -> None:
    """
    With a recipient the directory has no address for, nothing reaches the server.
    """
    with pytest.raises(NotificationFailed, match="no mail address for 'nobody'"):
        plain_notifier(plain_server).send(note(recipients=["ann", "nobody"]))
    assert [] == plain_server.recorder.attempts


def test_a_retry_through_the_outbox_carries_the_same_message_id(
    plain_server: LoopbackSmtp,
) -> None:
    """
    The server refuses the first attempt; the outbox retries after its backoff, and the
    message that arrives is byte for byte the one first tried, Message-ID included.
    """
    rig = helpdesk()
    desk = HelpDesk(
        rig.repo,
        plain_notifier(plain_server),
        rig.clock,
        retry_policy=RetryPolicy(jitter=0.0, max_attempts=3),
    )
    desk.open(ANN, title="VPN down")
    plain_server.recorder.refuse_next = 1
    key = "INC-1#0:ticket_received"
    assert (key,) == desk.deliver_pending().failed
    rig.clock.advance(timedelta(seconds=30))
    assert (key,) == desk.deliver_pending().sent
    first, second = plain_server.recorder.attempts
    assert first.data == second.data
    assert [second] == plain_server.recorder.received
    mail = parsed(second)
    assert IDS.message_id(key) == mail["Message-ID"].strip()
    ref = IDS.read(mail["Message-ID"])
    assert ref is not None
    assert key == ref.dedup_key
    # The subject as the desk's templates wrote it, with the ticket's token in front.
    assert mail["Subject"].startswith("[INC-1] ")
    assert mail["Subject"].endswith("VPN down")
    desk.open(ZOE, title="Printer jam")
    assert 1 == len(desk.deliver_pending().sent)
    assert ("zoe@example.org",) == plain_server.recorder.received[-1].rcpt_tos


def test_starttls_and_login_protect_the_submission(
    submission_server: LoopbackSmtp, certificate: Certificate
) -> None:
    """
    Over STARTTLS with the server's certificate trusted, the notifier logs in and sends.
    """
    user, password = ACCOUNT
    notifier = SmtpNotifier(
        "127.0.0.1",
        submission_server.port,
        ids=IDS,
        sender=SENDER,
        addresses=address,
        security="starttls",
        username=user,
        password=password,
        ssl_context=certificate.client_context(),
    )
    notifier.send(note(recipients=["ann"]))
    [item] = submission_server.recorder.received
    assert (True, "desk") == (item.tls, item.login)


def test_a_wrong_password_fails_and_sends_nothing(
    submission_server: LoopbackSmtp, certificate: Certificate
) -> None:
    """
    A refused login is a NotificationFailed; the server receives nothing.
    """
    notifier = SmtpNotifier(
        "127.0.0.1",
        submission_server.port,
        ids=IDS,
        sender=SENDER,
        addresses=address,
        username="desk",
        password="wrong",
        ssl_context=certificate.client_context(),
    )
    with pytest.raises(NotificationFailed, match="SMTPAuthenticationError"):
        notifier.send(note())
    assert [] == submission_server.recorder.attempts


def test_an_untrusted_certificate_is_refused(submission_server: LoopbackSmtp) -> None:
    """
    With the system's trust store (the default), the self-signed certificate fails the
    handshake: the notifier never talks to a server it cannot verify.
    """
    user, password = ACCOUNT
    notifier = SmtpNotifier(
        "127.0.0.1",
        submission_server.port,
        ids=IDS,
        sender=SENDER,
        addresses=address,
        username=user,
        password=password,
    )
    with pytest.raises(NotificationFailed, match="SSLCertVerificationError") as failed:
        notifier.send(note())
    assert isinstance(failed.value.__cause__, ssl.SSLError)
    assert [] == submission_server.recorder.attempts


def test_starttls_is_never_skipped_when_the_server_lacks_it(plain_server: LoopbackSmtp) -> None:
    """
    Asked for STARTTLS, a server that does not offer it gets nothing, not a plain message.
    """
    with pytest.raises(NotificationFailed, match="STARTTLS"):
        plain_notifier(plain_server, security="starttls").send(note())
    assert [] == plain_server.recorder.attempts


def test_a_server_requiring_starttls_refuses_plain_smtp(submission_server: LoopbackSmtp) -> None:
    """
    Plain SMTP to a server that requires STARTTLS fails, and nothing is delivered.
    """
    with pytest.raises(NotificationFailed):
        plain_notifier(submission_server).send(note())
    assert [] == submission_server.recorder.received


def test_implicit_tls_sends_over_an_encrypted_connection(certificate: Certificate) -> None:
    """
    ``security="ssl"`` speaks TLS from the first byte (port 465 style).
    """
    with LoopbackSmtp(ssl_context=certificate.server_context()) as server:
        notifier = SmtpNotifier(
            "127.0.0.1",
            server.port,
            ids=IDS,
            sender=SENDER,
            addresses=address,
            security="ssl",
            ssl_context=certificate.client_context(),
        )
        notifier.send(note(recipients=["zoe"]))
        [item] = server.recorder.received
    assert item.tls
    assert ("zoe@example.org",) == item.rcpt_tos


def test_an_injection_attempt_reaches_no_server(plain_server: LoopbackSmtp) -> None:
    """
    A subject or a directory entry smuggling a header is refused before connecting: the
    server sees nothing at all.
    """
    with pytest.raises(InvalidInput, match="line break"):
        plain_notifier(plain_server).send(note(subject="Hi\r\nBcc: eve@example.org"))
    smuggler = plain_notifier(
        plain_server, addresses=lambda person: mail_address("ann@example.org\nBcc: e@x.example")
    )
    with pytest.raises(InvalidInput, match="line break"):
        smuggler.send(note())
    assert [] == plain_server.recorder.attempts
