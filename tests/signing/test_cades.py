"""CAdES signatures over records (transfer notes, receipts): valid offline with our checker
and with ``openssl cms -verify``; a changed record, a foreign root and garbage are told apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import rfc8785

from signing import SigningError
from signing.cades import sign_record, verify_record
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki
from signing.pades import LocalTimeStamper, unlock_pkcs12
from tests.support.pki import PIN, root_der, root_pem

RECORD = bytes(
    rfc8785.dumps(
        {
            "kind": "transfer",
            "from": "DAJ",
            "to": "DRH",
            "purpose": "action",
            "instructions": "Remitir el expediente laboral en cinco días hábiles.",
            "deadline": "2026-12-04",
        }
    )
)


@pytest.fixture(scope="module")
def stranger() -> DevPki:
    return create_dev_pki("Otra institución", PkiUrls("http://127.0.0.1:9"))


@pytest.mark.parametrize("timestamped", [False, True])
def test_a_signed_record_verifies_and_a_changed_one_does_not(
    pki: DevPki,
    official: OfficialCertificate,
    timestamper: LocalTimeStamper,
    timestamped: bool,
    stranger: DevPki,
    tmp_path: Path,
) -> None:
    key = unlock_pkcs12(official.pkcs12, PIN)
    signature = sign_record(RECORD, key, timestamper if timestamped else None)
    check = verify_record(RECORD, signature, [root_der(pki)])
    assert check.verdict == "valid", check
    assert check.signer_name == "Ana María Rojas"
    assert (check.timestamp_time is not None) == timestamped

    changed = verify_record(RECORD.replace(b"cinco", b"diez"), signature, [root_der(pki)])
    assert changed.verdict == "invalid" and "changed" in changed.reasons[0]
    foreign = verify_record(RECORD, signature, [root_der(stranger)])
    assert foreign.verdict == "indeterminate"
    with pytest.raises(SigningError):
        verify_record(RECORD, b"not a signature", [root_der(pki)])

    # An independent implementation agrees: OpenSSL's CMS verifier.
    (tmp_path / "record.json").write_bytes(RECORD)
    (tmp_path / "record.p7s").write_bytes(signature)
    verified = subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(tmp_path / "record.p7s"),
            "-content", str(tmp_path / "record.json"),
            "-CAfile", str(root_pem(pki, tmp_path / "root.pem")),
            "-purpose", "any", "-out", "/dev/null",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert "Verification successful" in verified.stderr
