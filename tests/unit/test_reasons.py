"""Verification reasons as codes with parameters (signing.report.Reason), worded only from
the message catalogue: every code signing/ can emit has its sentence and its Spanish, the
catalogue's English is the library's plain English, and moments are shown in the
institution's time zone."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pyhanko.sign.ades.report import AdESStatus

from docsvc.locale import translator
from docsvc.locale.labels import reading_warning, reason_codes_worded, verification_reason
from docsvc.verification import wording
from signing.etsi_report import sub_indication
from signing.lenient_reading import MESSAGES
from signing.report import (
    CODES,
    MOMENT_PARAMS,
    DocumentFacts,
    ReadingWarning,
    Reason,
    SignatureReport,
    SignerInfo,
    VerificationReport,
)

SIGNING = Path(__file__).parents[2] / "signing"
ENGLISH = re.compile(
    r"\b(the|was|signer|signature|certificate|document|timestamp|not|before|after|field|"
    r"untrusted|issued|shows|page|form|stand-in)\b"
)

# Every form of every code's sentence: each sample's parameters pick one.
SAMPLES: tuple[Reason, ...] = (
    Reason.of("no_signature"),
    Reason.of("hash_failure"),
    Reason.of("signature_crypto_failure"),
    Reason.of("timestamp_hash_failure"),
    Reason.of("timestamp_crypto_failure"),
    Reason.of("timestamp_untrusted"),
    Reason.of("timestamp_authority_expired", not_after="2031-12-06T17:35:12+00:00"),
    Reason.of(
        "certificate_revoked",
        "REVOKED",
        order="before",
        certificate="signer",
        revoked_at="2026-01-02T10:00:00+00:00",
        revocation_reason="key_compromise",
        time="proven",
        signed_at="2026-01-03T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_revoked",
        "REVOKED",
        order="before",
        certificate="ca",
        revoked_at="2026-01-02T10:00:00+00:00",
        revocation_reason="superseded",
        time="claimed",
    ),
    Reason.of(
        "certificate_revoked",
        "REVOKED_CA_NO_POE",
        order="after",
        certificate="ca",
        revoked_at="2026-01-02T10:00:00+00:00",
        revocation_reason="unspecified",
        time="claimed",
        signed_at="2026-01-01T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_expired",
        "EXPIRED",
        not_after="2025-01-01T10:00:00+00:00",
        time="proven",
        signed_at="2026-01-01T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_expired",
        "OUT_OF_BOUNDS_NO_POE",
        not_before="2024-01-01T10:00:00+00:00",
        not_after="2025-01-01T10:00:00+00:00",
    ),
    Reason.of(
        "certificate_not_yet_valid",
        not_before="2026-01-02T10:00:00+00:00",
        time="claimed",
        signed_at="2026-01-01T10:00:00+00:00",
    ),
    Reason.of("self_signed", certificate="Common Name: Firmante, Organization: Empresa"),
    Reason.of("unknown_issuer", issuer="Common Name: CA emisora", missing="Common Name: Raíz"),
    Reason.of("unknown_issuer", issuer="Common Name: Raíz ajena", root="Common Name: Raíz ajena"),
    Reason.of("unknown_issuer", issuer="Common Name: CA emisora", root="Common Name: Raíz"),
    Reason.of("unknown_issuer", issuer="Common Name: CA emisora"),
    Reason.of("key_usage", key_usage="crl_sign, key_cert_sign"),
    Reason.of("key_usage", key_usage="none"),
    Reason.of("not_a_ca", certificate="Common Name: Persona emisora"),
    Reason.of("chain_constraints"),
    Reason.of("weak_algorithm"),
    Reason.of("no_revocation_info"),
    Reason.of("chain_invalid"),
    Reason.of("modified_after_signing", modifications="annotations"),
    Reason.of("modified_after_signing", modifications="other"),
    Reason.of("certification_violated"),
    Reason.of("appended_content", size=1234),
    Reason.of("form_appearance_changed", field="Monto"),
    Reason.of("form_value_mismatch", field="Aprobado", state="/Off", value="Si"),
    Reason.of("form_value_mismatch", field="Monto", shown="1000", value="10"),
    Reason.of("form_uncovers_content", field="Nota"),
    Reason.of("visible_content_changed", page=2),
    Reason.of("visible_content_changed", error="FPDF_LoadMemDocument: 3"),
    Reason.of("signature_unreadable"),
    Reason.of("signature_unreadable", stage="dictionary"),
    Reason.of("signature_unreadable", stage="verify"),
    Reason.of("unsupported_signature_format", subfilter="/adbe.pkcs7.sha1"),
    Reason.of("no_signing_certificate"),
    Reason.of("signature_algorithm_mismatch"),
    Reason.of(
        "stand_in", signer="Miguel Torres", principal="Carlos Méndez", position="Viceministro"
    ),
    Reason.of("stand_in", signer="Miguel Torres", principal="Carlos Méndez"),
    Reason.of(
        "revoked_later",
        revoked_at="2026-01-02T10:00:00+00:00",
        proven_at="2026-01-01T10:00:00+00:00",
    ),
)


def _literal_codes() -> set[str]:
    """The codes written as literals in signing/: ``Reason.of("code", ...)`` and
    ``Reason("code", ...)``, and the codes of the findings turned into reasons
    (``FormFinding.of("code", ...)``, ``BrokenSignature(field, "code")`` and its
    default)."""
    found: set[str] = {"signature_unreadable"}  # BrokenSignature's default code
    for path in SIGNING.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else f"{getattr(func.value, 'id', '')}.{func.attr}"
                if isinstance(func, ast.Attribute)
                else ""
            )
            args = list(node.args)
            keywords = {k.arg: k.value for k in node.keywords}
            if name in ("Reason", "Reason.of", "FormFinding", "FormFinding.of"):
                code = keywords.get("code", args[0] if args else None)
            elif name == "BrokenSignature":
                code = keywords.get("code", args[1] if len(args) > 1 else None)
            else:
                continue
            if isinstance(code, ast.Constant) and isinstance(code.value, str):
                found.add(code.value)
    return found


def test_every_code_signing_emits_is_in_the_table() -> None:
    emitted = _literal_codes()
    assert len(emitted) >= 25, emitted
    assert emitted <= set(CODES), emitted - set(CODES)


def test_every_code_in_the_table_has_its_sentence_in_the_catalogue() -> None:
    assert reason_codes_worded(translator("en")) == set(CODES)
    assert {sample.code for sample in SAMPLES} == set(CODES)


def test_the_table_s_sub_indications_are_etsi_s() -> None:
    for code, spec in CODES.items():
        if spec.effect in ("fails", "either"):
            assert spec.failed, code
            assert sub_indication(spec.failed, failed=True).status is AdESStatus.FAILED
        if spec.effect in ("doubts", "either") and spec.indeterminate:
            found = sub_indication(spec.indeterminate, failed=False)
            assert found.status is AdESStatus.INDETERMINATE, code
        if spec.effect == "informs":
            assert spec.failed is None and spec.indeterminate is None, code
    assert Reason.of("hash_failure").sub_indication == "HASH_FAILURE"
    assert Reason.of("stand_in").sub_indication is None
    with pytest.raises(ValueError, match="unknown reason code"):
        Reason.of("no_such_code")


@pytest.mark.parametrize("reason", SAMPLES, ids=lambda r: f"{r.code}-{len(r.params)}")
def test_the_catalogue_s_english_is_the_library_s_plain_english(reason: Reason) -> None:
    """Moments aside (the catalogue shows them in the institution's zone, the library in
    UTC), the English a program reads is the same from both."""
    catalogue = verification_reason(translator("en", "UTC"), reason)
    if MOMENT_PARAMS & reason.parameters.keys():
        assert catalogue != reason.english()
        assert re.search(r"\d:\d\d:\d\d\W(AM|PM) UTC", catalogue), catalogue
    else:
        assert catalogue == reason.english()


@pytest.mark.parametrize("reason", SAMPLES, ids=lambda r: f"{r.code}-{len(r.params)}")
def test_every_sentence_reads_in_spanish(reason: Reason) -> None:
    spanish = verification_reason(translator("es"), reason)
    assert not ENGLISH.search(spanish), spanish
    assert not spanish[0].islower(), spanish
    # The same from a report's JSON item as from the value.
    assert wording.reason(reason.as_json(reason.english()), "es") == spanish


def test_spanish_moments_are_in_the_institution_s_time_zone() -> None:
    revoked = Reason.of(
        "revoked_later",
        revoked_at="2026-01-02T10:00:00+00:00",
        proven_at="2026-01-01T23:30:00+00:00",
    )
    guayaquil = verification_reason(translator("es", "America/Guayaquil"), revoked)
    assert guayaquil == (
        "El certificado del firmante se revocó más tarde, el 2 de enero de 2026, 5:00:00 -0500; "
        "el sello de tiempo prueba que la firma se hizo antes, el 1 de enero de 2026, "
        "18:30:00 -0500"
    )
    # Another institution's zone moves the day, not only the hour.
    madrid = verification_reason(translator("es", "Europe/Madrid"), revoked)
    assert "antes, el 2 de enero de 2026, 0:30:00" in madrid
    expired = Reason.of(
        "certificate_expired",
        "EXPIRED",
        not_after="2025-01-01T03:00:00+00:00",
        time="proven",
        signed_at="2026-01-01T10:00:00+00:00",
    )
    assert wording.reason(expired, "es", "America/Guayaquil") == (
        "El certificado del firmante había caducado cuando se firmó el documento: caducó el "
        "31 de diciembre de 2024, 22:00:00 -0500, y la hora de firma probada por el sello de "
        "tiempo es el 1 de enero de 2026, 5:00:00 -0500"
    )
    # The library's own English stays in UTC.
    assert "2025-01-01 03:00:00 UTC" in expired.english()


def test_revocation_reasons_and_key_usages_are_worded() -> None:
    t = translator("es")
    revoked = Reason.of(
        "certificate_revoked",
        "REVOKED",
        order="before",
        certificate="signer",
        revoked_at="2026-01-02T10:00:00+00:00",
        revocation_reason="key_compromise",
        time="proven",
        signed_at="2026-01-03T10:00:00+00:00",
    )
    assert "(compromiso de la clave)" in verification_reason(t, revoked)
    assert "(key compromise)" in verification_reason(translator("en"), revoked)
    usage = Reason.of("key_usage", key_usage="crl_sign, key_cert_sign")
    assert verification_reason(t, usage).endswith(
        "(su uso de clave: firma de listas de revocación, firma de certificados)"
    )
    issuer = Reason.of("unknown_issuer", issuer="Common Name: CA emisora", missing="Common Name: X")
    assert "(su emisor: Nombre común: CA emisora)" in verification_reason(t, issuer)


def test_a_code_without_a_sentence_shows_its_message() -> None:
    """A report from a newer verifier: its own message is shown rather than nothing."""
    item = {"code": "some_new_code", "params": {}, "message": "something new happened"}
    assert wording.reason(item, "es") == "something new happened"
    assert wording.reason("a bare sentence", "es") == "a bare sentence"


def test_every_warning_has_its_sentence() -> None:
    for code in MESSAGES:
        warning = ReadingWarning(code, MESSAGES[code].format(subject="7 0 R"), "7 0 R")
        spanish = reading_warning(translator("es"), warning)
        english = reading_warning(translator("en"), warning)
        assert spanish != english, code
        assert not re.search(r"\b(the|was|which|does|not|read)\b", spanish), spanish
        assert wording.warning({"code": code, "subject": "7 0 R"}, "es") == spanish


def test_the_json_report_gives_codes_sub_indications_params_and_messages() -> None:
    stand_in = Reason.of("stand_in", signer="Miguel Torres", principal="Carlos Méndez")
    signature = SignatureReport(
        field="Firma1",
        signer=SignerInfo("Common Name: Miguel Torres", "00", "Common Name: CA"),
        level="B-B",
        intact=False,
        trusted=True,
        revoked=False,
        signing_time="",
        timestamp_time=None,
        modifications_after="none",
        covers_whole_document=True,
        verdict="invalid",
        reason_details=(Reason.of("hash_failure"), stand_in),
    )
    report = VerificationReport("invalid", DocumentFacts("ab", 1, 2), (signature,))
    plain = report.as_json()
    (item,) = plain["signatures"]  # type: ignore[misc]
    assert item["reasons"] == [
        "the signed bytes were changed after signing",
        "signed by Miguel Torres as stand-in for Carlos Méndez",
    ]
    assert item["reason_codes"] == ["hash_failure", "stand_in"]
    assert item["reason_details"] == [
        {
            "code": "hash_failure",
            "sub_indication": "HASH_FAILURE",
            "params": {},
            "message": "the signed bytes were changed after signing",
        },
        {
            "code": "stand_in",
            "sub_indication": None,
            "params": {"signer": "Miguel Torres", "principal": "Carlos Méndez"},
            "message": "signed by Miguel Torres as stand-in for Carlos Méndez",
        },
    ]
    assert plain["reasons"] == [] and plain["reason_details"] == []
    spanish = wording.report_json(report, "es")
    (item,) = spanish["signatures"]
    assert item["reasons"][0] == "Los bytes firmados se cambiaron después de la firma"
    assert item["reason_details"][1]["message"] == (
        "Firmado por Miguel Torres como suplente de Carlos Méndez"
    )
    assert item["reason_codes"] == ["hash_failure", "stand_in"]
