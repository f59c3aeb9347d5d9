"""The verification report: the JSON contract of docs/contracts.md, as frozen values.

A reason is data, never a sentence: a stable ``code``, the ETSI TS 119 102-1 sub-indication
it corresponds to (``sub_indication``, or ``None``) and its ``params``, (name, value) string
pairs such as a date in ISO 8601, a field's name or a count. ``CODES`` is the one table of
the codes this library emits: what each does to a verdict and its sub-indications.

Sentences are for readers, and are made where the reader's language and time zone are
known: docsvc renders each code from its message catalogue (``docsvc/locale/reasons.py``).
``english`` is the plain English of a library user (and of ``SignatureReport.reasons``),
with moments in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Literal

Verdict = Literal["valid", "invalid", "indeterminate"]
LevelName = Literal["B-B", "B-T", "B-LT", "B-LTA", "none"]
Modifications = Literal["none", "lta_updates", "form_filling", "annotations", "other"]
Effect = Literal["fails", "doubts", "either", "informs"]

# Parameters that hold a moment, in ISO 8601 with its offset (UTC): shown in the reader's
# time zone and words.
MOMENT_PARAMS = frozenset({"revoked_at", "signed_at", "not_before", "not_after", "proven_at"})


@dataclass(frozen=True, slots=True)
class CodeSpec:
    """What a reason code does to a signature's verdict, and the ETSI TS 119 102-1
    sub-indication a reason with it carries: ``failed`` when it makes the signature
    invalid (TOTAL-FAILED), ``indeterminate`` when it leaves it indeterminate."""

    effect: Effect
    failed: str | None = None
    indeterminate: str | None = None

    @property
    def default(self) -> str | None:
        """The sub-indication of a reason that does not say otherwise."""
        return self.failed if self.effect in ("fails", "either") else self.indeterminate


_FORMAT = CodeSpec("fails", failed="FORMAT_FAILURE")

# The one table of reason codes (docs/contracts.md lists it). For the chain's codes and
# ``timestamp_untrusted``, the sub-indication is pyHanko's own when it gives one; the one
# here is the default. ``certificate_revoked`` is REVOKED_CA_NO_POE when a CA certificate
# was revoked after a claimed signing time.
CODES: Mapping[str, CodeSpec] = {
    # The document's own reason.
    "no_signature": CodeSpec("doubts"),
    # The signature's bytes and value.
    "hash_failure": CodeSpec("fails", failed="HASH_FAILURE"),
    "signature_crypto_failure": CodeSpec("fails", failed="SIG_CRYPTO_FAILURE"),
    "timestamp_hash_failure": CodeSpec("fails", failed="HASH_FAILURE"),
    "timestamp_crypto_failure": CodeSpec("fails", failed="SIG_CRYPTO_FAILURE"),
    "timestamp_untrusted": CodeSpec("doubts", indeterminate="NO_CERTIFICATE_CHAIN_FOUND"),
    "timestamp_authority_expired": CodeSpec("doubts", indeterminate="OUT_OF_BOUNDS_NO_POE"),
    # The signer's certificate at the signing time.
    "certificate_revoked": CodeSpec("either", failed="REVOKED", indeterminate="REVOKED_NO_POE"),
    "certificate_expired": CodeSpec(
        "either", failed="EXPIRED", indeterminate="OUT_OF_BOUNDS_NO_POE"
    ),
    "certificate_not_yet_valid": CodeSpec("fails", failed="NOT_YET_VALID"),
    # Why the chain is not trusted (signing.chain_diagnosis).
    "self_signed": CodeSpec("doubts", indeterminate="NO_CERTIFICATE_CHAIN_FOUND"),
    "unknown_issuer": CodeSpec("doubts", indeterminate="NO_CERTIFICATE_CHAIN_FOUND"),
    "key_usage": CodeSpec("doubts", indeterminate="CHAIN_CONSTRAINTS_FAILURE"),
    "not_a_ca": CodeSpec("doubts", indeterminate="CHAIN_CONSTRAINTS_FAILURE"),
    "chain_constraints": CodeSpec("doubts", indeterminate="CHAIN_CONSTRAINTS_FAILURE"),
    "weak_algorithm": CodeSpec("doubts", indeterminate="CRYPTO_CONSTRAINTS_FAILURE"),
    "no_revocation_info": CodeSpec("doubts", indeterminate="TRY_LATER"),
    "chain_invalid": CodeSpec("doubts", indeterminate="CERTIFICATE_CHAIN_GENERAL_FAILURE"),
    # Changes after signing.
    "modified_after_signing": _FORMAT,
    "certification_violated": _FORMAT,
    "appended_content": _FORMAT,
    "form_appearance_changed": _FORMAT,
    "form_value_mismatch": _FORMAT,
    "form_uncovers_content": _FORMAT,
    "visible_content_changed": _FORMAT,
    # Signatures that cannot be checked.
    "signature_unreadable": _FORMAT,
    "unsupported_signature_format": CodeSpec("doubts"),
    "no_signing_certificate": CodeSpec("doubts", indeterminate="NO_SIGNING_CERTIFICATE_FOUND"),
    "signature_algorithm_mismatch": CodeSpec("doubts"),
    # Information: no effect on the verdict.
    "stand_in": CodeSpec("informs"),
    "revoked_later": CodeSpec("informs"),
}

ParamValue = str | int | dt.datetime | None


def _param_text(value: str | int | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a signature (or the document) has its verdict, or a fact worth saying about it:
    a ``code`` of ``CODES``, its ETSI sub-indication, and its parameters."""

    code: str
    sub_indication: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, sub_indication: str | None = None, **params: ParamValue) -> Reason:
        """A reason with the table's sub-indication for ``code`` unless one is given;
        parameters that are ``None`` are left out, moments become ISO 8601 in UTC."""
        spec = CODES.get(code)
        if spec is None:
            raise ValueError(f"unknown reason code {code!r}")
        return cls(
            code,
            sub_indication or spec.default,
            tuple(
                (name, _param_text(value)) for name, value in params.items() if value is not None
            ),
        )

    @property
    def parameters(self) -> dict[str, str]:
        return dict(self.params)

    def param(self, name: str, default: str = "") -> str:
        return self.parameters.get(name, default)

    def english(self) -> str:
        return english(self)

    def as_json(self, message: str) -> dict[str, object]:
        return {
            "code": self.code,
            "sub_indication": self.sub_indication,
            "params": self.parameters,
            "message": message,
        }


