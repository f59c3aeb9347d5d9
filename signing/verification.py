"""Verifying every signature in a PDF against explicit trust roots, offline.

Trust is never implicit: ``verify_pdf`` takes its anchors as a required argument, refuses
an empty set, and never looks at the operating system's store or the network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from signing.errors import SigningError
from signing.report import (
    DocumentFacts,
    LevelName,
    Modifications,
    SignatureReport,
    SignerInfo,
    Verdict,
    VerificationReport,
)

MODIFICATIONS: dict[ModificationLevel, Modifications] = {
    ModificationLevel.NONE: "none",
    ModificationLevel.LTA_UPDATES: "lta_updates",
    ModificationLevel.FORM_FILLING: "form_filling",
    ModificationLevel.ANNOTATIONS: "annotations",
    ModificationLevel.OTHER: "other",
}


class UnreadableDocument(SigningError):
    """The input is not a PDF that can be verified."""


def _context(trust_roots: Sequence[bytes]) -> ValidationContext:
    if not trust_roots:
        raise SigningError("verification needs at least one trust root")
    roots = [asn1_x509.Certificate.load(der) for der in trust_roots]
    return ValidationContext(trust_roots=roots, allow_fetching=False)


def _level(status: PdfSignatureStatus, has_dss: bool, archive_timestamped: bool) -> LevelName:
    """B-LT needs validation data in the DSS, B-LTA a document timestamp over it too."""
    if status.timestamp_validity is None:
        return "B-B"
    if has_dss and archive_timestamped:
        return "B-LTA"
    if has_dss:
        return "B-LT"
    return "B-T"


def _signature_report(
    field: str, status: PdfSignatureStatus, has_dss: bool = False, archive_timestamped: bool = False
) -> SignatureReport:
    cert = status.signing_cert
    reasons: list[str] = []
    if not status.intact:
        reasons.append("the signed bytes were changed after signing")
    elif not status.valid:
        reasons.append("the cryptographic signature does not verify")
    if status.revoked:
        reasons.append("the signer's certificate is revoked")
    elif status.intact and status.valid and not status.trusted:
        reasons.append("untrusted: no configured trust anchor issued the signer's certificate")
    modification = status.modification_level
    modifications = MODIFICATIONS.get(modification, "other") if modification else "none"
    if modifications in ("annotations", "other") or (
        status.diff_result is not None and modification is None
    ):
        reasons.append(f"the document was modified after signing ({modifications})")
    whole = status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    verdict: Verdict
    if (
        not status.intact
        or not status.valid
        or status.revoked
        or modifications
        in (
            "annotations",
            "other",
        )
    ):
        verdict = "invalid"
    elif not status.trusted:
        verdict = "indeterminate"
    else:
        verdict = "valid"
    timestamp = status.timestamp_validity
    return SignatureReport(
        field=field,
        signer=SignerInfo(
            name=cert.subject.human_friendly,
            certificate_sha256=hashlib.sha256(cert.dump()).hexdigest(),
            issuer=cert.issuer.human_friendly,
        ),
        level=_level(status, has_dss, archive_timestamped),
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        revoked=bool(status.revoked),
        signing_time=status.signer_reported_dt.isoformat() if status.signer_reported_dt else "",
        timestamp_time=timestamp.timestamp.isoformat() if timestamp is not None else None,
        modifications_after=modifications,
        covers_whole_document=whole,
        verdict=verdict,
        reasons=tuple(reasons),
    )


def verify_pdf(path: Path, trust_roots: Sequence[bytes]) -> VerificationReport:
    context = _context(trust_roots)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    try:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            pages = int(reader.root["/Pages"]["/Count"])
            revisions = reader.xrefs.total_revisions
            has_dss = "/DSS" in reader.root
            # One pass over the signature fields: each pass re-reads every /Contents.
            embedded_all = reader.embedded_signatures
            regular = [e for e in embedded_all if e.sig_object_type != "/DocTimeStamp"]
            doc_timestamps = [
                (ts.signed_revision, validate_pdf_timestamp(ts, validation_context=context))
                for ts in embedded_all
                if ts.sig_object_type == "/DocTimeStamp"
            ]
            signatures = tuple(
                _signature_report(
                    str(embedded.field_name),
                    validate_pdf_signature(
                        embedded, signer_validation_context=context, ts_validation_context=context
                    ),
                    has_dss,
                    any(
                        revision > embedded.signed_revision and ts.intact and ts.valid
                        for revision, ts in doc_timestamps
                    ),
                )
                for embedded in regular
            )
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise UnreadableDocument(f"the file cannot be read as a PDF: {exc}") from exc
    document = DocumentFacts(sha256=digest.hexdigest(), pages=pages, revisions=revisions)
    if not signatures:
        return VerificationReport("indeterminate", document, (), ("the document has no signature",))
    verdicts = {s.verdict for s in signatures}
    overall: Verdict = (
        "invalid"
        if "invalid" in verdicts
        else "indeterminate"
        if "indeterminate" in verdicts
        else "valid"
    )
    return VerificationReport(overall, document, signatures)
