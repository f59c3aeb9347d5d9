"""A connection to the configured mail server."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Iterator

from docsvc.config import Settings, SmtpSecurity

# Failures that concern one message; the connection can carry on with the next one.
MESSAGE_ERRORS: tuple[type[smtplib.SMTPException], ...] = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPNotSupportedError,
)


@contextlib.contextmanager
def smtp_connection(settings: Settings) -> Iterator[smtplib.SMTP]:
    """An open connection, over TLS unless the security is ``none``, logged in when a user
    name is set. A server that does not offer STARTTLS is an error, never a fall-back to
    clear text. Certificates are checked against the system's CAs: this is transport
    security, not a trust decision about signatures."""
    context = ssl.create_default_context()
    timeout = settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if settings.smtp_security is SmtpSecurity.ssl:
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
    try:
        if settings.smtp_security is SmtpSecurity.starttls:
            client.starttls(context=context)
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        yield client
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):  # already broken: just drop the socket
            client.close()