# Plain English, for library users -------------------------------------------------------


def _utc(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _english_params(reason: Reason) -> dict[str, str]:
    p = reason.parameters
    for name in MOMENT_PARAMS & p.keys():
        p[name] = _utc(p[name])
    return p


def _revoked(p: Mapping[str, str]) -> str:
    whose = (
        "a CA certificate in the signer's chain"
        if p.get("certificate") == "ca"
        else "the signer's certificate"
    )
    why = p.get("revocation_reason", "unspecified").replace("_", " ")
    how = _how(p)
    revoked = f"{whose} was revoked on {p.get('revoked_at', '')} ({why})"
    if p.get("order") == "after":
        return (
            f"{revoked}, after {how} ({p.get('signed_at', '')}), but no timestamp proves the "
            "signature was made before the revocation"
        )
    on = f" ({p['signed_at']})" if "signed_at" in p else ""
    return f"{revoked}, before {how}{on}"


def _how(p: Mapping[str, str]) -> str:
    if p.get("time") == "proven":
        return "the timestamped signing time"
    return "the signing time the signer claims"


def _expired(p: Mapping[str, str]) -> str:
    if "signed_at" in p:
        return (
            "the signer's certificate had expired when the document was signed: it expired "
            f"on {p.get('not_after', '')}, and {_how(p)} is {p['signed_at']}"
        )
    return (
        f"the signer's certificate is valid only from {p.get('not_before', '')} to "
        f"{p.get('not_after', '')}, and no timestamp proves the signature was made then"
    )


def _unknown_issuer(p: Mapping[str, str]) -> str:
    issuer = p.get("issuer", "")
    untrusted = (
        f"untrusted: no configured trust anchor issued the signer's certificate (its issuer: "
        f"{issuer}"
    )
    if "missing" in p:
        return (
            f"{untrusted}); the certificate of {p['missing']} is neither a trust anchor nor in "
            "the file"
        )
    if "root" in p and p["root"] == issuer:
        return f"{untrusted}, a root that is not a trust anchor)"
    if "root" in p:
        return f"{untrusted}); its chain ends at the root {p['root']}, which is not a trust anchor"
    return f"{untrusted})"


def _stand_in(p: Mapping[str, str]) -> str:
    position = f" ({p['position']})" if p.get("position") else ""
    return f"signed by {p.get('signer', '')} as stand-in for {p.get('principal', '')}{position}"


def _unreadable(p: Mapping[str, str]) -> str:
    return {
        "dictionary": "the signature value is not a dictionary",
        "verify": "the signature cannot be verified",
    }.get(p.get("stage", ""), "the signature cannot be read")


def _form_value(p: Mapping[str, str]) -> str:
    field, value = p.get("field", ""), p.get("value", "")
    if "state" in p:
        return f"form field '{field}' shows the state {p['state']}, not its value {value}"
    return f"form field '{field}' shows '{p.get('shown', '')}', not its value '{value}'"


def _visible_content(p: Mapping[str, str]) -> str:
    if "error" in p:
        return (
            "the form was changed after signing and the pages cannot be drawn to compare "
            f"them: {p['error']}"
        )
    return (
        f"page {p.get('page', '')} shows content that differs from what was signed, outside "
        "the form fields filled in after signing"
    )


_ENGLISH: Mapping[str, Callable[[Mapping[str, str]], str]] = {
    "no_signature": lambda p: "the document has no signature",
    "hash_failure": lambda p: "the signed bytes were changed after signing",
    "signature_crypto_failure": lambda p: "the cryptographic signature does not verify",
    "timestamp_hash_failure": lambda p: "the signature timestamp does not match the signature",
    "timestamp_crypto_failure": lambda p: "the signature timestamp's own signature does not verify",
    "timestamp_untrusted": lambda p: (
        "untrusted timestamp: the timestamp authority's certificate is not valid under the "
        "configured trust anchors"
    ),
    "timestamp_authority_expired": lambda p: (
        f"the timestamp authority's certificate expired on {p.get('not_after', '')} and no "
        "archive timestamp renewed before then covers the signature, so its timestamp no "
        "longer proves when it was made"
    ),
    "certificate_revoked": _revoked,
    "certificate_expired": _expired,
    "certificate_not_yet_valid": lambda p: (
        "the signer's certificate was not yet valid when the document was signed: it is valid "
        f"from {p.get('not_before', '')}, and {_how(p)} is {p.get('signed_at', '')}"
    ),
    "self_signed": lambda p: (
        f"untrusted: the signer's certificate is self-signed ({p.get('certificate', '')}) and "
        "is not among the configured trust anchors"
    ),
    "unknown_issuer": _unknown_issuer,
    "key_usage": lambda p: (
        "untrusted: the signer's certificate is not meant for signing (its key usage: "
        f"{p.get('key_usage') or 'none'})"
    ),
    "not_a_ca": lambda p: (
        f"untrusted: {p.get('certificate', '')} issued a certificate in the signer's chain but "
        "is not a certification authority"
    ),
    "chain_constraints": lambda p: (
        "untrusted: the signer's certificate chain breaks a constraint of its issuers"
    ),
    "weak_algorithm": lambda p: "untrusted: the chain uses an algorithm no longer accepted",
    "no_revocation_info": lambda p: (
        "untrusted: no usable revocation information for the signer's certificate"
    ),
    "chain_invalid": lambda p: "untrusted: the signer's certificate chain is not valid",
    "modified_after_signing": lambda p: (
        f"the document was modified after signing ({p.get('modifications', 'other')})"
    ),
    "certification_violated": lambda p: (
        "the document was changed in a way its certification signature does not allow"
    ),
    "appended_content": lambda p: (
        f"{p.get('size', '')} bytes holding PDF objects were appended after the last revision "
        "without a valid cross-reference section: readers that repair files show them"
    ),
    "form_appearance_changed": lambda p: (
        f"the appearance of form field '{p.get('field', '')}' was replaced after signing while "
        "its value stayed as signed: the page no longer shows what was signed"
    ),
    "form_value_mismatch": _form_value,
    "form_uncovers_content": lambda p: (
        f"filling in form field '{p.get('field', '')}' after signing uncovered page content "
        "that its signed appearance hid"
    ),
    "visible_content_changed": _visible_content,
    "signature_unreadable": _unreadable,
    "unsupported_signature_format": lambda p: (
        f"the signature format {p.get('subfilter', '')} is not supported"
    ),
    "no_signing_certificate": lambda p: (
        "the signer's certificate is neither in the signature nor in the file"
    ),
    "signature_algorithm_mismatch": lambda p: (
        "the signature cannot be checked with the algorithm it declares"
    ),
    "stand_in": _stand_in,
    "revoked_later": lambda p: (
        f"the signer's certificate was revoked later, on {p.get('revoked_at', '')}; the "
        f"timestamp proves the signature was made before, on {p.get('proven_at', '')}"
    ),
}


def english(reason: Reason) -> str:
    """The reason in plain English, moments in UTC ("2026-01-02 10:00:00 UTC")."""
    render = _ENGLISH.get(reason.code)
    if render is None:
        return reason.code.replace("_", " ")
    return render(_english_params(reason))


# The report ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignerInfo:
    name: str
    certificate_sha256: str
    issuer: str


class _Reasoned:
    """What a report with ``reason_details`` derives from them."""

    __slots__ = ()
    reason_details: tuple[Reason, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons in plain English (``english``)."""
        return tuple(english(r) for r in self.reason_details)

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reason_details)


@dataclass(frozen=True, slots=True)
class SignatureReport(_Reasoned):
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
    reason_details: tuple[Reason, ...]
    # The configured trust anchor the signer's chain ends at (its subject), or None when
    # no anchor matched; a later addition to the report (docs/contracts.md).
    trust_anchor: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    sha256: str
    pages: int
    revisions: int


@dataclass(frozen=True, slots=True)
class ReadingWarning:
    """Something in the file that deviates from the PDF standard but was read leniently,
    because it touches nothing a signature covers: it does not change a verdict. ``code``
    and ``subject`` are what a reader's words are made of; ``message`` is plain English."""

    code: str
    message: str
    # What the warning is about (a field's name, an object, a count), for rewording it.
    subject: str = ""


Render = Callable[[Reason], str]
RenderWarning = Callable[[ReadingWarning], str]


def _warning_message(warning: ReadingWarning) -> str:
    return warning.message


def _reasons_json(reasons: tuple[Reason, ...], message: Render) -> dict[str, object]:
    messages = [message(r) for r in reasons]
    return {
        "reasons": messages,
        "reason_codes": [r.code for r in reasons],
        "reason_details": [r.as_json(m) for r, m in zip(reasons, messages, strict=True)],
    }


@dataclass(frozen=True, slots=True)
class VerificationReport(_Reasoned):
    verdict: Verdict
    document: DocumentFacts
    signatures: tuple[SignatureReport, ...]
    # The document's own reasons (``no_signature``).
    reason_details: tuple[Reason, ...] = ()
    # The deviations read leniently (a later addition to the report).
    warnings: tuple[ReadingWarning, ...] = ()

    def as_json(
        self, message: Render = english, warning: RenderWarning = _warning_message
    ) -> dict[str, object]:
        """The JSON of docs/contracts.md: each reason's ``message`` (in ``reasons`` and in
        ``reason_details``) and each warning's made by ``message`` and ``warning``, plain
        English unless a caller renders them in its reader's language."""
        signatures = []
        for s in self.signatures:
            item = {
                "field": s.field,
                "signer": asdict(s.signer),
                "level": s.level,
                "intact": s.intact,
                "trusted": s.trusted,
                "revoked": s.revoked,
                "signing_time": s.signing_time,
                "timestamp_time": s.timestamp_time,
                "modifications_after": s.modifications_after,
                "covers_whole_document": s.covers_whole_document,
                "verdict": s.verdict,
                "trust_anchor": s.trust_anchor,
            }
            signatures.append({**item, **_reasons_json(s.reason_details, message)})
        return {
            "verdict": self.verdict,
            "document": asdict(self.document),
            "signatures": signatures,
            **_reasons_json(self.reason_details, message),
            "warnings": [
                {"code": w.code, "message": warning(w), "subject": w.subject} for w in self.warnings
            ],
        }
