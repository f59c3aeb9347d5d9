"""The interface's one translation catalogue (gettext, through Babel), and dates, times and
numbers in the reader's language and the institution's time zone.

Every message is written in the code as its English text, the gettext ``msgid``, inside a
literal call that ``pybabel extract`` finds (``babel.cfg``): ``_("...")``, ``gettext``,
``ngettext``, ``pgettext`` or ``npgettext``, in Python or in a Jinja template. Where one
English word needs two Spanish ones, a context tells them apart (``pgettext("signer",
"signed")``). Messages are ``%``-format strings with named variables, always formatted,
as Jinja's "newstyle" gettext does: ``t.gettext("Page %(number)s of %(total)s", number=1,
total=3)``; a literal percent sign is written ``%%``.

The catalogues live beside this file: ``messages.pot`` (what extraction found) and one
``<locale>/LC_MESSAGES/messages.po`` per language. Spanish is the default locale; English,
the language of the msgids, needs no translation (an empty ``msgstr`` shows the msgid).
``make catalogue`` (run by ``make install``) compiles each ``.po`` into its ``.mo``; a
``.mo`` that is missing, or older than its ``.po`` (a fresh clone, an edited catalogue),
is compiled in memory from the ``.po`` when the locale is first used, so the service never
depends on the build step. ``python -m docsvc.locale`` updates, compiles and checks them.

Plain Python uses a :class:`Translator`; the web pages register the same calls as Jinja's
gettext callables and filters (:mod:`docsvc.web.i18n`)::

    t = translator("es", "America/Guayaquil")
    t.gettext("Signature verification report")  # "Informe de verificación de firmas"
    t.format_datetime(moment)                   # "6 dic 2026, 13:25:03"
"""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo

from babel import dates, numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR: Final = Path(__file__).resolve().parent
DOMAIN: Final = "messages"
LOCALES: Final = ("es", "en")
DEFAULT_LOCALE: Final = "es"
# The zone when none is given; the pages and reports always pass the institution's own
# (``Settings.timezone``, ``DOCSVC_TIMEZONE``).
DEFAULT_ZONE: Final = "America/Guayaquil"

log = logging.getLogger(__name__)


def normalise_locale(locale: str | None) -> str:
    """One of :data:`LOCALES`; anything else (a region, an unknown language) becomes the
    language part when it is known, else the default (Spanish)."""
    if locale in LOCALES:
        return locale
    language = (locale or "").replace("-", "_").split("_")[0].lower()
    return language if language in LOCALES else DEFAULT_LOCALE


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    return po_path(locale).with_suffix(".mo")


