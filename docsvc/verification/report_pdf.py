"""The verification report as a PDF/A document sealed by the institution: what a court or
a bank files next to the document it checked.

It states the file's sha256, each signature's verdict with its facts and reasons, and the
copy check, in Spanish or English, then carries the institution's electronic seal (B-LT
when a timestamp authority is configured, so that it stays verifiable after the seal's
certificate expires). Anyone can verify the report itself like any signed PDF.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.documents.text_pdf import build_text_pdf
from docsvc.errors import Conflict
from docsvc.pki.seal import institution_seal
from docsvc.signatures.authorities import material_for, timestamper_for
from docsvc.verification import wording
from signing.errors import SigningError
from signing.pades import Level, SignatureRequest, sign_file

TITLES = {"es": "Informe de verificación de firmas", "en": "Signature verification report"}

_LABELS: dict[str, dict[str, str]] = {
    "es": {
        "issued": "Emitido por {institution} el {when}.",
        "file": "Archivo verificado: {name}",
        "facts": "SHA-256: {sha256}. Páginas: {pages}. Revisiones: {revisions}.",
        "result": "Resultado: {verdict}. {summary}",
        "signature": "Firma {n} (campo {field}): {verdict}.",
        "signer": "Firmante: {name}. Emisor del certificado: {issuer}.",
        "level": "Nivel PAdES: {level}. Íntegra: {intact}. De confianza: {trusted}. "
        "Revocada: {revoked}.",
        "times": "Hora de firma declarada: {signing}. Sello de tiempo: {timestamp}.",
        "anchor": "Ancla de confianza: {anchor}.",
        "changes": "Cambios posteriores: {changes}. Cubre todo el documento: {whole}.",
        "reason": "Motivo: {reason}",
        "warning": "Advertencia sobre el archivo (no cambia el resultado): {warning}",
        "copy": "Registro: {copy}",
        "seal": "Este informe lleva el sello electrónico de {institution}. Puede verificarlo, "
        "como cualquier documento firmado, en {url}.",
        "yes": "sí",
        "no": "no",
        "none": "ninguno",
    },
    "en": {
        "issued": "Issued by {institution} on {when}.",
        "file": "File verified: {name}",
        "facts": "SHA-256: {sha256}. Pages: {pages}. Revisions: {revisions}.",
        "result": "Result: {verdict}. {summary}",
        "signature": "Signature {n} (field {field}): {verdict}.",
        "signer": "Signer: {name}. Certificate issuer: {issuer}.",
        "level": "PAdES level: {level}. Intact: {intact}. Trusted: {trusted}. Revoked: {revoked}.",
        "times": "Signing time claimed: {signing}. Timestamp: {timestamp}.",
        "anchor": "Trust anchor: {anchor}.",
        "changes": "Changes after signing: {changes}. Covers the whole document: {whole}.",
        "reason": "Reason: {reason}",
        "warning": "Warning about the file (it does not change the result): {warning}",
        "copy": "Register: {copy}",
        "seal": "This report carries the electronic seal of {institution}. You can verify it, "
        "like any signed document, at {url}.",
        "yes": "yes",
        "no": "no",
        "none": "none",
    },
}


def report_paragraphs(
    report: Mapping[str, Any],
    *,
    lang: str,
    institution: str,
    file_name: str,
    issued_at: datetime,
    verify_url: str,
) -> list[str]:
    labels = _LABELS[lang]

    def yes(flag: object) -> str:
        return labels["yes"] if flag else labels["no"]

    document = report["document"]
    verdict = str(report["verdict"])
    paragraphs = [
        labels["issued"].format(
            institution=institution, when=issued_at.strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")
        ),
        labels["file"].format(name=file_name),
        labels["facts"].format(**document),
        labels["result"].format(
            verdict=wording.verdict(verdict, lang).upper(), summary=wording.summary(verdict, lang)
        ),
    ]
    paragraphs += [
        labels["reason"].format(reason=wording.reason(r, lang)) for r in report.get("reasons", [])
    ]
    paragraphs += [
        labels["warning"].format(warning=wording.warning(w, lang))
        for w in report.get("warnings", [])
    ]
    for n, signature in enumerate(report["signatures"], start=1):
        signer = signature["signer"]
        paragraphs.append(
            " ".join(
                [
                    labels["signature"].format(
                        n=n,
                        field=signature["field"],
                        verdict=wording.verdict(signature["verdict"], lang).upper(),
                    ),
                    labels["signer"].format(name=signer["name"], issuer=signer["issuer"]),
                    labels["level"].format(
                        level=signature["level"],
                        intact=yes(signature["intact"]),
                        trusted=yes(signature["trusted"]),
                        revoked=yes(signature["revoked"]),
                    ),
                    labels["times"].format(
                        signing=signature["signing_time"] or labels["none"],
                        timestamp=signature["timestamp_time"] or labels["none"],
                    ),
                    labels["anchor"].format(anchor=signature.get("trust_anchor") or labels["none"]),
                    labels["changes"].format(
                        changes=wording.modifications(signature["modifications_after"], lang),
                        whole=yes(signature["covers_whole_document"]),
                    ),
                ]
            )
        )
        paragraphs += [
            labels["reason"].format(reason=wording.reason(r, lang)) for r in signature["reasons"]
        ]
    if "copy" in report:
        paragraphs.append(labels["copy"].format(copy=wording.copy_check(report["copy"], lang)))
    paragraphs.append(labels["seal"].format(institution=institution, url=verify_url))
    return paragraphs


def sealed_report(
    db: Session, settings: Settings, report: Mapping[str, Any], *, file_name: str, lang: str
) -> bytes:
    """The report as PDF/A-2b, sealed with the institution's seal."""
    issued_at = datetime.now(UTC).astimezone(ZoneInfo(settings.timezone))
    paragraphs = report_paragraphs(
        report,
        lang=lang,
        institution=settings.institution_name,
        file_name=file_name,
        issued_at=issued_at,
        verify_url=f"{settings.public_url.rstrip('/')}/verificar",
    )
    pdf = build_text_pdf(TITLES[lang], paragraphs, language=lang)
    long_term = bool(settings.tsa_url or settings.dev_pki)
    level = Level.B_LT if long_term else Level.B_B
    timestamper = timestamper_for(settings, level)
    material = material_for(db, settings, level)
    request = SignatureRequest(level, reason=TITLES[lang], location=settings.institution_name)
    with tempfile.TemporaryDirectory(prefix="docsvc-report-") as work:
        source, target = Path(work) / "report.pdf", Path(work) / "sealed.pdf"
        source.write_bytes(pdf)
        with institution_seal(db, settings) as key:
            try:
                sign_file(source, target, key, request, timestamper, material)
            except SigningError as exc:
                raise Conflict(f"The report cannot be sealed: {exc}", code="seal_failed") from exc
        return target.read_bytes()
