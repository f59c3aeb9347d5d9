"""Two-step signing with a key the service never holds: the test plays the official's card,
signing ``to_be_signed`` with its own RSA key outside of pyHanko, between a prepare and a
finish that only share the JSON state (as two HTTP requests would)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from signing import SigningError
from signing.dev_pki import DevPki, PkiUrls, create_dev_pki, issue_official
from signing.external import (
    InvalidPreparedState,
    PreparationExpired,
    PreparedFileChanged,
    PreparedSignature,
    SignatureValueRejected,
    finish_external,
    prepare_external,
)
from signing.pades import Level, LocalTimeStamper, ValidationMaterial
from signing.verification import VerificationPolicy, verify
from tests.support.pdfsig import pdfsig_output, requires_pdfsig
from tests.support.pki import INSTITUTION, PIN, material, root_der, root_pem


class Card:
    """An official's smart card: a private key that signs and never leaves the test."""

    def __init__(self, key: rsa.RSAPrivateKey, chain: tuple[bytes, ...]) -> None:
        self._key = key
        self.chain = chain

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def sign_digest(self, digest: bytes) -> bytes:
        return self._key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def _card(pki: DevPki, full_name: str, username: str) -> Card:
    official = issue_official(
        pki,
        full_name=full_name,
        username=username,
        organisation=INSTITUTION,
        position="Viceministro",
        pin=PIN,
    )
    key, cert, extra = pkcs12.load_key_and_certificates(official.pkcs12, PIN.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and cert is not None
    chain = (cert.public_bytes(Encoding.DER), *(c.public_bytes(Encoding.DER) for c in extra))
    return Card(key, chain)


@pytest.fixture(scope="module")
def card(pki: DevPki) -> Card:
    return _card(pki, "Luis Alberto Pérez", "viceministro")


@pytest.fixture(scope="module")
def other_card(pki: DevPki) -> Card:
    return _card(pki, "Marta Gómez", "directora")


def _two_requests(
    source: Path,
    target: Path,
    card: Card,
    level: Level,
    timestamper: LocalTimeStamper,
    material: ValidationMaterial,
) -> PreparedSignature:
    """Prepare, store the state as JSON, let the card sign, load the state, finish."""
    prepared = target.with_name(target.stem + ".prepared.pdf")
    state = prepare_external(
        source, prepared, card.chain, level, reason="Aprobación", material=material
    )
    stored = state.to_json()
    signature_value = card.sign(state.to_be_signed)  # on the official's own computer
    finish_external(
        prepared,
        PreparedSignature.from_json(stored),
        signature_value,
        target,
        timestamper,
        material,
    )
    return state


@pytest.mark.parametrize("level", list(Level))
def test_a_card_signature_round_trip_verifies_valid(
    pki: DevPki,
    card: Card,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    state = _two_requests(unsigned, signed, card, level, timestamper, material(pki))
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert signature.field == state.field_name == "Firma1"
    assert signature.level == level.value
    assert signature.intact and signature.trusted and not signature.revoked
    assert "Luis Alberto Pérez" in signature.signer.name
    assert (signature.timestamp_time is not None) == (level is not Level.B_B)
    assert signature.covers_whole_document == (level in (Level.B_B, Level.B_T))
    # Only the temporary name was used on the way: no partial files are left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signed.pdf", "signed.prepared.pdf"]


def test_the_state_is_plain_json_and_survives_a_round_trip(
    card: Card, unsigned: Path, tmp_path: Path
) -> None:
    state = prepare_external(unsigned, tmp_path / "p.pdf", card.chain, Level.B_T)
    data = json.loads(state.to_json())
    assert data["level"] == "B-T" and data["mechanism"] == "sha256_rsa"
    assert data["signer_certificate_sha256"] == hashlib.sha256(card.chain[0]).hexdigest()
    again = PreparedSignature.from_json(state.to_json().encode())
    assert again == state
    assert again.to_be_signed_digest == hashlib.sha256(state.to_be_signed).digest()
    assert again.to_be_signed_digest_info.endswith(again.to_be_signed_digest)
    assert state.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)


def test_a_card_that_signs_the_digest_gives_the_same_valid_signature(
    pki: DevPki, card: Card, unsigned: Path, tmp_path: Path
) -> None:
    state = prepare_external(unsigned, tmp_path / "p.pdf", card.chain, Level.B_B)
    value = card.sign_digest(state.to_be_signed_digest)
    assert value == card.sign(state.to_be_signed)  # PKCS#1 v1.5 is deterministic
    finish_external(tmp_path / "p.pdf", state, value, tmp_path / "s.pdf")
    assert verify(tmp_path / "s.pdf", VerificationPolicy([root_der(pki)])).report.verdict == "valid"


def test_officials_sign_in_sequence_each_in_a_new_field(
    pki: DevPki,
    card: Card,
    other_card: Card,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
) -> None:
    validation = material(pki)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    _two_requests(unsigned, first, other_card, Level.B_LTA, timestamper, validation)
    state = _two_requests(first, second, card, Level.B_LTA, timestamper, validation)
    assert state.field_name == "Firma2"
    report = verify(second, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    assert [s.field for s in report.signatures] == ["Firma1", "Firma2"]
    assert [s.level for s in report.signatures] == ["B-LTA", "B-LTA"]


@pytest.mark.parametrize("signed_by", ["another key", "other data"])
def test_a_wrong_signature_value_is_refused_and_nothing_is_written(
    card: Card, other_card: Card, unsigned: Path, tmp_path: Path, signed_by: str
) -> None:
    prepared, target = tmp_path / "p.pdf", tmp_path / "s.pdf"
    state = prepare_external(unsigned, prepared, card.chain, Level.B_B)
    value = (
        other_card.sign(state.to_be_signed)
        if signed_by == "another key"
        else card.sign(state.to_be_signed + b"\x00")
    )
    with pytest.raises(SignatureValueRejected, match="does not verify"):
        finish_external(prepared, state, value, target)
    with pytest.raises(SignatureValueRejected):
        finish_external(prepared, state, b"\x00" * 384, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf"]


def test_a_signature_for_one_prepare_cannot_be_replayed_on_another(
    card: Card, unsigned: Path, tmp_path: Path
) -> None:
    one = prepare_external(unsigned, tmp_path / "one.pdf", card.chain, Level.B_B)
    two = prepare_external(unsigned, tmp_path / "two.pdf", card.chain, Level.B_B)
    # Same document, same second, same signer: the random /ID of each revision differs.
    assert one.to_be_signed != two.to_be_signed
    assert one.document_digest != two.document_digest
    with pytest.raises(SignatureValueRejected):
        finish_external(tmp_path / "two.pdf", two, card.sign(one.to_be_signed), tmp_path / "s.pdf")
    assert not (tmp_path / "s.pdf").exists()


@pytest.mark.parametrize("change", ["a byte", "an appended update"])
def test_a_prepared_file_changed_between_the_steps_is_refused(
    card: Card, unsigned: Path, tmp_path: Path, change: str
) -> None:
    prepared, target = tmp_path / "p.pdf", tmp_path / "s.pdf"
    state = prepare_external(unsigned, prepared, card.chain, Level.B_B, reason="Aprobación")
    data = bytearray(prepared.read_bytes())
    if change == "a byte":
        # Inside the signed range, outside the placeholder: what the card signed no longer
        # matches the document.
        position = data.index(b"stream\n") + 20
        assert not state.reserved_start <= position < state.reserved_end
        data[position] ^= 0x01
    else:
        data += b"\n% appended after prepare\n"
    prepared.write_bytes(bytes(data))
    with pytest.raises(PreparedFileChanged, match="changed between prepare and finish"):
        finish_external(prepared, state, card.sign(state.to_be_signed), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf"]


def test_an_expired_preparation_is_refused(card: Card, unsigned: Path, tmp_path: Path) -> None:
    prepared = tmp_path / "p.pdf"
    state = prepare_external(unsigned, prepared, card.chain, Level.B_B, ttl=dt.timedelta(minutes=5))
    value = card.sign(state.to_be_signed)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=6)
    with pytest.raises(PreparationExpired):
        finish_external(prepared, state, value, tmp_path / "s.pdf", now=later)
    assert not (tmp_path / "s.pdf").exists()


def test_a_damaged_or_inconsistent_state_is_refused(
    card: Card, other_card: Card, unsigned: Path, tmp_path: Path
) -> None:
    state = prepare_external(unsigned, tmp_path / "p.pdf", card.chain, Level.B_B)
    with pytest.raises(InvalidPreparedState):
        PreparedSignature.from_json("{not json")
    with pytest.raises(InvalidPreparedState):
        PreparedSignature.from_json(json.dumps({"format": "something else"}))
    data = json.loads(state.to_json())
    data["document_digest"] = json.loads(
        prepare_external(unsigned, tmp_path / "q.pdf", card.chain, Level.B_B).to_json()
    )["document_digest"]
    with pytest.raises(InvalidPreparedState, match="another document digest"):
        PreparedSignature.from_json(json.dumps(data))
    # Swapping in another official's certificate does not make their key acceptable.
    data = json.loads(state.to_json())
    data["signer_chain"][0] = json.loads(
        prepare_external(unsigned, tmp_path / "r.pdf", other_card.chain, Level.B_B).to_json()
    )["signer_chain"][0]
    with pytest.raises(InvalidPreparedState, match="another certificate"):
        PreparedSignature.from_json(json.dumps(data))


def test_prepare_refuses_what_finish_could_not_complete(
    pki: DevPki, card: Card, unsigned: Path, tmp_path: Path
) -> None:
    prepared = tmp_path / "p.pdf"
    with pytest.raises(SigningError, match="trust roots"):
        prepare_external(unsigned, prepared, card.chain, Level.B_LT)
    other = create_dev_pki("Otra institución", PkiUrls("http://127.0.0.1:9"))
    stranger = _card(other, "Persona Ajena", "ajena")
    with pytest.raises(SigningError, match="could not be validated"):
        prepare_external(unsigned, prepared, stranger.chain, Level.B_B, material=material(pki))
    with pytest.raises(SigningError, match="certificate"):
        prepare_external(unsigned, prepared, (), Level.B_B)
    state = prepare_external(unsigned, prepared, card.chain, Level.B_T)
    with pytest.raises(SigningError, match="timestamp authority"):
        finish_external(prepared, state, card.sign(state.to_be_signed), tmp_path / "s.pdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.pdf"]


@requires_pdfsig
@pytest.mark.parametrize("level", list(Level))
def test_pdfsig_agrees(
    pki: DevPki,
    card: Card,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    _two_requests(unsigned, signed, card, level, timestamper, material(pki))
    out = pdfsig_output(signed, root_pem(pki, tmp_path / "root.pem"), tmp_path)
    assert "Signature is Valid." in out, out
    assert "Certificate is Trusted." in out, out
    assert "Luis Alberto Pérez" in out
