"""A stand-in's claimed role (signing.pades.StandIn) in the signed attributes is what the
verifier reads; the /Reason sentence is for people, and alone makes no stand-in."""

from __future__ import annotations

import io
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.cades_asn1 import SignerAttributesV2

from signing.dev_pki import DevPki, OfficialCertificate
from signing.pades import Level, SignatureRequest, StandIn, sign_file, unlock_pkcs12
from signing.verification import VerificationPolicy, verify
from tests.support.pki import PIN, root_der

SENTENCE = (
    "Firma electrónica; firmado por Ana María Rojas como suplente de Carlos Méndez (Viceministro)"
)


def _signed(
    official: OfficialCertificate, unsigned: Path, target: Path, request: SignatureRequest
) -> Path:
    sign_file(unsigned, target, unlock_pkcs12(official.pkcs12, PIN), request)
    return target


def test_the_claimed_role_makes_the_stand_in_reason(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    request = SignatureRequest(
        Level.B_B, reason=SENTENCE, stand_in_for=StandIn("Carlos Méndez", "Viceministro")
    )
    signed = _signed(official, unsigned, tmp_path / "s.pdf", request)
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    (reason,) = signature.reason_details
    assert reason.code == "stand_in"
    # The signer is who the certificate names; the official signed for, the claim.
    assert reason.parameters == {
        "signer": "Ana María Rojas",
        "principal": "Carlos Méndez",
        "position": "Viceministro",
    }
    assert signature.reasons == (
        "signed by Ana María Rojas as stand-in for Carlos Méndez (Viceministro)",
    )
    embedded = PdfFileReader(io.BytesIO(signed.read_bytes())).embedded_signatures[0]
    assert StandIn.claimed_in(embedded.signer_info["signed_attrs"]) == StandIn(
        "Carlos Méndez", "Viceministro"
    )


def test_a_stand_in_without_a_position(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    request = SignatureRequest(Level.B_B, stand_in_for=StandIn("Carlos Méndez"))
    signed = _signed(official, unsigned, tmp_path / "s.pdf", request)
    (signature,) = verify(signed, VerificationPolicy([root_der(pki)])).report.signatures
    assert signature.reasons == ("signed by Ana María Rojas as stand-in for Carlos Méndez",)


def test_the_sentence_alone_is_no_stand_in(
    pki: DevPki, official: OfficialCertificate, unsigned: Path, tmp_path: Path
) -> None:
    """How documents signed before the claimed role read: the sentence is only words."""
    signed = _signed(
        official, unsigned, tmp_path / "s.pdf", SignatureRequest(Level.B_B, reason=SENTENCE)
    )
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid"
    assert report.signatures[0].reason_details == ()


def test_other_roles_and_malformed_claims_are_no_stand_in() -> None:
    role = StandIn("Carlos Méndez", "Viceministro").attribute()
    other = cms.AttCertAttribute(
        {
            "type": "role",
            "values": [
                cms.RoleSyntax(
                    {
                        "role_name": asn1_x509.GeneralName(
                            name="uniform_resource_identifier", value="urn:example:auditor"
                        )
                    }
                )
            ],
        }
    )

    def attrs(*claimed: cms.AttCertAttribute) -> cms.CMSAttributes:
        value = SignerAttributesV2({"claimed_attributes": list(claimed)})
        built = cms.CMSAttributes(
            [cms.CMSAttribute({"type": "signer_attributes_v2", "values": [value]})]
        )
        return cms.CMSAttributes.load(built.dump())

    assert StandIn.claimed_in(attrs(role)) == StandIn("Carlos Méndez", "Viceministro")
    assert StandIn.claimed_in(attrs(other)) is None
    assert StandIn.claimed_in(cms.CMSAttributes([])) is None
