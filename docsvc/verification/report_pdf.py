"""The verification report as a PDF/A document sealed by the institution: what a court or
a bank files next to the document it checked.

It states the file's sha256, each signature's verdict with its facts and reasons, and the
copy check, in Spanish or English (the one message catalogue, :mod:`docsvc.locale`; every
moment in the institution's time zone), then carries the institution's electronic seal (B-LT
when a timestamp authority is configured, so that it stays verifiable after the seal's
certificate expires). Anyone can verify the report itself like any signed PDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from docsvc.documents.text_pdf import build_text_pdf
from docsvc.locale import DEFAULT_ZONE, Translator, translator
from docsvc.locale.labels import certificate_name
from docsvc.pki.sealed_pdf import seal_pdf
from docsvc.runtime.keyring import Keyring
from docsvc.verification import wording


def _reasons(item: Mapping[str, Any]) -> list[Any]:
    """A report's or a signature's reasons as codes with parameters (``reason_details``),
    worded here; a report kept from before they existed has only its English sentences."""
    details = item.get("reason_details")
    return list(details) if details is not None else list(item.get("reasons", []))


def report_title(t: Translator) -> str:
    return t.gettext("Signature verification report")


def report_paragraphs(
    report: Mapping[str, Any],
    *,
    lang: str,
    institution: str,
    file_name: str,
    issued_at: datetime,
    verify_url: str,
    zone: str = DEFAULT_ZONE,
) -> list[str]:
    """The report's text in ``lang``, every moment in ``zone`` (the institution's)."""
    t = translator(lang, zone)
    _ = t.gettext

    def yes(flag: object) -> str:
        return _("yes") if flag else _("no")

    def moment(value: str | None) -> str:
        return t.format_datetime(value, "long") if value else _("none")

    def name(value: str | None) -> str:
        return certificate_name(t, value) or _("none")

    document = report["document"]
    verdict = str(report["verdict"])
    paragraphs = [
        _(
            "Issued by %(institution)s on %(when)s.",
            institution=institution,
            when=t.format_datetime(issued_at, "long"),
        ),
        _("File verified: %(name)s", name=file_name),
        _(
            "SHA-256: %(sha256)s. Pages: %(pages)s. Revisions: %(revisions)s.",
            sha256=document["sha256"],
            pages=document["pages"],
            revisions=document["revisions"],
        ),
        _(
            "Result: %(verdict)s. %(summary)s",
            verdict=wording.verdict(verdict, lang).upper(),
            summary=wording.summary(verdict, lang),
        ),
    ]
    paragraphs += [
        _("Reason: %(reason)s", reason=wording.reason(r, lang, zone)) for r in _reasons(report)
    ]
    paragraphs += [
        _(
            "Warning about the file (it does not change the result): %(warning)s",
            warning=wording.warning(w, lang),
        )
        for w in report.get("warnings", [])
    ]
    for n, signature in enumerate(report["signatures"], start=1):
        signer = signature["signer"]
        paragraphs.append(
            " ".join(
                [
                    _(
                        "Signature %(n)s (field %(field)s): %(verdict)s.",
                        n=n,
                        field=signature["field"],
                        verdict=wording.verdict(signature["verdict"], lang).upper(),
                    ),
                    _(
                        "Signer: %(name)s. Certificate issuer: %(issuer)s.",
                        name=name(signer["name"]),
                        issuer=name(signer["issuer"]),
                    ),
                    _(
                        "PAdES level: %(level)s. Intact: %(intact)s. Trusted: %(trusted)s. "
                        "Revoked: %(revoked)s.",
                        level=signature["level"],
                        intact=yes(signature["intact"]),
                        trusted=yes(signature["trusted"]),
                        revoked=yes(signature["revoked"]),
                    ),
                    _(
                        "Signing time claimed: %(signing)s. Timestamp: %(timestamp)s.",
                        signing=moment(signature["signing_time"]),
                        timestamp=moment(signature["timestamp_time"]),
                    ),
                    _("Trust anchor: %(anchor)s.", anchor=name(signature.get("trust_anchor"))),
                    _(
                        "Changes after signing: %(changes)s. Covers the whole document: %(whole)s.",
                        changes=wording.modifications(signature["modifications_after"], lang),
                        whole=yes(signature["covers_whole_document"]),
                    ),
                ]
            )
        )
        paragraphs += [
            _("Reason: %(reason)s", reason=wording.reason(r, lang, zone))
            for r in _reasons(signature)
        ]
    if "copy" in report:
        paragraphs.append(_("Register: %(copy)s", copy=wording.copy_check(report["copy"], lang)))
    paragraphs.append(
        _(
            "This report carries the electronic seal of %(institution)s. You can verify it, "
            "like any signed document, at %(url)s.",
            institution=institution,
            url=verify_url,
        )
    )
    return paragraphs


def sealed_report(
    db: Session, keys: Keyring, report: Mapping[str, Any], *, file_name: str, lang: str
) -> bytes:
    """The report as PDF/A-2b, sealed with the institution's seal."""
    settings = keys.settings
    issued_at = datetime.now(UTC)
    title = report_title(translator(lang, settings.timezone))
    paragraphs = report_paragraphs(
        report,
        lang=lang,
        institution=settings.institution_name,
        file_name=file_name,
        issued_at=issued_at,
        verify_url=f"{settings.public_url.rstrip('/')}/verificar",
        zone=settings.timezone,
    )
    pdf = build_text_pdf(title, paragraphs, language=lang)
    return seal_pdf(db, keys, pdf, reason=title)
