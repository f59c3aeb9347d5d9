"""The verification report as a tagged PDF/A document sealed by the institution: what a
court or a bank files next to the document it checked.

It states the verdict first, then the file's sha256, a table per signature (integrity and
trust worded apart) with its reasons, and the copy check, in Spanish or English (the one
message catalogue, :mod:`docsvc.locale`; every moment in the institution's time zone),
laid out by :mod:`docsvc.documents.html_pdf` as tagged PDF/A-2a. It then carries the
institution's electronic seal (B-LT when a timestamp authority is configured, so that it
stays verifiable after the seal's certificate expires). Anyone can verify the report
itself like any signed PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from docsvc.documents.html_pdf import html_pdf
from docsvc.locale import DEFAULT_ZONE, Translator, translator
from docsvc.locale.labels import certificate_name
from docsvc.pki.sealed_pdf import seal_pdf
from docsvc.runtime.keyring import Keyring
from docsvc.verification import wording

TEMPLATES = Path(__file__).parent / "pdf_templates"


def _reasons(item: Mapping[str, Any]) -> list[Any]:
    """A report's or a signature's reasons as codes with parameters (``reason_details``),
    worded here; a report kept from before they existed has only its English sentences."""
    details = item.get("reason_details")
    return list(details) if details is not None else list(item.get("reasons", []))


def report_title(t: Translator) -> str:
    return t.gettext("Signature verification report")


@dataclass(frozen=True, slots=True)
class SignatureView:
    """One signature as the report shows it: its verdict, facts as (label, value) rows,
    and its reasons, every word in the reader's language."""

    number: int
    field: str
    verdict: str
    rows: list[tuple[str, str]]
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class ReportView:
    verdict_code: str
    verdict: str
    summary: str
    file_rows: list[tuple[str, str]]
    reasons: list[str]
    warnings: list[str]
    signatures: list[SignatureView]
    copy: str | None


def _integrity(t: Translator, signature: Mapping[str, Any]) -> str:
    if signature["intact"]:
        return t.gettext("Intact: the signed content has not changed since it was signed")
    return t.gettext("Altered: the content no longer matches what was signed")


def _trust(t: Translator, signature: Mapping[str, Any]) -> str:
    """Trust in the signer's certificate, worded apart from integrity: an altered file is
    never presented as a certificate problem."""
    anchor = signature.get("trust_anchor")
    if signature["trusted"]:
        return t.gettext(
            "Trusted: the certificate leads to %(anchor)s",
            anchor=certificate_name(t, anchor) if anchor else t.gettext("a trusted root"),
        )
    if not signature["intact"]:
        return t.gettext("Not assessed: the signature does not match the content")
    return t.gettext("Not trusted: the certificate leads to no trusted root")


def report_view(report: Mapping[str, Any], *, file_name: str, lang: str, zone: str) -> ReportView:
    """The report's content in ``lang``, every moment in ``zone`` (the institution's)."""
    t = translator(lang, zone)
    _ = t.gettext

    def yes(flag: object) -> str:
        return _("yes") if flag else _("no")

    def moment(value: str | None) -> str:
        return t.format_datetime(value, "long") if value else _("none")

    def name(value: str | None) -> str:
        return certificate_name(t, value) or _("none")

    document = report["document"]
    signatures = []
    for n, signature in enumerate(report["signatures"], start=1):
        signer = signature["signer"]
        signatures.append(
            SignatureView(
                number=n,
                field=str(signature["field"]),
                verdict=wording.verdict(signature["verdict"], lang).upper(),
                rows=[
                    (_("Signer"), name(signer["name"])),
                    (_("Certificate issuer"), name(signer["issuer"])),
                    (_("Integrity"), _integrity(t, signature)),
                    (_("Trust"), _trust(t, signature)),
                    (_("Revoked"), yes(signature["revoked"])),
                    (_("Signing time claimed"), moment(signature["signing_time"])),
                    (_("Timestamp"), moment(signature["timestamp_time"])),
                    (_("PAdES level"), str(signature["level"])),
                    (
                        _("Changes after signing"),
                        wording.modifications(signature["modifications_after"], lang),
                    ),
                    (_("Covers the whole document"), yes(signature["covers_whole_document"])),
                ],
                reasons=[wording.reason(r, lang, zone) for r in _reasons(signature)],
            )
        )
    return ReportView(
        verdict_code=str(report["verdict"]),
        verdict=wording.verdict(str(report["verdict"]), lang).upper(),
        summary=wording.summary(str(report["verdict"]), lang),
        file_rows=[
            (_("File verified"), file_name),
            ("SHA-256", str(document["sha256"])),
            (_("Pages"), t.format_number(document["pages"])),
            (_("Revisions"), t.format_number(document["revisions"])),
        ],
        reasons=[wording.reason(r, lang, zone) for r in _reasons(report)],
        warnings=[wording.warning(w, lang) for w in report.get("warnings", [])],
        signatures=signatures,
        copy=wording.copy_check(report["copy"], lang) if "copy" in report else None,
    )


def report_pdf(
    report: Mapping[str, Any],
    *,
    lang: str,
    institution: str,
    file_name: str,
    issued_at: datetime,
    verify_url: str,
    zone: str = DEFAULT_ZONE,
) -> bytes:
    """The report as tagged PDF/A-2a, not yet sealed."""
    t = translator(lang, zone)
    return html_pdf(
        TEMPLATES,
        "report.html",
        t,
        {
            "title": report_title(t),
            "institution": institution,
            "issued_at": issued_at,
            "verify_url": verify_url,
            "view": report_view(report, file_name=file_name, lang=lang, zone=zone),
        },
    )


def sealed_report(
    db: Session, keys: Keyring, report: Mapping[str, Any], *, file_name: str, lang: str
) -> bytes:
    """The report as tagged PDF/A-2a, sealed with the institution's seal."""
    settings = keys.settings
    issued_at = datetime.now(UTC)
    pdf = report_pdf(
        report,
        lang=lang,
        institution=settings.institution_name,
        file_name=file_name,
        issued_at=issued_at,
        verify_url=f"{settings.public_url.rstrip('/')}/verificar",
        zone=settings.timezone,
    )
    return seal_pdf(db, keys, pdf, reason=report_title(translator(lang, settings.timezone)))
