"""Make PDFs signed by other tools than docsvc, to show that public verification accepts
them: pyHanko's own command line (``pyhanko sign addsig``) and endesive, an independent
implementation. Run by hand, outside the project's environment (the files are committed):

    python3 -m venv /tmp/third-party
    /tmp/third-party/bin/pip install endesive==3.0.1 "pypdf>=5,<6" pyhanko-cli==0.6.0
    /tmp/third-party/bin/python tests/data/make_third_party_signed.py

It makes a small CA and a signer with ``cryptography``, writes ``third_party/root.pem`` (the
trust anchor the tests give), and signs ``signed/unsigned_resolution.pdf`` with each tool.

endesive's dependency oscrypto 1.3.0 cannot parse the version string of OpenSSL 3.0.19
("3.0.1" followed by a digit is not matched by its ``\\d\\.\\d\\.\\d[a-z]*`` pattern) and
refuses to import; the pattern is made to accept a multi-digit patch number while it loads.
endesive 3.0.1 also needs pypdf 5 (it writes through APIs that pypdf 4 lacks and 6 removed).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

HERE = Path(__file__).parent
OUT = HERE / "third_party"
SOURCE = HERE / "signed" / "unsigned_resolution.pdf"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Otra institución de prueba"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pki() -> tuple[rsa.RSAPrivateKey, x509.Certificate, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("CA raíz de terceros"))
        .issuer_name(_name("CA raíz de terceros"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signer = (
        x509.CertificateBuilder()
        .subject_name(_name("Firmante de terceros"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, signer, ca


def _with_pyhanko_cli(key_pem: Path, cert_pem: Path, chain_pem: Path, target: Path) -> None:
    tool = shutil.which("pyhanko", path=str(Path(sys.executable).parent))
    if tool is None:
        raise SystemExit("pyhanko-cli is not installed next to this Python")
    subprocess.run(
        [tool, "sign", "addsig", "--field", "Firma1", "pemder", "--key", str(key_pem),
         "--cert", str(cert_pem), "--chain", str(chain_pem), "--no-pass",
         str(SOURCE), str(target)],
        check=True,
    )  # fmt: skip


def _with_endesive(
    key: rsa.RSAPrivateKey, cert: x509.Certificate, ca: x509.Certificate, target: Path
) -> None:
    search = re.search
    old = "\\b(\\d\\.\\d\\.\\d[a-z]*)\\b"

    def tolerant(
        pattern: str, string: str, *args: object, **kwargs: object
    ) -> re.Match[str] | None:
        if pattern == old:
            pattern = "\\b(\\d\\.\\d\\.\\d+[a-z]*)\\b"
        return search(pattern, string, *args, **kwargs)  # type: ignore[arg-type]

    re.search = tolerant  # type: ignore[assignment]
    try:
        from endesive.pdf import cms  # type: ignore[import-not-found]
    finally:
        re.search = search
    data = SOURCE.read_bytes()
    signed = cms.sign(
        data,
        {
            "sigflags": 3,
            "contact": "firmante@terceros.example",
            "location": "Quito",
            "signingdate": dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode(),
            "reason": "Firmado con endesive",
        },
        key,
        cert,
        [ca],
        "sha256",
    )
    target.write_bytes(data + signed)


def main() -> None:
    OUT.mkdir(exist_ok=True)
    key, signer, ca = _pki()
    (OUT / "root.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        key_pem = work / "key.pem"
        key_pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_pem = work / "cert.pem"
        cert_pem.write_bytes(signer.public_bytes(serialization.Encoding.PEM))
        chain_pem = work / "chain.pem"
        chain_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        _with_pyhanko_cli(key_pem, cert_pem, chain_pem, OUT / "signed_by_pyhanko_cli.pdf")
    _with_endesive(key, signer, ca, OUT / "signed_by_endesive.pdf")
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


if __name__ == "__main__":
    main()
