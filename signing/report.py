"""The verification report: the JSON contract of docs/contracts.md, as frozen values."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Verdict = Literal["valid", "invalid", "indeterminate"]
LevelName = Literal["B-B", "B-T", "B-LT", "B-LTA", "none"]
Modifications = Literal["none", "lta_updates", "form_filling", "annotations", "other"]


@dataclass(frozen=True, slots=True)
class SignerInfo:
    name: str
    certificate_sha256: str
    issuer: str


@dataclass(frozen=True, slots=True)
class SignatureReport:
    field: str
    signer: SignerInfo
    level: LevelName
    intact: bool
    trusted: bool
    revoked: bool
    signing_time: str
    timestamp_time: str | None
    modifications_after: Modifications
    covers_whole_document: bool
    verdict: Verdict
    reasons: tuple[str, ...]
    # The configured trust anchor the signer's chain ends at (its subject), or None when
    # no anchor matched; a later addition to the report (docs/contracts.md).
    trust_anchor: str | None = None
    # A stable code for each reason, in the same order (a later addition to the report):
    # what a program should test, since the sentences may be reworded.
    reason_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    sha256: str
    pages: int
    revisions: int


@dataclass(frozen=True, slots=True)
class ReadingWarning:
    """Something in the file that deviates from the PDF standard but was read leniently,
    because it touches nothing a signature covers: it does not change a verdict."""

    code: str
    message: str
    # What the warning is about (a field's name, an object, a count), for rewording it.
    subject: str = ""


@dataclass(frozen=True, slots=True)
class VerificationReport:
    verdict: Verdict
    document: DocumentFacts
    signatures: tuple[SignatureReport, ...]
    reasons: tuple[str, ...] = ()
    # Later additions to the report: the codes of the document's own reasons, and the
    # deviations read leniently.
    reason_codes: tuple[str, ...] = ()
    warnings: tuple[ReadingWarning, ...] = ()

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["signatures"] = [
            {**s, "reasons": list(s["reasons"]), "reason_codes": list(s["reason_codes"])}
            for s in data["signatures"]
        ]
        data["reasons"] = list(self.reasons)
        data["reason_codes"] = list(self.reason_codes)
        data["warnings"] = [asdict(w) for w in self.warnings]
        return data