def compile_po(po: Path) -> bytes:
    """A ``.po`` file compiled to ``.mo`` bytes, as ``pybabel compile`` does: fuzzy and
    untranslated messages are left out (so they show their msgid)."""
    with po.open("rb") as source:
        catalog = read_po(source, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


@cache
def catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale``: its ``.mo`` when that is at least as new as
    the ``.po``, otherwise the ``.po`` compiled in memory (once per process)."""
    locale = normalise_locale(locale)
    po, mo = po_path(locale), mo_path(locale)
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    if po.is_file():
        return Translations(io.BytesIO(compile_po(po)), domain=DOMAIN)
    # An installation without its catalogues (package data left out): the pages still work,
    # in the msgids' English, and say so in the log.
    log.error("no message catalogue for %r at %s: showing the English source text", locale, po)
    return NullTranslations()


def _as_datetime(value: datetime | str) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    # Stored moments are UTC; a naive one is read as UTC, never as the server's zone.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def format_datetime(
    value: datetime | str | None, locale: str, zone: str = DEFAULT_ZONE, form: str = "words"
) -> str:
    """A moment (a datetime or an ISO-8601 string) in ``zone``, in ``locale``'s words:
    ``form`` is "words" (the day in full and the time to the minute, as a reader writes
    it: "1 de diciembre de 2026, 16:05"), or Babel's "short", "medium", "long" (with
    seconds and the UTC offset, for legal precision), "full", or a CLDR pattern. Empty for
    None or ""; text that is not a moment is shown as it is."""
    if value is None or value == "":
        return ""
    moment = _as_datetime(value)
    if moment is None:
        return str(value)
    if form == "words":
        local, name = moment.astimezone(ZoneInfo(zone)), normalise_locale(locale)
        day = dates.format_date(local.date(), "long", locale=name)
        return f"{day}, {dates.format_time(local, 'short', locale=name)}"
    return dates.format_datetime(
        moment, form, tzinfo=ZoneInfo(zone), locale=normalise_locale(locale)
    )


def format_date(
    value: date | datetime | str | None,
    locale: str,
    zone: str = DEFAULT_ZONE,
    form: str = "medium",
) -> str:
    """A calendar day in ``locale``'s words. A datetime (or an ISO moment) is first taken
    to ``zone``, so that it is the institution's day, never UTC's."""
    if value is None or value == "":
        return ""
    day: date
    if isinstance(value, datetime):
        day = _local(value, zone).date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            moment = _as_datetime(value)
            if moment is None:
                return value
            day = moment.astimezone(ZoneInfo(zone)).date()
    return dates.format_date(day, form, locale=normalise_locale(locale))


def _local(moment: datetime, zone: str) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(ZoneInfo(zone))


def format_month(value: date | str, locale: str, skeleton: str = "yMMM") -> str:
    """A month ("2026-12" or a date) as "dic 2026" / "Dec 2026"; ``skeleton`` "MMM" for
    the month alone ("dic"), as a chart's axis has room for."""
    if isinstance(value, str):
        try:
            year, month = (int(part) for part in value.split("-")[:2])
        except ValueError:
            return value
        value = date(year, month, 1)
    return dates.format_skeleton(skeleton, value, locale=normalise_locale(locale))


def format_number(value: float | int | Decimal, locale: str, form: str | None = None) -> str:
    """A number with ``locale``'s separators ("1.234,5" in Spanish); ``form`` is a CLDR
    pattern such as "#,##0.0" (default: the locale's decimal format)."""
    return numbers.format_decimal(value, form, locale=normalise_locale(locale))


class Translator:
    """Messages, dates and numbers in one locale and time zone.

    ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` have the names extraction
    looks for, so ``t.gettext("literal")`` puts "literal" in the catalogue."""

    __slots__ = ("locale", "messages", "zone")

    def __init__(self, locale: str, zone: str = DEFAULT_ZONE) -> None:
        self.locale = normalise_locale(locale)
        self.zone = zone
        # The compiled catalogue itself (no formatting): what Jinja's gettext calls.
        self.messages = catalogue(self.locale)

    def gettext(self, message: str, /, **variables: object) -> str:
        return self.messages.gettext(message) % variables

    def ngettext(self, singular: str, plural: str, n: int, /, **variables: object) -> str:
        variables.setdefault("num", n)
        return self.messages.ngettext(singular, plural, n) % variables

    def pgettext(self, context: str, message: str, /, **variables: object) -> str:
        return str(self.messages.pgettext(context, message)) % variables

    def npgettext(
        self, context: str, singular: str, plural: str, n: int, /, **variables: object
    ) -> str:
        variables.setdefault("num", n)
        return str(self.messages.npgettext(context, singular, plural, n)) % variables

    def format_datetime(self, value: datetime | str | None, form: str = "words") -> str:
        return format_datetime(value, self.locale, self.zone, form)

    def format_date(self, value: date | datetime | str | None, form: str = "medium") -> str:
        return format_date(value, self.locale, self.zone, form)

    def format_month(self, value: date | str, skeleton: str = "yMMM") -> str:
        return format_month(value, self.locale, skeleton)

    def format_number(self, value: float | int | Decimal, form: str | None = None) -> str:
        return format_number(value, self.locale, form)


@lru_cache(maxsize=64)
def translator(locale: str | None = None, zone: str = DEFAULT_ZONE) -> Translator:
    """The :class:`Translator` of ``locale`` (default Spanish) in ``zone``."""
    return Translator(normalise_locale(locale), zone)
