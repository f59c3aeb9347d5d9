"""A real SMTP server for tests, on 127.0.0.1 only: aiosmtpd in a thread.

``SmtpServer(username=..., password=...)`` picks a free port; ``start()`` and ``stop()``
can be called again on the same port, so that a test can show the outbox waiting for a
server that is down and delivering once it is up. With a user name, AUTH PLAIN/LOGIN is
offered and a message from a client that did not log in is refused (530). ``delay`` makes
each message take that long, so that a test can run two senders at once. STARTTLS is not
offered. Every accepted message is kept in ``received`` with its envelope.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    logged_in_as: str | None

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpServer:
    def __init__(
        self, *, username: str | None = None, password: str | None = None, delay: float = 0
    ) -> None:
        self.host = LOOPBACK
        self.port = free_port()
        self._username = username
        self._password = password
        self._delay = delay
        self._received: list[ReceivedMail] = []
        self._arrived = threading.Condition()
        self._controller: Controller | None = None

    # --- aiosmtpd hooks ------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self._username
            and data.password.decode() == self._password
        )
        return AuthResult(success=ok, auth_data=data.login.decode() if ok else None)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self._username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        await asyncio.sleep(self._delay)
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        mail = ReceivedMail(
            envelope.mail_from,
            tuple(envelope.rcpt_tos),
            envelope.content,
            session.auth_data if session.authenticated else None,
        )
        with self._arrived:
            self._received.append(mail)
            self._arrived.notify_all()
        return "250 2.0.0 OK"

    # --- control -------------------------------------------------------------------------

    @property
    def received(self) -> list[ReceivedMail]:
        with self._arrived:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 15.0) -> list[ReceivedMail]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._received)} of {count} messages arrived")
                self._arrived.wait(left)
            return list(self._received)

    def start(self) -> SmtpServer:
        assert self._controller is None, "already running"
        auth: dict[str, Any] = {}
        if self._username is not None:
            # Plain-text AUTH is fine on loopback; aiosmtpd refuses it unless told so.
            auth = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self, hostname=self.host, port=self.port, **auth)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
