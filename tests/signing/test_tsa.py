"""The TSA's tokens are accepted by `openssl ts -verify`; bad requests are rejected."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from signing.dev_pki import DevPki
from signing.tsa import TsaConfig, timestamp_response
from tests.support.pki import POLICY, root_pem, tsa


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


def _reference_response(
    config: TsaConfig, request: tsp.TimeStampReq, serial: int, gen_time: dt.datetime
) -> bytes:
    """The same token built the plain way, with asn1crypto from dictionaries (as docsvc
    did before its DER template)."""
    cert_der = config.identity.certificate.public_bytes(Encoding.DER)
    tsa_cert = asn1_x509.Certificate.load(cert_der)
    tst_info: dict[str, object] = {
        "version": "v1",
        "policy": config.policy,
        "message_imprint": request["message_imprint"],
        "serial_number": serial,
        "gen_time": gen_time,
        "accuracy": {"seconds": config.accuracy_seconds},
        "ordering": False,
        "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject),
    }
    if request["nonce"].native is not None:
        tst_info["nonce"] = request["nonce"].native
    content = tsp.TSTInfo(tst_info).dump()
    ess = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "cert_hash": hashlib.sha256(cert_der).digest(),
                    "issuer_serial": {
                        "issuer": [
                            asn1_x509.GeneralName(name="directory_name", value=tsa_cert.issuer)
                        ],
                        "serial_number": tsa_cert.serial_number,
                    },
                }
            ]
        }
    )
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(gen_time)})]}
            ),
            cms.CMSAttribute(
                {"type": "message_digest", "values": [hashlib.sha256(content).digest()]}
            ),
            cms.CMSAttribute({"type": "signing_certificate_v2", "values": [ess]}),
        ]
    )
    key = config.identity.key
    signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
    signer = {
        "version": "v1",
        "sid": cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": tsa_cert.issuer,
                    "serial_number": tsa_cert.serial_number,
                }
            }
        ),
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": signed_attrs,
        "signature_algorithm": {"algorithm": "sha256_rsa"},
        "signature": signature,
    }
    signed_data: dict[str, object] = {
        "version": "v3",
        "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {
            "content_type": "tst_info",
            "content": cms.ParsableOctetString(content),
        },
        "signer_infos": [signer],
    }
    if request["cert_req"].native:
        signed_data["certificates"] = [tsa_cert, *config.chain]
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
    response: bytes = tsp.TimeStampResp(
        {"status": {"status": "granted"}, "time_stamp_token": token}
    ).dump()
    return response


@pytest.mark.parametrize("nonce", [None, 0, 255, -5, 12345678901234567890])
@pytest.mark.parametrize("cert_req", [True, False])
@pytest.mark.parametrize("microsecond", [0, 120000, 123456])
def test_the_der_template_writes_the_same_bytes_as_asn1crypto(
    config: TsaConfig,
    monkeypatch: pytest.MonkeyPatch,
    nonce: int | None,
    cert_req: bool,
    microsecond: int,
) -> None:
    """Tokens are written from a per-TSA DER template (about 3 ms instead of 19): byte for
    byte what asn1crypto writes, sorted SETs and all, RSA PKCS#1 v1.5 being deterministic."""
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": {
            "hash_algorithm": {"algorithm": "sha384"},
            "hashed_message": hashlib.sha384(b"documento").digest(),
        },
        "cert_req": cert_req,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    request = tsp.TimeStampReq(fields)
    serial = 0x81 << 120
    monkeypatch.setattr(secrets, "token_bytes", lambda n: serial.to_bytes(n, "big"))
    gen_time = dt.datetime(2026, 11, 29, 14, 0, 7, microsecond, tzinfo=dt.UTC)
    ours = timestamp_response(config, request.dump(), gen_time)
    assert ours == _reference_response(config, request, serial, gen_time)
