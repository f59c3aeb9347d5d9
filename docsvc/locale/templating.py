"""The catalogue in Jinja templates, for pages and for the PDFs people read: gettext
callables reading the ``translator`` in the template's context, and the filters that word
and format values (``|datetime``, ``|date``, ``|month``, ``|number`` in the institution's
time zone; the label filters ``|doc_type``, ``|purpose``... from :mod:`docsvc.locale.labels`).

Templates write ``{{ _("Title") }}``, ``{{ pgettext("menu", "Inbox") }}`` or
``{{ _("Page %(n)s", n=page) }}`` (newstyle gettext: named variables, escaped)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context

from docsvc.locale import DEFAULT_LOCALE, DEFAULT_ZONE, Translator, translator
from docsvc.locale.labels import (
    admin_warning_text,
    archive_level_label,
    archive_phase_label,
    archive_transfer_kind_label,
    archive_transfer_state_label,
    audit_action_label,
    audit_outcome_label,
    batch_item_kind_label,
    batch_item_status_label,
    batch_status_label,
    certificate_name,
    confidentiality_label,
    direction_label,
    disposal_outcome_label,
    disposal_status_label,
    disposition_label,
    doc_type_label,
    dossier_status_label,
    error_message,
    event_label,
    hold_state_label,
    line_status_label,
    loan_status_label,
    notice_text,
    purpose_label,
    receipt_label,
    role_label,
    signer_status_label,
    step_role_label,
    table_state_label,
    trigger_label,
    verification_reason,
    version_reason,
)


def _translator_of(context: Context) -> Translator:
    found = context.get("translator")
    if isinstance(found, Translator):
        return found
    return translator(context.get("lang") or DEFAULT_LOCALE, DEFAULT_ZONE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _translator_of(context).messages.gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _translator_of(context).messages.ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, ctx: str, message: str) -> str:
    return str(_translator_of(context).messages.pgettext(ctx, message))


@pass_context
def _npgettext(context: Context, ctx: str, singular: str, plural: str, n: int) -> str:
    return str(_translator_of(context).messages.npgettext(ctx, singular, plural, n))


def _label_filter(label: Callable[[Translator, Any], str]) -> Callable[..., str]:
    @pass_context
    def apply(context: Context, value: Any) -> str:
        return label(_translator_of(context), value)

    return apply


@pass_context
def _datetime_filter(context: Context, value: datetime | str | None, form: str = "words") -> str:
    return _translator_of(context).format_datetime(value, form)


@pass_context
def _date_filter(
    context: Context, value: date | datetime | str | None, form: str = "medium"
) -> str:
    return _translator_of(context).format_date(value, form)


@pass_context
def _month_filter(context: Context, value: date | str) -> str:
    return _translator_of(context).format_month(value)


@pass_context
def _number_filter(context: Context, value: float | int | Decimal, form: str | None = None) -> str:
    return _translator_of(context).format_number(value, form)


@pass_context
def _error_filter(context: Context, code: str) -> str:
    t = _translator_of(context)
    return error_message(t, code) or t.gettext("The request could not be completed.")


FILTERS: Mapping[str, Callable[..., str]] = {
    "datetime": _datetime_filter,
    "date": _date_filter,
    "month": _month_filter,
    "number": _number_filter,
    "doc_type": _label_filter(doc_type_label),
    "confidentiality": _label_filter(confidentiality_label),
    "dossier_status": _label_filter(dossier_status_label),
    "direction": _label_filter(direction_label),
    "purpose": _label_filter(purpose_label),
    "receipt_kind": _label_filter(receipt_label),
    "event_kind": _label_filter(event_label),
    "line_status": _label_filter(line_status_label),
    "signer_status": _label_filter(signer_status_label),
    "batch_status": _label_filter(batch_status_label),
    "batch_item_kind": _label_filter(batch_item_kind_label),
    "batch_item_status": _label_filter(batch_item_status_label),
    "step_role": _label_filter(step_role_label),
    "notice": _label_filter(notice_text),
    "admin_warning": _label_filter(admin_warning_text),
    "version_reason": _label_filter(version_reason),
    "audit_action": _label_filter(audit_action_label),
    "audit_outcome": _label_filter(audit_outcome_label),
    "role": _label_filter(role_label),
    "verification_reason": _label_filter(verification_reason),
    "certificate_name": _label_filter(certificate_name),
    "archive_level": _label_filter(archive_level_label),
    "disposition": _label_filter(disposition_label),
    "trigger": _label_filter(trigger_label),
    "table_state": _label_filter(table_state_label),
    "archive_phase": _label_filter(archive_phase_label),
    "archive_transfer_state": _label_filter(archive_transfer_state_label),
    "archive_transfer_kind": _label_filter(archive_transfer_kind_label),
    "loan_status": _label_filter(loan_status_label),
    "hold_state": _label_filter(hold_state_label),
    "disposal_status": _label_filter(disposal_status_label),
    "disposal_outcome": _label_filter(disposal_outcome_label),
    "error_message": _error_filter,
}


def jinja_environment(directory: Path | str | list[Path]) -> jinja2.Environment:
    """The templates' environment: autoescaped, with Jinja's i18n extension calling the
    catalogue of the page's ``translator`` (or ``lang``) and the formatting filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            [str(d) for d in directory] if isinstance(directory, list) else str(directory)
        ),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        newstyle=True,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    env.filters.update(FILTERS)
    return env
