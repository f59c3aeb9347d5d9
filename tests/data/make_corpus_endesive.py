"""Make the endesive part of tests/data/corpus/ (see make_corpus.py for the rest). Run by hand,
outside the project's environment, from the project root:

    python3 -m venv /tmp/third-party
    /tmp/third-party/bin/pip install endesive==3.0.1 "pypdf>=5,<6" fonttools
    /tmp/third-party/bin/python tests/data/make_corpus_endesive.py
    .venv/bin/python tests/data/make_corpus.py --record

It makes its own throwaway PKI with ``cryptography`` (a root, an intermediate, RSA and ECDSA
signers and a timestamp authority, all backdated three days, the root living sixty years and
the rest fifty), writes only the root's certificate (``corpus/endesive_root.pem``), signs
small one-page documents with endesive 3.0.1 and merges the ``endesive_*`` entries into
``corpus/expected.json``; ``make_corpus.py --record`` then records what docsvc says of them.

The timestamp authority is ``openssl ts -reply`` behind a small HTTP server on 127.0.0.1,
since endesive only asks a TSA over HTTP. One file is first signed by poppler's ``pdfsig``
(with an NSS database made here by ``certutil`` and ``pk12util``), then by endesive; pdfsig
embeds whatever font fontconfig finds for its field (760 KB), so it is offered only a tiny
TrueType font made with fontTools.

Two things endesive 3.0.1 gets wrong, as kept in the corpus or left out of it:
- with an ECDSA key it writes the SignerInfo's signatureAlgorithm as rsaEncryption (the
  signature value itself is a good ECDSA signature): endesive_ecdsa_p256.pdf is expected
  indeterminate, see its entry;
- on a file whose cross-reference is a stream, its update writes /W and /Index as names
  (``/W [1#208#200#5D``), so the file cannot be read at all: no such file is kept.

endesive's dependency oscrypto 1.3.0 cannot parse the version string of OpenSSL 3.0.19
("3.0.1" followed by a digit is not matched by its ``\\d\\.\\d\\.\\d[a-z]*`` pattern) and
refuses to import; the pattern is made to accept a multi-digit patch number while it loads
(as tests/data/make_third_party_signed.py does). endesive 3.0.1 needs pypdf 5.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).parent
OUT = HERE / "corpus"
EXPECTED = OUT / "expected.json"
PRODUCER = "endesive 3.0.1"
ANCHOR = ["endesive_root.pem"]
YEAR = dt.timedelta(days=365)
NSS_PASSWORD = "corpus-nss"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def load_endesive() -> ModuleType:
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
    return cms  # type: ignore[no-any-return]


class Party:
    def __init__(
        self,
        work: Path,
        slug: str,
        common_name: str,
        issuer: Party | None,
        *,
        ec_key: bool = False,
        usage: str = "sign",
        key_size: int = 2048,
    ) -> None:
        now = dt.datetime.now(dt.UTC)
        self.key: PrivateKey = (
            ec.generate_private_key(ec.SECP256R1())
            if ec_key
            else rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        )
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Corpus endesive"),
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            ]
        )
        start = now - dt.timedelta(days=3)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + (60 if issuer is None else 50) * YEAR)
            .add_extension(x509.BasicConstraints(ca=usage == "ca", path_length=None), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), False)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=usage != "ca",
                    content_commitment=usage == "sign",
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=usage == "ca",
                    crl_sign=usage == "ca",
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        )
        if usage == "tsa":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                False,
            )
        self.cert = builder.sign(issuer.key if issuer else self.key, hashes.SHA256())
        self.chain: list[x509.Certificate] = [issuer.cert, *issuer.chain] if issuer else []
        self.key_pem = work / f"{slug}.key.pem"
        self.key_pem.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.cert_pem = work / f"{slug}.pem"
        self.cert_pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))


def run(args: Sequence[str | Path], env: dict[str, str] | None = None) -> bytes:
    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, check=False)
    if done.returncode != 0:
        said = (done.stderr + done.stdout).decode(errors="replace")
        raise RuntimeError(f"{args[0]} failed: {said}")
    return done.stdout


class LocalTsa:
    """``openssl ts -reply`` answering RFC 3161 requests over HTTP on 127.0.0.1."""

    def __init__(self, work: Path, party: Party) -> None:
        self.work = work / "tsa"
        self.work.mkdir()
        (self.work / "serial").write_text("01\n")
        chain = self.work / "chain.pem"
        chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in party.chain))
        self.config = self.work / "ts.cnf"
        self.config.write_text(
            "[ tsa ]\ndefault_tsa = corpus_tsa\n[ corpus_tsa ]\n"
            f"serial = {self.work / 'serial'}\ncrypto_device = builtin\n"
            f"signer_cert = {party.cert_pem}\ncerts = {chain}\nsigner_key = {party.key_pem}\n"
            "signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.55555.7.2\n"
            "digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = yes\n"
            "tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n"
        )
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = tsa.reply(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reply(self, query: bytes) -> bytes:
        (self.work / "query.tsq").write_bytes(query)
        run(["openssl", "ts", "-reply", "-config", self.config, "-queryfile",
             self.work / "query.tsq", "-out", self.work / "reply.tsr"])  # fmt: skip
        return (self.work / "reply.tsr").read_bytes()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def base_pdf(title: str, *, poppler_font: bool = False) -> bytes:
    """A one-page document with a classic xref table. With ``poppler_font`` its AcroForm
    /DR has the font pdfsig 22.12 adds when it signs (popplerfont, /BaseFont "Helvetica "),
    so that pdfsig reuses it rather than embedding a whole font (400 KB). The AcroForm is
    indirect: pdfsig 22.12 leaves its new field out of a direct one's /Fields."""
    text = b"BT /F1 14 Tf 72 770 Td 18 TL (" + title.encode("cp1252") + b") ' "
    text += b"(Documento del corpus de segunda opinion, firmado con endesive.) ' ET"
    stream = zlib.compress(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R" + (b" /AcroForm 8 0 R" if poppler_font else b"") + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R "
        b">> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + title.encode("cp1252") + b") /Producer (make_corpus_endesive.py) >>",
    ]
    if poppler_font:
        objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica#20 >>")
        objects.append(b"<< /Fields [] /DR << /Font << /popplerfont 7 0 R >> >> >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    doc_id = hashlib.md5(title.encode()).hexdigest().encode()  # noqa: S324 - a file ID
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R /ID [<%s><%s>] >>\n" % (
        len(objects) + 1,
        doc_id,
        doc_id,
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def tiny_font(path: Path) -> None:
    """Three glyphs, enough for pdfsig's empty appearance (as in make_corpus.py)."""
    from fontTools.fontBuilder import FontBuilder  # type: ignore[import-untyped]
    from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]

    def box() -> object:
        pen = TTGlyphPen(None)
        pen.moveTo((50, 0))
        pen.lineTo((50, 700))
        pen.lineTo((450, 700))
        pen.lineTo((450, 0))
        pen.closePath()
        return pen.glyph()

    names = [".notdef", "space", "box"]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({32: "space"} | dict.fromkeys(range(33, 127), "box"))
    builder.setupGlyf({".notdef": box(), "space": TTGlyphPen(None).glyph(), "box": box()})
    builder.setupHorizontalMetrics(dict.fromkeys(names, (500, 50)))
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Corpus Sans", "styleName": "Regular"})
    builder.setupOS2(sTypoAscender=800, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    builder.save(str(path))


def pdfsig_sign(work: Path, data: bytes, signer: Party, root: Party) -> bytes:
    """Sign with poppler's pdfsig from a throwaway NSS database."""
    nss = work / "nss"
    nss.mkdir()
    db = f"sql:{nss}"
    password = nss / "password.txt"
    password.write_text(NSS_PASSWORD + "\n")
    run(["certutil", "-N", "-d", db, "-f", password])
    run(["certutil", "-A", "-d", db, "-f", password, "-n", "raiz", "-t", "CT,C,C",
         "-i", root.cert_pem])  # fmt: skip
    p12 = nss / "signer.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"firmante",
            signer.key,
            signer.cert,
            signer.chain or None,
            serialization.BestAvailableEncryption(b"p12"),
        )
    )
    run(["pk12util", "-i", p12, "-d", db, "-k", password, "-W", "p12"])
    p12.unlink()
    fonts = nss / "fonts"
    fonts.mkdir()
    tiny_font(fonts / "CorpusSans.ttf")
    config = nss / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?>\n<fontconfig><dir>{fonts}</dir>'
        f"<cachedir>{nss / 'fc-cache'}</cachedir></fontconfig>\n"
    )
    src, dst = nss / "in.pdf", nss / "out.pdf"
    src.write_bytes(data)
    run(["pdfsig", "-nssdir", db, "-nss-pwd", NSS_PASSWORD, "-add-signature", "-nick",
         "firmante", "-kpw", NSS_PASSWORD, "-reason", "Primera firma (pdfsig)",
         "-new-signature-field-name", "FirmaPdfsig", src, dst],
        env={**os.environ, "FONTCONFIG_FILE": str(config)})  # fmt: skip
    return dst.read_bytes()


