"""The TSA's tokens are accepted by `openssl ts -verify`; bad requests are rejected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography.hazmat.primitives.serialization import Encoding

from signing.dev_pki import DevPki
from signing.tsa import TsaConfig, timestamp_response
from tests.signing.support import POLICY, root_pem, tsa


@pytest.fixture(scope="module")
def config(pki: DevPki) -> TsaConfig:
    return tsa(pki)


def _status(response_der: bytes) -> tsp.PKIStatusInfo:
    """The status of any TimeStampResp, including a rejection without a token (which
    asn1crypto's TimeStampResp refuses to parse)."""
    outer = core.load(response_der)
    return tsp.PKIStatusInfo.load(outer[0].dump())


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)


def _query(tmp_path: Path, *options: str) -> Path:
    data = tmp_path / "document.pdf"
    data.write_bytes(b"%PDF-1.7 contenido de prueba")
    query = tmp_path / "request.tsq"
    result = _openssl("ts", "-query", "-data", str(data), *options, "-out", str(query))
    assert result.returncode == 0, result.stderr
    return query


@pytest.mark.parametrize("digest", ["-sha256", "-sha512"])
def test_openssl_verifies_the_token(
    pki: DevPki, config: TsaConfig, tmp_path: Path, digest: str
) -> None:
    query = _query(tmp_path, digest, "-cert")
    response = tmp_path / "response.tsr"
    response.write_bytes(timestamp_response(config, query.read_bytes()))
    root = root_pem(pki, tmp_path / "root.pem")
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        pki.issuing.certificate.public_bytes(Encoding.PEM)
        + pki.tsa.certificate.public_bytes(Encoding.PEM)
    )
    verified = _openssl(
        "ts",
        "-verify",
        "-in",
        str(response),
        "-queryfile",
        str(query),
        "-CAfile",
        str(root),
        "-untrusted",
        str(chain),
    )
    assert "Verification: OK" in verified.stdout, verified.stdout + verified.stderr
    text = _openssl("ts", "-reply", "-in", str(response), "-text").stdout
    assert f"Policy OID: {POLICY}" in text
    assert "Nonce: 0x" in text


def test_certificates_only_on_request(config: TsaConfig, tmp_path: Path) -> None:
    without = tsp.TimeStampResp.load(
        timestamp_response(config, _query(tmp_path, "-sha256").read_bytes())
    )
    signed = without["time_stamp_token"]["content"]
    assert signed["certificates"].native is None
    with_certs = tsp.TimeStampResp.load(
        timestamp_response(config, _query(tmp_path, "-sha256", "-cert").read_bytes())
    )
    assert len(with_certs["time_stamp_token"]["content"]["certificates"]) == 3


@pytest.mark.parametrize(
    ("request_bytes", "failure"),
    [
        (b"not DER at all", "bad_data_format"),
        (b"", "bad_data_format"),
    ],
)
def test_garbage_is_rejected_not_raised(
    config: TsaConfig, request_bytes: bytes, failure: str
) -> None:
    status = _status(timestamp_response(config, request_bytes))
    assert status["status"].native == "rejection"
    assert failure in status["fail_info"].native


def test_sha1_and_foreign_policies_are_rejected(config: TsaConfig, tmp_path: Path) -> None:
    sha1 = _status(timestamp_response(config, _query(tmp_path, "-sha1").read_bytes()))
    assert sha1["status"].native == "rejection"
    assert "bad_alg" in sha1["fail_info"].native
    foreign = _query(tmp_path, "-sha256", "-tspolicy", "1.2.3.4")
    assert (
        "unaccepted_policy"
        in _status(timestamp_response(config, foreign.read_bytes()))["fail_info"].native
    )
