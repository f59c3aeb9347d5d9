"""PAdES signing with a key that stays on a PKCS#11 token, on a real SoftHSM2 token: our
report and poppler's pdfsig both accept the signature, and the key is never readable."""

from __future__ import annotations

from pathlib import Path

import pkcs11
import pytest
from pkcs11 import Attribute, ObjectClass

from signing import KeyNotFound, SigningError, TokenError, TokenNotFound, WrongPin
from signing.dev_pki import DevPki, OfficialCertificate
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file
from signing.pkcs11 import open_pkcs11_key
from signing.verification import VerificationPolicy, verify
from tests.harness.softhsm import TokenKey, shared_softhsm
from tests.support.pdfsig import pdfsig_output, requires_pdfsig
from tests.support.pki import OFFICIAL_NAME, PIN, material, root_der, root_pem

TOKEN_PIN = "135790"
NAME = OFFICIAL_NAME


@pytest.fixture(scope="module")
def token(official: OfficialCertificate) -> TokenKey:
    """The minister's key, moved onto the token; her PKCS#12 opens with ``PIN``."""
    return shared_softhsm().add_official(official.pkcs12, PIN, key_label="ministra", pin=TOKEN_PIN)


def _sign(
    token: TokenKey,
    pki: DevPki,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    signed: Path,
    level: Level,
) -> None:
    with open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin) as key:
        assert NAME in key.subject
        sign_file(unsigned, signed, key, SignatureRequest(level), timestamper, material(pki))


@pytest.mark.parametrize("level", [Level.B_B, Level.B_LT])
def test_token_signature_verifies_valid(
    pki: DevPki,
    token: TokenKey,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    _sign(token, pki, timestamper, unsigned, signed, level)
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert signature.level == level.value
    assert signature.intact and signature.trusted and not signature.revoked
    assert NAME in signature.signer.name
    assert (signature.timestamp_time is not None) == (level is Level.B_LT)


@requires_pdfsig
@pytest.mark.parametrize("level", [Level.B_B, Level.B_LT])
def test_pdfsig_agrees(
    pki: DevPki,
    token: TokenKey,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    _sign(token, pki, timestamper, unsigned, signed, level)
    out = pdfsig_output(signed, root_pem(pki, tmp_path / "root.pem"), tmp_path)
    assert "Signature is Valid." in out, out
    assert "Certificate is Trusted." in out, out
    assert NAME in out


def test_wrong_pin(token: TokenKey) -> None:
    with (
        pytest.raises(WrongPin, match="PIN"),
        open_pkcs11_key(token.lib, token.token_label, token.key_label, "000000"),
    ):
        pytest.fail("a wrong PIN opened the token")
    # The token still opens with the right one afterwards.
    with open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin) as key:
        assert NAME in key.subject


def test_unknown_key_and_token_are_named(token: TokenKey) -> None:
    with (
        pytest.raises(KeyNotFound, match="no signing key labelled 'nadie'"),
        open_pkcs11_key(token.lib, token.token_label, "nadie", token.pin),
    ):
        pytest.fail("an unknown key label opened")
    with (
        pytest.raises(TokenNotFound, match="no token labelled 'otro-token'"),
        open_pkcs11_key(token.lib, "otro-token", token.key_label, token.pin),
    ):
        pytest.fail("an unknown token opened")
    assert issubclass(TokenNotFound, SigningError) and issubclass(KeyNotFound, SigningError)


def test_a_module_that_does_not_load_is_a_token_error(token: TokenKey, tmp_path: Path) -> None:
    not_a_library = tmp_path / "libnothing.so"
    not_a_library.write_bytes(b"not a shared object")
    with (
        pytest.raises(TokenError, match="cannot load the PKCS#11 module"),
        open_pkcs11_key(not_a_library, token.token_label, token.key_label, token.pin),
    ):
        pytest.fail("a non-library loaded")


def test_the_session_ends_with_the_block(
    pki: DevPki, token: TokenKey, unsigned: Path, tmp_path: Path
) -> None:
    with open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin) as key:
        pass
    # The login ended with the block: the same key can no longer sign.
    with pytest.raises(TokenError):
        sign_file(unsigned, tmp_path / "late.pdf", key, SignatureRequest(Level.B_B))
    # And the token can be opened again, which a leaked login would refuse.
    with open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin):
        pass


def test_nested_use_of_one_token_is_refused_clearly(token: TokenKey) -> None:
    with (
        open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin),
        pytest.raises(TokenError, match="already open"),
        open_pkcs11_key(token.lib, token.token_label, token.key_label, token.pin),
    ):
        pytest.fail("a second login on the same token succeeded")


def test_the_private_key_never_leaves_the_token(token: TokenKey) -> None:
    lib = pkcs11.lib(str(token.lib))
    with lib.get_token(token_label=token.token_label).open(user_pin=token.pin) as session:
        (private,) = session.get_objects(
            {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.LABEL: token.key_label}
        )
        assert private[Attribute.SENSITIVE] is True
        assert private[Attribute.EXTRACTABLE] is False
        assert private[Attribute.PRIVATE] is True
        # The token refuses to hand out the secret parts of the key, even when logged in.
        for secret in (Attribute.PRIVATE_EXPONENT, Attribute.PRIME_1, Attribute.PRIME_2):
            with pytest.raises(pkcs11.exceptions.AttributeSensitive):
                private[secret]
