"""The pages' language: which one a request gets (Spanish by default, English on request).
The templates' gettext callables and filters are :mod:`docsvc.locale.templating`'s, shared
with the PDFs people read; every message is a literal that ``pybabel extract`` sees."""

from __future__ import annotations

from fastapi import Request

from docsvc.locale import (
    DEFAULT_LOCALE,
    LOCALES,
    Translator,
    format_date,
    format_datetime,
    format_month,
    format_number,
    translator,
)
from docsvc.locale.labels import error_message
from docsvc.locale.templating import jinja_environment

__all__ = [
    "LANGUAGES",
    "LANG_COOKIE",
    "Translator",
    "error_message",
    "format_date",
    "format_datetime",
    "format_month",
    "format_number",
    "jinja_environment",
    "language_of",
    "translator",
]

LANGUAGES = LOCALES
LANG_COOKIE = "docsvc_lang"


def language_of(request: Request, default: str = DEFAULT_LOCALE) -> str:
    """?lang= wins, then the language cookie, then the institution's default (Spanish)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else DEFAULT_LOCALE
