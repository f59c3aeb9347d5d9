"""A verification report in plain words, in Spanish or English: the public page, the sealed
PDF report and the JSON of the API and the command line say the same things.

Every word is in the one message catalogue (:mod:`docsvc.locale`). A report's reasons are
codes with parameters (``signing.report.Reason``; the JSON's ``reason_details``), worded by
:func:`docsvc.locale.labels.verification_reason` in the reader's language, with moments in
the institution's time zone; nothing here reads a sentence back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from docsvc.locale import DEFAULT_ZONE, Translator, translator
from docsvc.locale.labels import reading_warning, verification_reason
from signing.report import Reason, VerificationReport


def _verdicts(t: Translator) -> dict[str, str]:
    return {
        "valid": t.pgettext("verdict", "Valid"),
        "invalid": t.pgettext("verdict", "Not valid"),
        "indeterminate": t.pgettext("verdict", "Indeterminate"),
    }


def _summaries(t: Translator) -> dict[str, str]:
    """What the document's verdict means, in a sentence."""
    _ = t.gettext
    return {
        "valid": _(
            "Every signature is valid and the document has not changed since it was signed."
        ),
        "invalid": _("At least one signature is not valid: do not rely on this document."),
        "indeterminate": _("Validity could not be confirmed: see each signature's reasons."),
    }


def _modifications(t: Translator) -> dict[str, str]:
    return {
        "none": t.pgettext("changes after signing", "none"),
        "lta_updates": t.pgettext("changes after signing", "validation data and timestamps only"),
        "form_filling": t.pgettext("changes after signing", "form filling and later signatures"),
        "annotations": t.pgettext("changes after signing", "annotations"),
        "other": t.pgettext("changes after signing", "other changes"),
    }


def reason(item: Reason | Mapping[str, Any] | str, lang: str, zone: str = DEFAULT_ZONE) -> str:
    """A reason in ``lang``: a ``Reason`` or a report's ``reason_details`` item. A bare
    message (an item of ``reasons``) carries no code to word it by, and is shown as it is."""
    if isinstance(item, str):
        return item
    return verification_reason(translator(lang, zone), item)


def warning(item: Mapping[str, Any], lang: str) -> str:
    """A deviation the verifier read leniently, in plain words."""
    return reading_warning(translator(lang), item)


def verdict(value: str, lang: str) -> str:
    return _verdicts(translator(lang)).get(value, value)


def summary(value: str, lang: str) -> str:
    return _summaries(translator(lang)).get(value, "")


def modifications(value: str, lang: str) -> str:
    return _modifications(translator(lang)).get(value, value)


def copy_check(copy: Mapping[str, Any], lang: str) -> str:
    """How the file stands against the register (``docsvc.verification.copies``)."""
    t = translator(lang)
    _ = t.gettext
    version, latest, code = (
        copy.get("version"),
        copy.get("latest_version"),
        copy.get("verification_code"),
    )
    status = str(copy.get("status"))
    if status == "identical":
        return _(
            "It is bit-for-bit identical to version %(version)s (the latest) of the document "
            "registered with code %(code)s.",
            version=version,
            code=code,
        )
    if status == "earlier_version":
        return _(
            "It is identical to version %(version)s of the document registered with code "
            "%(code)s, which has a later version (%(latest)s).",
            version=version,
            code=code,
            latest=latest,
        )
    if status == "later_revision":
        return _(
            "It contains version %(version)s of the document registered with code %(code)s, "
            "with changes appended afterwards that the register does not know.",
            version=version,
            code=code,
        )
    if status == "unknown":
        return _("It matches no document registered at this institution.")
    return ""


def report_json(report: VerificationReport, lang: str, zone: str = DEFAULT_ZONE) -> dict[str, Any]:
    """The JSON report of docs/contracts.md with every reason's and warning's ``message`` in
    ``lang``, moments in ``zone``."""
    t = translator(lang, zone)
    return report.as_json(
        message=lambda r: verification_reason(t, r),
        warning=lambda w: reading_warning(t, w),
    )


_COMMON_NAME = re.compile(r"(?:^|, )Common Name: (.+?)(?:, [A-Z][A-Za-z ]+: |$)")


def person(subject: str) -> str:
    """The common name in asn1crypto's human-friendly subject ("Common Name: Ana Rojas,
    Title: ..."), or the whole subject when it has none."""
    found = _COMMON_NAME.search(subject)
    return found.group(1) if found else subject
