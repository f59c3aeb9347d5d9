"""The e-mail that copies an inbox notification: plain text, UTF-8, in Spanish."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from docsvc.config import Settings
from docsvc.db.base import utcnow

SUBJECTS = {
    "to_sign": "Firma pendiente",
    "signed": "Firmado",
    "rejected": "Devuelto",
}
SUBJECT_TITLE_CHARS = 150
# The web pages have no inbox of their own yet: the link leads to the service's start page,
# where the official logs in.
START_PAGE = "/"


def _one_line(text: str, limit: int) -> str:
    # A header may not hold a line break, and a title could.
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def notification_email(
    settings: Settings,
    *,
    address: str,
    full_name: str,
    kind: str,
    message: str,
    line_title: str,
) -> EmailMessage:
    """Raises ``ValueError`` (or an ``email.errors`` error) for an address that is not one."""
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = Address(display_name=_one_line(full_name, 300), addr_spec=address)
    subject = SUBJECTS.get(kind, "Aviso")
    email["Subject"] = f"{subject}: «{_one_line(line_title, SUBJECT_TITLE_CHARS)}»"
    email["Date"] = format_datetime(utcnow())
    # make_msgid would otherwise look up this host's name, which can block on DNS.
    email["Message-ID"] = make_msgid(domain=parseaddr(settings.smtp_from)[1].rpartition("@")[2])
    # RFC 3834: out-of-office replies and the like must not answer a machine.
    email["Auto-Submitted"] = "auto-generated"
    link = settings.public_url.rstrip("/") + START_PAGE
    body = (
        f"{full_name}:\n\n"
        f"{message}\n\n"
        f"Línea de firmas: «{line_title}»\n"
        f"Ingrese a {link} con su usuario para verla.\n\n"
        f"-- \n"
        f"{settings.institution_name}\n"
        f"Mensaje automático: por favor, no lo responda.\n"
    )
    # Quoted-printable keeps the message 7-bit, for relays that do not speak 8BITMIME.
    email.set_content(body, charset="utf-8", cte="quoted-printable")
    return email
