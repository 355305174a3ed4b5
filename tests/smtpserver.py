"""
A real SMTP server on 127.0.0.1 for the tests (aiosmtpd), and a throwaway certificate for it.

``LoopbackSmtp`` listens on a port the system picks, records every message it is handed
(``attempts``) and those it accepted (``received``), and refuses the next ``refuse_next``
messages with a temporary error, as a busy server does. ``make_certificate`` writes a
self-signed certificate for 127.0.0.1 with the ``openssl`` command line; without it a test
skips, saying so, except under CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

#: The one account of the test server: (user, password).
ACCOUNT = ("desk", "correct horse battery staple")


class Received(NamedTuple):
    """
    One message as the server got it: envelope, raw bytes, whether TLS protected it and who
    had logged in.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    tls: bool
    login: str | None


class Recorder:
    """
    The server's handler: records messages and refuses the next ``refuse_next`` of them.
    """

    def __init__(self) -> None:
        self.attempts: list[Received] = []
        self.received: list[Received] = []
        self.refuse_next = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """
        Record the message; refuse it with 451 while ``refuse_next`` says so.
        """
        login = session.auth_data.login.decode() if session.authenticated else None
        item = Received(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            envelope.original_content,
            # session.ssl after STARTTLS; the transport's SSL object under implicit TLS.
            session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            login,
        )
        self.attempts.append(item)
        if self.refuse_next:
            self.refuse_next -= 1
            return "451 4.3.0 Try again later"
        self.received.append(item)
        return "250 2.0.0 OK"


def authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    """
    Accept the one ``ACCOUNT``, refuse anything else.
    """
    ok = (
        isinstance(auth_data, LoginPassword)
        and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        == ACCOUNT
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


class LoopbackSmtp(Controller):
    """
    An aiosmtpd server on 127.0.0.1 and a port the system chose (bound before it starts, so
    parallel test processes never race for one).
    """

    def __init__(self, **kwargs: Any) -> None:
        self.recorder = Recorder()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        super().__init__(self.recorder, hostname="127.0.0.1", port=port, **kwargs)

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker, sock=self._socket, ssl=self.ssl_context
        )

    def __enter__(self) -> LoopbackSmtp:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
        self._socket.close()


class Certificate(NamedTuple):
    """
    A self-signed certificate for 127.0.0.1: its files, a server context and a client
    context that trusts it.
    """

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        """
        A TLS server context presenting the certificate.
        """
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """
        A client context trusting only this certificate, host names checked.
        """
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path) -> Certificate:
    """
    Write a self-signed certificate for 127.0.0.1 and localhost into ``folder``.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        message = "the TLS tests need the openssl command (e.g. apt-get install openssl)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return Certificate(cert, key)
