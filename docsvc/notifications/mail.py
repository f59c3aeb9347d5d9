"""The e-mail that copies an inbox notification: plain text, UTF-8, in the institution's
language (the catalogue's words)."""

from __future__ import annotations

from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.locale import Translator, translator
from docsvc.locale.labels import inbox_message

SUBJECT_TITLE_CHARS = 150
# The web pages have no inbox of their own yet: the link leads to the service's start page,
# where the official logs in.
START_PAGE = "/"


def _subject(t: Translator, kind: str) -> str:
    subjects = {
        "to_sign": t.pgettext("mail subject", "Signature pending"),
        "signed": t.pgettext("mail subject", "Signed"),
        "rejected": t.pgettext("mail subject", "Returned"),
        "transfer_due": t.pgettext("mail subject", "Deadline approaching"),
    }
    return subjects.get(kind) or t.pgettext("mail subject", "Notice")


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
    params: Mapping[str, str] | None,
    legacy_message: str,
    line_title: str,
) -> EmailMessage:
    """Raises ``ValueError`` (or an ``email.errors`` error) for an address that is not one."""
    t = translator(settings.default_language, settings.timezone)
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = Address(display_name=_one_line(full_name, 300), addr_spec=address)
    email["Subject"] = t.gettext(
        "%(subject)s: «%(title)s»",
        subject=_subject(t, kind),
        title=_one_line(line_title, SUBJECT_TITLE_CHARS),
    )
    email["Date"] = format_datetime(utcnow())
    # make_msgid would otherwise look up this host's name, which can block on DNS.
    email["Message-ID"] = make_msgid(domain=parseaddr(settings.smtp_from)[1].rpartition("@")[2])
    # RFC 3834: out-of-office replies and the like must not answer a machine.
    email["Auto-Submitted"] = "auto-generated"
    link = settings.public_url.rstrip("/") + START_PAGE
    body = "\n".join(
        [
            f"{full_name}:",
            "",
            inbox_message(t, kind, params, legacy_message),
            "",
            (
                t.gettext("Transfer: «%(title)s»", title=line_title)
                if kind == "transfer_due"
                else t.gettext("Signing line: «%(title)s»", title=line_title)
            ),
            t.gettext("Go to %(link)s and sign in to see it.", link=link),
            "",
            "-- ",
            settings.institution_name,
            t.gettext("Automatic message: please do not reply to it."),
            "",
        ]
    )
    # Quoted-printable keeps the message 7-bit, for relays that do not speak 8BITMIME.
    email.set_content(body, charset="utf-8", cte="quoted-printable")
    return email
