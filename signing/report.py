"""The verification report: DESIGN.md's JSON contract, as frozen values."""

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
    # no anchor matched; an addition to DESIGN.md's fields.
    trust_anchor: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    sha256: str
    pages: int
    revisions: int


@dataclass(frozen=True, slots=True)
class VerificationReport:
    verdict: Verdict
    document: DocumentFacts
    signatures: tuple[SignatureReport, ...]
    reasons: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["signatures"] = [{**s, "reasons": list(s["reasons"])} for s in data["signatures"]]
        data["reasons"] = list(self.reasons)
        return data