def details(field: str, reason: str, **extra: object) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    return {
        "sigflags": 3,
        "sigfield": field,
        "contact": "firmante@corpus.example",
        "location": "Quito",
        "signingdate": now.strftime("D:%Y%m%d%H%M%S+00'00'").encode(),
        "reason": reason,
        **extra,
    }


def entry(what: str, signatures: int = 1, level: str = "B-B", trust: Sequence[str] = ANCHOR,
          producer: str = PRODUCER, verdict: str = "valid") -> dict[str, object]:  # fmt: skip
    return {
        "producer": producer,
        "what": what,
        "trust": list(trust),
        "verdict": verdict,
        "signatures": signatures,
        "level": level,
        "warnings": [],
        "docsvc_today": "not recorded",
    }


def main() -> None:
    cms = load_endesive()
    OUT.mkdir(exist_ok=True)
    made: dict[str, dict[str, object]] = {}

    def emit(name: str, data: bytes, description: dict[str, object]) -> bytes:
        (OUT / name).write_bytes(data)
        made[name] = description
        return data

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = Party(work, "root", "Raíz endesive del corpus", None, usage="ca")
        inter = Party(work, "inter", "Intermedia endesive del corpus", root, usage="ca")
        rsa_signer = Party(work, "rsa", "Lucía Endesive (RSA)", root)
        rsa3072 = Party(work, "rsa3072", "Mario Endesive (RSA 3072)", root, key_size=3072)
        ec_signer = Party(work, "ec", "Nora Endesive (P-256)", root, ec_key=True)
        chained = Party(work, "chained", "Óscar Endesive (cadena)", inter)
        tsa = LocalTsa(work, Party(work, "tsa", "Sellado endesive", root, usage="tsa"))
        (OUT / "endesive_root.pem").write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))

        def sign(data: bytes, party: Party, md: str, udct: dict[str, object], **kw: Any) -> bytes:
            return data + cms.sign(data, udct, party.key, party.cert, party.chain, md, **kw)

        plain = base_pdf("Endesive 601")
        first = emit(
            "endesive_rsa_sha256.pdf",
            sign(plain, rsa_signer, "sha256", details("Signature1", "RSA SHA-256")),
            entry("endesive cms.sign, RSA 2048, SHA-256, invisible signature, "
                  "adbe.pkcs7.detached."),
        )  # fmt: skip
        emit(
            "endesive_rsa_sha512.pdf",
            sign(plain, rsa3072, "sha512", details("Signature1", "RSA SHA-512")),
            entry("endesive with RSA 3072 and SHA-512."),
        )
        emit(
            "endesive_ecdsa_p256.pdf",
            sign(plain, ec_signer, "sha256", details("Signature1", "ECDSA")),
            entry(
                "endesive with ECDSA P-256: endesive 3.0.1 labels the SignerInfo's "
                "signatureAlgorithm rsaEncryption although the value is an ECDSA signature "
                "(which does verify with the certificate's P-256 key, as openssl cms "
                "-verify finds). The signature cannot be checked with the algorithm it "
                "declares, so the verdict is indeterminate (ETSI "
                "CRYPTO_CONSTRAINTS_FAILURE, as pyHanko's policy check says), neither "
                "valid nor a proof of tampering. Its level is reported as none: a signature "
                "that cannot be checked has no PAdES level.",
                verdict="indeterminate",
                level="none",
            ),
        )
        emit(
            "endesive_rsa_pss.pdf",
            sign(plain, rsa_signer, "sha256", details("Signature1", "PSS", pss=True)),
            entry("endesive with RSASSA-PSS (pss=True), SHA-256."),
        )
        emit(
            "endesive_visible.pdf",
            sign(base_pdf("Endesive 602 (visible)"), rsa_signer, "sha256",
                 details("Signature1", "Visible", signaturebox=(350, 60, 560, 120),
                         signature="Firmado por Lucia Endesive")),
            entry("endesive visible signature (signaturebox with text appearance)."),
        )  # fmt: skip
        emit(
            "endesive_two_signatures.pdf",
            sign(first, rsa3072, "sha384", details("Signature2", "Segunda firma")),
            entry("endesive_rsa_sha256.pdf signed again by endesive (RSA 3072, SHA-384) in a "
                  "second "
                  "incremental update.", signatures=2),
        )  # fmt: skip
        by_pdfsig = pdfsig_sign(
            work, base_pdf("Endesive 603 (pdfsig antes)", poppler_font=True), rsa3072, root
        )
        emit(
            "endesive_over_pdfsig.pdf",
            sign(by_pdfsig, rsa_signer, "sha256", details("Signature2", "Sobre pdfsig")),
            entry("First signed by poppler's pdfsig (RSA 3072, NSS), then by endesive (RSA "
                  "2048) in a second update.", signatures=2,
                  producer="endesive 3.0.1 over pdfsig (poppler 22.12)"),
        )  # fmt: skip
        emit(
            "endesive_chain.pdf",
            sign(base_pdf("Endesive 604 (cadena)"), chained, "sha384",
                 details("Signature1", "Cadena")),
            entry("endesive with a signer under an intermediate CA, the intermediate and root "
                  "passed as othercerts; SHA-384."),
        )  # fmt: skip
        stamped = emit(
            "endesive_timestamped.pdf",
            sign(base_pdf("Endesive 605 (sello de tiempo)"), rsa_signer, "sha256",
                 details("Signature1", "Con sello de tiempo"), tspurl=tsa.url),
            entry("endesive with a signature timestamp from an RFC 3161 TSA (openssl ts over "
                  "HTTP on 127.0.0.1).", level="B-T"),
        )  # fmt: skip
        emit(
            "endesive_document_timestamp.pdf",
            stamped + cms.timestamp(
                stamped,
                {
                    "sigfield": "Timestamp1",
                    "sigflags": 3,
                    "signingdate": dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'"),
                },
                "sha256",
                tsa.url,
            ),
            entry("endesive_timestamped.pdf plus an endesive document timestamp "
                  "(cms.timestamp, ETSI.RFC3161); no DSS, so the signature stays B-T.",
                  level="B-T"),
        )  # fmt: skip
        emit(
            "endesive_certified.pdf",
            sign(base_pdf("Endesive 606 (certificado)"), rsa_signer, "sha256",
                 details("Signature1", "Certifico", sigandcertify=True)),
            entry("endesive certification signature (sigandcertify: /Perms /DocMDP, /P 3)."),
        )  # fmt: skip
        tsa.stop()

    files: dict[str, dict[str, object]] = {}
    if EXPECTED.exists():
        files = json.loads(EXPECTED.read_text())["files"]
    for name in [n for n in files if n.startswith("endesive_") and n not in made]:
        (OUT / name).unlink(missing_ok=True)
        del files[name]
    files.update(made)
    text = json.dumps({"files": dict(sorted(files.items()))}, indent=2, ensure_ascii=False)
    EXPECTED.write_text(text + "\n")
    print(f"wrote {len(made)} endesive files; now run: .venv/bin/python "
          "tests/data/make_corpus.py --record")  # fmt: skip


if __name__ == "__main__":
    main()
