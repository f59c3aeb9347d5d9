"""Make tests/data/corpus/: signed PDFs made by products other than docsvc and pyHanko's
signer, each with the verdict a correct verifier must give (a "second opinion" corpus).

Run from the project root, in the project's virtualenv:

    .venv/bin/python tests/data/make_corpus.py             # make this script's files, record
    .venv/bin/python tests/data/make_corpus.py --record    # only re-check every file
    .venv/bin/python tests/data/make_corpus.py --record --docsvc-source DIR  # docsvc from DIR

The endesive files come from tests/data/make_corpus_endesive.py, run by hand in its own
virtualenv (see its docstring); it merges its entries into expected.json. Run it before
this script, or run ``--record`` after it. Recording runs ``docsvc verify``, ``pdfsig`` and
pyHanko's own validation on every file of expected.json, writes what docsvc says into each
entry's ``docsvc_today`` and regenerates corpus/README.md from expected.json.

Needs poppler-utils (pdfsig), libnss3-tools (certutil, pk12util), openssl and qpdf from
Debian; pyHanko is used only to read the files it extends and to check the results. Each
run makes a new throwaway PKI with ``cryptography``; only certificates are written
(root_a.pem, root_b.pem, root_old.pem, self_signed.pem), never a private key. Every
certificate is backdated three days and lives fifty years (the CAs sixty), so that the
verdicts hold for decades; the "expired" ones come from root_old, backdated three years.

Groups (file name prefixes):
- ``pdfsig_``: poppler's ``pdfsig -add-signature`` or ``-sign FIELD`` with an NSS database
  (``-nssdir``, ``-nss-pwd``, ``-nick``, ``-kpw``, ``-digest``, ``-reason``), on files of other
  producers. pdfsig 22.12 signs with SHA-256 and RSA only (no other ``-digest``, no
  ``-etsi``, an ECDSA key fails), and embeds whatever font fontconfig offers it: it is
  offered only a tiny one made with fontTools, and most documents already carry the font
  it adds (see ``poppler_ready``).
- ``openssl_``: a PDF with a signature placeholder written by this script, the CMS made by
  ``openssl cms -sign -binary`` (detached by default; digests, RSA 2048/3072, RSA-PSS, P-256/
  P-384, ``-noattr``, ``-nocerts``, ``-cades``, ``-certfile``), both SubFilters.
- ``itext_``: the byte layouts iText 5/7 write (full rewrite with object streams and a
  cross-reference stream, compact syntax, fixed-width /ByteRange padded inside, /Prop_Build,
  widget /F 132, incremental updates with cross-reference streams); CMS from
  ``cryptography``'s PKCS#7 builder or openssl.
- ``adobe_``: the layouts Acrobat writes: CAdES with a signature timestamp (``openssl ts``
  as the TSA), DSS with /VRI and document timestamps in xref-table updates (B-LT, B-LTA),
  certification (DocMDP) then approval, a linearized file (qpdf) signed incrementally, a
  pre-made empty signature field filled in.
- ``lenient_``: deviations a verifier must read leniently, each on a file whose signatures
  are otherwise valid: document timestamps typed /Sig or untyped, LibreOffice's dangling
  /AdditionalStreams, dangling references in the DSS and in an unsigned font resource, a
  field name with a period, unusual cross-reference layouts, bytes after the last %%EOF,
  19-byte xref entries and a wrong stream /Length in the unsigned original.
- ``untrusted_``: one file per reason a chain is not trusted (self-signed, unknown issuer,
  expired, key usage, revoked); a signing time in the past comes from a CMS assembled with
  asn1crypto, since openssl always claims "now".
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from asn1crypto import cms as asn1_cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

HERE = Path(__file__).parent
OUT = HERE / "corpus"
ROOT = HERE.parent.parent
SOURCE = HERE / "signed" / "unsigned_resolution.pdf"
EXPECTED = OUT / "expected.json"
DAY = dt.timedelta(days=1)
YEAR = dt.timedelta(days=365)
BACKDATED = 3 * DAY
TSA_POLICY = "1.3.6.1.4.1.55555.7.1"
NSS_PASSWORD = "corpus-nss"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
KeyType = Literal["rsa2048", "rsa3072", "p256", "p384"]
Usage = Literal["ca", "sign", "keyenc", "tsa"]
Maker = Callable[[bytes], bytes]  # the bytes a signature covers -> DER CMS or token
HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def run(
    args: Sequence[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> bytes:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, check=False
    )
    if done.returncode != 0:
        said = (done.stderr + done.stdout).decode(errors="replace")
        raise RuntimeError(f"{args[0]} failed: {said}")
    return done.stdout


def pdf_date(moment: dt.datetime) -> bytes:
    return moment.astimezone(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'").encode()


# --- PKI ---------------------------------------------------------------------------------


@dataclass
class Party:
    """A key and its certificate; ``chain`` are the issuing CAs, nearest first."""

    slug: str
    key: PrivateKey
    cert: x509.Certificate
    key_pem: Path
    cert_pem: Path
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def new_key(kind: KeyType) -> PrivateKey:
    if kind == "rsa2048":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "rsa3072":
        return rsa.generate_private_key(public_exponent=65537, key_size=3072)
    return ec.generate_private_key(ec.SECP256R1() if kind == "p256" else ec.SECP384R1())


def name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EC"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Corpus de segunda opinión"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class Pki:
    def __init__(self, work: Path, now: dt.datetime) -> None:
        self.work = work
        self.now = now

    def party(
        self,
        slug: str,
        common_name: str,
        kind: KeyType,
        issuer: Party | None,
        *,
        usage: Usage = "sign",
        start: dt.datetime | None = None,
        lifetime: dt.timedelta = 50 * YEAR,
    ) -> Party:
        key = new_key(kind)
        not_before = start or self.now - BACKDATED
        subject = name(common_name)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.cert.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(x509.BasicConstraints(ca=usage == "ca", path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )
        signing = usage in ("sign", "tsa")
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=signing,
                content_commitment=usage == "sign",
                key_encipherment=usage == "keyenc",
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=usage == "ca",
                crl_sign=usage == "ca",
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        if usage == "tsa":
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
        signing_key = issuer.key if issuer else key
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                False,
            )
        cert = builder.sign(signing_key, hashes.SHA256())
        key_pem = self.work / f"{slug}.key.pem"
        key_pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        cert_pem = self.work / f"{slug}.pem"
        cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        chain = [issuer.cert, *issuer.chain] if issuer else []
        return Party(slug, key, cert, key_pem, cert_pem, chain)

    def pem_file(self, slug: str, certs: Sequence[x509.Certificate]) -> Path:
        path = self.work / f"{slug}.bundle.pem"
        path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
        return path


def make_crl(
    issuer: Party, revoked: Sequence[tuple[x509.Certificate, dt.datetime]], now: dt.datetime
) -> bytes:
    """A CRL that stays current for decades, so the verdicts do not age."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - dt.timedelta(minutes=5))
        .next_update(now + 49 * YEAR)
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for cert, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(when)
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    crl = builder.sign(issuer.key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER)


def make_ocsp(subject: Party, issuer: Party, now: dt.datetime) -> bytes:
    """A "good" OCSP response for ``subject``, signed by its CA itself."""
    response = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=subject.cert,
            issuer=issuer.cert,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(minutes=5),
            next_update=now + 49 * YEAR,
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, issuer.cert)
        .sign(issuer.key, hashes.SHA256())
    )
    return response.public_bytes(serialization.Encoding.DER)


# --- CMS makers ----------------------------------------------------------------------------


class OpensslCms:
    """``openssl cms -sign -binary -outform DER -detached`` over the covered bytes."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def maker(
        self,
        signer: Party,
        md: str = "sha256",
        *,
        options: Sequence[str] = (),
        certfile: Path | None = None,
        timestamp: Tsa | None = None,
    ) -> Maker:
        def make(content: bytes) -> bytes:
            data = self.work / "content.bin"
            data.write_bytes(content)
            args: list[str | Path] = [
                "openssl", "cms", "-sign", "-binary", "-outform", "DER",
                "-in", data, "-signer", signer.cert_pem, "-inkey", signer.key_pem, "-md", md,
            ]  # fmt: skip
            if certfile is not None:
                args += ["-certfile", certfile]
            args += list(options)
            der = run(args, cwd=self.work)
            return add_signature_timestamp(der, timestamp) if timestamp else der

        return make


def pkcs7_builder(signer: Party, md: str = "sha256", extra: Sequence[Party] = ()) -> Maker:
    """``cryptography``'s PKCS#7 builder (an OpenSSL PKCS7_sign underneath)."""

    def make(content: bytes) -> bytes:
        builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
        builder = builder.add_signer(signer.cert, signer.key, HASHES[md])  # type: ignore[arg-type]
        for other in extra:
            builder = builder.add_certificate(other.cert)
        return builder.sign(
            serialization.Encoding.DER,
            [
                pkcs7.PKCS7Options.DetachedSignature,
                pkcs7.PKCS7Options.Binary,
                pkcs7.PKCS7Options.NoCapabilities,
            ],
        )

    return make


def handmade_cms(
    signer: Party,
    signing_time: dt.datetime,
    md: str = "sha256",
    *,
    cades: bool = True,
    timestamp: Tsa | None = None,
) -> Maker:
    """A CMS assembled with asn1crypto and signed with ``cryptography``, for a signing time
    of our choosing (openssl always claims "now")."""

    def make(content: bytes) -> bytes:
        attrs = [
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [asn1_cms.Time({"utc_time": signing_time})]},
            {"type": "message_digest", "values": [hashlib.new(md, content).digest()]},
        ]
        if cades:
            attrs.append(
                {
                    "type": "signing_certificate_v2",
                    "values": [
                        {
                            "certs": [
                                {
                                    "hash_algorithm": {"algorithm": "sha256"},
                                    "cert_hash": hashlib.sha256(signer.cert_der).digest(),
                                }
                            ]
                        }
                    ],
                }
            )
        signed_attrs = asn1_cms.CMSAttributes(attrs)
        to_sign = signed_attrs.dump()
        algorithm = HASHES[md]
        if isinstance(signer.key, rsa.RSAPrivateKey):
            signature = signer.key.sign(to_sign, padding.PKCS1v15(), algorithm)
            sig_alg = "rsassa_pkcs1v15"
        else:
            signature = signer.key.sign(to_sign, ec.ECDSA(algorithm))
            sig_alg = f"{md}_ecdsa"
        cert = asn1_x509.Certificate.load(signer.cert_der)
        signer_info = asn1_cms.SignerInfo(
            {
                "version": "v1",
                "sid": asn1_cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": {
                            "issuer": cert.issuer,
                            "serial_number": cert.serial_number,
                        }
                    }
                ),
                "digest_algorithm": {"algorithm": md},
                "signed_attrs": signed_attrs,
                "signature_algorithm": {"algorithm": sig_alg},
                "signature": signature,
            }
        )
        certs = [cert] + [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in signer.chain
        ]
        signed_data = asn1_cms.SignedData(
            {
                "version": "v1",
                "digest_algorithms": [{"algorithm": md}],
                "encap_content_info": {"content_type": "data"},
                "certificates": certs,
                "signer_infos": [signer_info],
            }
        )
        der = asn1_cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()
        return add_signature_timestamp(der, timestamp) if timestamp else der

    return make


def add_signature_timestamp(der: bytes, tsa: Tsa) -> bytes:
    """Add a signature-time-stamp (unsigned attribute) over the signature value, leaving
    the signed attributes' bytes as they are."""
    info = asn1_cms.ContentInfo.load(der)
    signed_data = info["content"]
    signer_info = signed_data["signer_infos"][0]
    value = signer_info["signature"].native
    token = asn1_cms.ContentInfo.load(tsa.token(hashlib.sha256(value).digest()))
    signer_info["unsigned_attrs"] = asn1_cms.CMSAttributes(
        [{"type": "signature_time_stamp_token", "values": [token]}]
    )
    signed_data["signer_infos"] = asn1_cms.SignerInfos([signer_info])
    info["content"] = signed_data
    dumped: bytes = info.dump()
    return dumped


class Tsa:
    """An RFC 3161 authority: ``openssl ts -reply`` with a key and certificate of ours."""

    def __init__(self, work: Path, party: Party) -> None:
        self.work = work / f"tsa-{party.slug}"
        self.work.mkdir()
        self.party = party
        (self.work / "serial").write_text("01\n")
        chain = self.work / "chain.pem"
        chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in party.chain))
        (self.work / "ts.cnf").write_text(
            "[ tsa ]\n"
            "default_tsa = corpus_tsa\n"
            "[ corpus_tsa ]\n"
            f"serial = {self.work / 'serial'}\n"
            "crypto_device = builtin\n"
            f"signer_cert = {party.cert_pem}\n"
            f"certs = {chain}\n"
            f"signer_key = {party.key_pem}\n"
            "signer_digest = sha256\n"
            f"default_policy = {TSA_POLICY}\n"
            "digests = sha256, sha384, sha512\n"
            "accuracy = secs:1\n"
            "ordering = yes\n"
            "tsa_name = yes\n"
            "ess_cert_id_chain = no\n"
            "ess_cert_id_alg = sha256\n"
        )

    def token(self, digest: bytes, md: str = "sha256") -> bytes:
        query = self.work / "query.tsq"
        run(
            ["openssl", "ts", "-query", "-digest", digest.hex(), f"-{md}", "-cert",
             "-out", query],
            cwd=self.work,
        )  # fmt: skip
        token = self.work / "token.der"
        run(
            ["openssl", "ts", "-reply", "-config", self.work / "ts.cnf", "-queryfile", query,
             "-token_out", "-out", token],
            cwd=self.work,
        )  # fmt: skip
        return token.read_bytes()

    def document_maker(self) -> Maker:
        return lambda content: self.token(hashlib.sha256(content).digest())


# --- Writing PDF bytes by hand --------------------------------------------------------------

BR_PLACEHOLDER = b"[0 0000000000 0000000000 0000000000]"
XrefStyle = Literal["table", "stream"]
BrStyle = Literal["adobe", "itext", "zeros"]


def stream_object(
    entries: bytes, data: bytes, *, compress: bool = False, eol: bytes = b"\n"
) -> bytes:
    if compress:
        data = zlib.compress(data)
        entries += b" /Filter /FlateDecode"
    newline = b"\r\n" if eol == b"\r\n" else b"\n"  # never a lone CR after "stream"
    return (
        b"<< " + entries + b" /Length %d >>" % len(data) + eol + b"stream" + newline + data
        + eol + b"endstream"
    )  # fmt: skip


class PdfWriter:
    """Appends objects and cross-reference sections to a buffer, keeping their offsets."""

    def __init__(self, data: bytes = b"", *, eol: bytes = b"\n") -> None:
        self.buf = bytearray(data)
        self.eol = eol
        self.offsets: dict[int, int] = {}
        self.in_streams: dict[int, tuple[int, int]] = {}  # num -> (object stream, index)
        self.last_xref = 0

    def header(self, version: bytes = b"1.7") -> None:
        self.buf += b"%PDF-" + version + self.eol + b"%\xe2\xe3\xcf\xd3" + self.eol

    def add(self, num: int, body: bytes) -> None:
        self.offsets[num] = len(self.buf)
        eol = self.eol
        self.buf += b"%d 0 obj" % num + eol + body + eol + b"endobj" + eol

    def object_stream(self, num: int, members: dict[int, bytes]) -> None:
        header, bodies, at = [], b"", 0
        for index, (member, body) in enumerate(sorted(members.items())):
            header.append(b"%d %d" % (member, at))
            bodies += body + b"\n"
            at = len(bodies)
            self.in_streams[member] = (num, index)
        head = b" ".join(header) + b"\n"
        entries = b"/Type /ObjStm /N %d /First %d" % (len(members), len(head))
        self.add(num, stream_object(entries, head + bodies, compress=True, eol=self.eol))

    def _entries(self, free: dict[int, tuple[int, int]]) -> dict[int, bytes]:
        rows = {num: b"%010d 00000 n" % off for num, off in self.offsets.items()}
        rows.update({num: b"%010d %05d f" % link for num, link in free.items()})
        return rows

    def xref_table(
        self,
        trailer: bytes,
        *,
        free: dict[int, tuple[int, int]] | None = None,
        split: Sequence[int] = (),
        entry_end: bytes | None = None,
    ) -> None:
        """``free`` maps object numbers to (next free, generation); ``split`` lists object
        numbers that start a new subsection even where the numbers run on."""
        eol = self.eol
        end = entry_end or {b"\n": b" \n", b"\r": b" \r", b"\r\n": b"\r\n"}[eol]
        rows = self._entries(free or {})
        self.last_xref = len(self.buf)
        out = b"xref" + eol
        numbers = sorted(rows)
        runs: list[list[int]] = []
        for num in numbers:
            if runs and num == runs[-1][-1] + 1 and num not in split:
                runs[-1].append(num)
            else:
                runs.append([num])
        for group in runs:
            out += b"%d %d" % (group[0], len(group)) + eol
            out += b"".join(rows[n] + end for n in group)
        out += b"trailer" + eol + b"<< " + trailer + b" >>" + eol
        self.buf += out
        self._finish()

    def xref_stream(
        self,
        num: int,
        trailer: bytes,
        *,
        free: dict[int, tuple[int, int]] | None = None,
        compress: bool = True,
    ) -> None:
        self.offsets[num] = len(self.buf)
        types: dict[int, tuple[int, int, int]] = {n: (1, o, 0) for n, o in self.offsets.items()}
        types.update({n: (2, s, i) for n, (s, i) in self.in_streams.items()})
        types.update({n: (0, nxt, gen) for n, (nxt, gen) in (free or {}).items()})
        width = max(2, (max(v[1] for v in types.values()).bit_length() + 7) // 8)
        index: list[list[int]] = []
        data = b""
        for n in sorted(types):
            if index and index[-1][0] + index[-1][1] == n:
                index[-1][1] += 1
            else:
                index.append([n, 1])
            kind, a, b = types[n]
            data += bytes([kind]) + a.to_bytes(width, "big") + b.to_bytes(2, "big")
        index_text = b" ".join(b"%d %d" % (s, c) for s, c in index)
        entries = b"/Type /XRef /W [1 %d 2] /Index [%s] " % (width, index_text) + trailer
        del self.offsets[num]
        self.last_xref = len(self.buf)
        self.add(num, stream_object(entries, data, compress=compress, eol=self.eol))
        self._finish()

    def _finish(self) -> None:
        self.buf += (
            b"startxref" + self.eol + b"%d" % self.last_xref + self.eol + b"%%EOF" + self.eol
        )
        self.offsets = {}
        self.in_streams = {}


def fill_signature(buf: bytearray, start: int, make: Maker, style: BrStyle = "adobe") -> None:
    """Write the /ByteRange of the signature dictionary at ``start``, then its /Contents."""
    br_at = buf.index(BR_PLACEHOLDER, start)
    lt = buf.index(b"/Contents", start) + len(b"/Contents")
    lt = buf.index(b"<", lt)
    gt = buf.index(b">", lt) + 1
    ranges = (0, lt, gt, len(buf) - gt)
    width = len(BR_PLACEHOLDER)
    if style == "zeros":
        text = b"[0 %010d %010d %010d]" % ranges[1:]
    elif style == "itext":
        text = b"[0 %d %d %d" % ranges[1:]
        text += b" " * (width - len(text) - 1) + b"]"
    else:
        text = b"[0 %d %d %d]" % ranges[1:]
        text += b" " * (width - len(text))
    buf[br_at : br_at + width] = text
    der = make(bytes(buf[:lt]) + bytes(buf[gt:]))
    digits = der.hex().encode()
    if len(digits) > gt - lt - 2:
        raise ValueError(f"the CMS ({len(der)} bytes) does not fit in /Contents")
    buf[lt + 1 : lt + 1 + len(digits)] = digits


def last_startxref(data: bytes) -> int:
    found = re.findall(rb"startxref\s+(\d+)", data)
    return int(found[-1])


def serialize(obj: generic.PdfObject) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out, None)
    return out.getvalue()


def ref(num: int) -> bytes:
    return b"%d 0 R" % num


def pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def compact(body: bytes) -> bytes:
    """iText's spelling: no space before a name, array, dictionary or string."""
    return re.sub(rb"(?<=[^\s]) (?=[/\[<(])", b"", body)


@dataclass(frozen=True)
class Layout:
    """How a document's single revision is written."""

    eol: bytes = b"\n"
    xref: Literal["table", "stream", "objstm"] = "table"
    split: Sequence[int] = ()  # object numbers that open a new xref subsection
    free: dict[int, tuple[int, int]] | None = None
    version: bytes = b"1.7"
    compact: bool = False


def base_objects(
    title: str,
    lines: Sequence[str],
    *,
    producer: str,
    catalog_extra: bytes = b"",
    fonts_extra: bytes = b"",
    page_extra: bytes = b"",
    eol: bytes = b"\n",
) -> dict[int, bytes]:
    """A one-page document: 1 catalog, 2 pages, 3 page, 4 font, 5 content, 6 info."""
    text = b"BT /F1 14 Tf 72 770 Td 18 TL"
    for line in [title, "", *lines]:
        text += b" " + pdf_string(line) + b" '"
    text += b" ET"
    created = pdf_date(dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC))
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << "
        b"/F1 4 0 R" + fonts_extra + b" >> >> /Contents 5 0 R" + page_extra + b" >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        5: stream_object(b"", text, compress=True, eol=eol),
        6: b"<< /Title " + pdf_string(title) + b" /Producer " + pdf_string(producer)
        + b" /CreationDate (" + created + b") >>",
    }  # fmt: skip


def write_document(
    objects: dict[int, bytes], layout: Layout = Layout(), trailer_extra: bytes = b""
) -> bytes:
    w = PdfWriter(eol=layout.eol)
    w.header(layout.version)
    bodies = {n: compact(b) if layout.compact else b for n, b in objects.items()}
    top = max(bodies) + 1
    doc_id = hashlib.md5(b"".join(bodies.values())).hexdigest().encode()  # noqa: S324 - an ID
    ids = b"/ID [<%s><%s>]" % (doc_id, doc_id)
    if layout.xref == "table":
        for num, body in sorted(bodies.items()):
            w.add(num, body)
        free = {0: (0, 65535)} if layout.free is None else layout.free
        size = max(top, *(n + 1 for n in free))
        trailer = b"/Size %d /Root 1 0 R /Info 6 0 R " % size + ids + trailer_extra
        w.xref_table(trailer, free=free, split=layout.split)
        return bytes(w.buf)
    packed = {}
    for num, body in sorted(bodies.items()):
        if layout.xref == "objstm" and b"stream" not in body and b"/ByteRange" not in body:
            packed[num] = body
        else:
            w.add(num, body)
    if packed:
        w.object_stream(top, packed)
        top += 1
    trailer = b"/Size %d /Root 1 0 R /Info 6 0 R " % (top + 1) + ids + trailer_extra
    w.xref_stream(top, trailer, free={0: (0, 65535)})
    return bytes(w.buf)


def base_document(
    title: str,
    lines: Sequence[str] = (),
    *,
    producer: str = "Corpus base writer",
    layout: Layout = Layout(),
    trailer_extra: bytes = b"",
    more: dict[int, bytes] | None = None,
    **extras: bytes,
) -> bytes:
    """A one-page document; ``more`` adds objects from number 7 on."""
    objects = base_objects(
        title, lines or DEFAULT_LINES, producer=producer, eol=layout.eol, **extras
    )
    objects.update(more or {})
    return write_document(objects, layout, trailer_extra)


DEFAULT_LINES = (
    "Se aprueba el informe de la comision de prueba.",
    "Este documento forma parte del corpus de segunda opinion.",
    "Quito, a 15 de enero de 2026.",
)


class Update:
    """An incremental update written by hand: the objects it changes or adds, then a
    cross-reference section with /Prev."""

    def __init__(self, data: bytes, *, eol: bytes = b"\n") -> None:
        self.reader = PdfFileReader(io.BytesIO(data), strict=False)
        self.w = PdfWriter(data, eol=eol)
        trailer = self.reader.trailer
        self.next = int(trailer["/Size"])
        self.prev = last_startxref(data)
        self.root = trailer.raw_get("/Root").idnum
        self.keep = b""
        for key in ("/Info", "/ID"):
            try:
                value = trailer.raw_get(key)
            except KeyError:
                continue
            if key == "/ID":
                item = value[0]
                raw = item.original_bytes if hasattr(item, "original_bytes") else bytes(item)
                first = raw.hex().encode()
                second = hashlib.md5(data).hexdigest().encode()  # noqa: S324 - an ID
                value_bytes = b"[<%s><%s>]" % (first, second)
            else:
                value_bytes = serialize(value)
            self.keep += b" " + key.encode() + b" " + value_bytes

    def new(self) -> int:
        self.next += 1
        return self.next - 1

    def get(self, num: int) -> generic.DictionaryObject:
        obj = self.reader.get_object(generic.Reference(num, 0))
        assert isinstance(obj, generic.DictionaryObject)
        return generic.DictionaryObject(dict(obj))

    def indirect(self, num: int) -> generic.IndirectObject:
        return generic.IndirectObject(num, 0, self.reader)

    def put(self, num: int, body: bytes | generic.PdfObject) -> None:
        """Write an object; pyHanko's serialisation ends its lines with LF, made the
        update's end of line here (no string written this way holds a line break)."""
        if not isinstance(body, bytes):
            body = serialize(body).replace(b"\n", self.w.eol)
        self.w.add(num, body)

    def first_page(self) -> int:
        kids = self.reader.root["/Pages"]["/Kids"]
        return int(kids.raw_get(0).idnum)

    def close(
        self,
        xref: XrefStyle = "table",
        *,
        trailer_extra: bytes = b"",
        zero_entry: bool = True,
        split: Sequence[int] = (),
    ) -> bytes:
        free = {0: (0, 65535)} if zero_entry else {}
        if xref == "stream":
            num = self.new()
            trailer = b"/Size %d /Root %d 0 R /Prev %d" % (self.next, self.root, self.prev)
            self.w.xref_stream(num, trailer + self.keep + trailer_extra, free=free)
        else:
            trailer = b"/Size %d /Root %d 0 R /Prev %d" % (self.next, self.root, self.prev)
            self.w.xref_table(trailer + self.keep + trailer_extra, free=free, split=split)
        return bytes(self.w.buf)


@dataclass
class Sig:
    """One signature (or document timestamp) added in an incremental update."""

    make: Maker
    subfilter: bytes = b"/adbe.pkcs7.detached"
    field_name: str = "Signature1"
    type_entry: bytes | None = b"/Sig"
    extra: bytes = b""
    hex_len: int = 16384
    style: BrStyle = "adobe"
    compact: bool = False
    rect: bytes = b"[0 0 0 0]"
    # A visible signature: writes the form XObjects it needs, returns the /N one's number.
    appearance: Callable[[Update], int] | None = None
    docmdp: int | None = None
    existing_field: int | None = None
    xref: XrefStyle = "table"
    zero_entry: bool = True
    trailer_extra: bytes = b""
    eol: bytes = b"\n"


def timestamp_sig(tsa: Tsa, field_name: str, type_entry: bytes | None = b"/DocTimeStamp") -> Sig:
    return Sig(
        tsa.document_maker(),
        subfilter=b"/ETSI.RFC3161",
        field_name=field_name,
        type_entry=type_entry,
        hex_len=12288,
    )


def sig_dictionary(sig: Sig) -> bytes:
    parts = [b"/Type " + sig.type_entry] if sig.type_entry else []
    parts += [
        b"/Filter /Adobe.PPKLite",
        b"/SubFilter " + sig.subfilter,
        b"/ByteRange " + BR_PLACEHOLDER,
        b"/Contents <" + b"0" * sig.hex_len + b">",
    ]
    if sig.docmdp is not None:
        parts.append(
            b"/Reference [<< /Type /SigRef /TransformMethod /DocMDP /TransformParams "
            b"<< /Type /TransformParams /P %d /V /1.2 >> /DigestMethod /SHA256 >>]" % sig.docmdp
        )
    if sig.extra:
        parts.append(sig.extra)
    body = b"<< " + b" ".join(parts) + b" >>"
    return compact(body) if sig.compact else body


def sign_update(data: bytes, sig: Sig) -> bytes:
    u = Update(data, eol=sig.eol)
    root = u.get(u.root)
    root_changed = False
    sig_num = u.new()
    page_num = u.first_page()
    if sig.existing_field is not None:
        field_num = sig.existing_field
        widget = u.get(field_num)
        widget[generic.NameObject("/V")] = u.indirect(sig_num)
        field_body = serialize(widget)
    else:
        field_num = u.new()
        appearance = b""
        if sig.appearance is not None:
            appearance = b" /AP << /N %d 0 R >>" % sig.appearance(u)
        field_body = (
            b"<< /Type /Annot /Subtype /Widget /FT /Sig /T " + pdf_string(sig.field_name)
            + b" /V %d 0 R /F 132 /P %d 0 R /Rect " % (sig_num, page_num) + sig.rect
            + appearance + b" >>"
        )  # fmt: skip
    if sig.compact:
        field_body = compact(field_body)
    sig_at = len(u.w.buf)
    u.put(sig_num, sig_dictionary(sig))
    u.put(field_num, field_body)
    if sig.existing_field is None:
        page = u.get(page_num)
        annots = page.get("/Annots")
        page[generic.NameObject("/Annots")] = generic.ArrayObject(
            [*(annots.raw_get(i) for i in range(len(annots)))] if annots else []
        )
        page["/Annots"].append(u.indirect(field_num))
        u.put(page_num, page)
    acro = root.raw_get("/AcroForm") if "/AcroForm" in root else None
    if isinstance(acro, generic.IndirectObject):
        form = u.get(acro.idnum)
    elif acro is not None:
        form = generic.DictionaryObject(dict(acro))
    else:
        form = generic.DictionaryObject({generic.NameObject("/Fields"): generic.ArrayObject()})
    if sig.existing_field is None:
        fields = form["/Fields"]
        form[generic.NameObject("/Fields")] = generic.ArrayObject(
            [*(fields.raw_get(i) for i in range(len(fields))), u.indirect(field_num)]
        )
    form[generic.NameObject("/SigFlags")] = generic.NumberObject(3)
    if isinstance(acro, generic.IndirectObject):
        u.put(acro.idnum, form)
    else:
        form_num = u.new()
        u.put(form_num, form)
        root[generic.NameObject("/AcroForm")] = u.indirect(form_num)
        root_changed = True
    if sig.docmdp is not None:
        root[generic.NameObject("/Perms")] = generic.DictionaryObject(
            {generic.NameObject("/DocMDP"): u.indirect(sig_num)}
        )
        root_changed = True
    if root_changed:
        u.put(u.root, root)
    u.close(sig.xref, trailer_extra=sig.trailer_extra, zero_entry=sig.zero_entry)
    fill_signature(u.w.buf, sig_at, sig.make, sig.style)
    return bytes(u.w.buf)


def dss_update(
    data: bytes,
    *,
    certs: Sequence[bytes] = (),
    crls: Sequence[bytes] = (),
    ocsps: Sequence[bytes] = (),
    dangling: bool = False,
    xref: XrefStyle = "table",
    trailer_extra: bytes = b"",
) -> bytes:
    """Add validation data to the DSS the way Acrobat does: one stream per item, arrays
    in the DSS, and a /VRI entry (SHA-1 of /Contents) per signature naming them."""
    u = Update(data)
    root = u.get(u.root)
    existing = root.raw_get("/DSS") if "/DSS" in root else None
    old = u.get(existing.idnum) if isinstance(existing, generic.IndirectObject) else None
    lists: dict[str, list[bytes]] = {"/Certs": [], "/CRLs": [], "/OCSPs": []}
    vri: dict[str, bytes] = {}
    if old is not None:
        for key in lists:
            if key in old:
                items = old[key]
                lists[key] = [serialize(items.raw_get(i)) for i in range(len(items))]
        if "/VRI" in old:
            for key, value in old["/VRI"].items():
                vri[key] = serialize(value)
    added: dict[str, list[bytes]] = {"/Certs": [], "/CRLs": [], "/OCSPs": []}
    for key, items in (("/Certs", certs), ("/CRLs", crls), ("/OCSPs", ocsps)):
        for der in items:
            num = u.new()
            u.put(num, stream_object(b"", der, compress=True))
            added[key].append(ref(num))
    for key in lists:
        lists[key] += added[key]
    if dangling:
        lists["/Certs"].append(b"%d 0 R" % (u.next + 40))
    for embedded in u.reader.embedded_signatures:
        contents = embedded.sig_object["/Contents"]
        key = "/" + hashlib.sha1(bytes(contents)).hexdigest().upper()  # noqa: S324 - PAdES VRI key
        if key in vri:
            continue
        vri[key] = (
            b"<< /Cert [" + b" ".join(added["/Certs"]) + b"] /CRL [" + b" ".join(added["/CRLs"])
            + b"] /OCSP [" + b" ".join(added["/OCSPs"]) + b"] /TU ("
            + pdf_date(dt.datetime.now(dt.UTC)) + b") >>"
        )  # fmt: skip
    body = b"<< /Type /DSS"
    for key, items in lists.items():
        if items:
            body += b" " + key.encode() + b" [" + b" ".join(items) + b"]"
    body += b" /VRI << " + b" ".join(k.encode() + b" " + v for k, v in sorted(vri.items()))
    body += b" >> >>"
    if isinstance(existing, generic.IndirectObject):
        u.put(existing.idnum, body)
    else:
        dss_num = u.new()
        u.put(dss_num, body)
        root[generic.NameObject("/DSS")] = u.indirect(dss_num)
        u.put(u.root, root)
    return u.close(xref, trailer_extra=trailer_extra)


# --- pdfsig ---------------------------------------------------------------------------------


def tiny_font(path: Path) -> None:
    """A TrueType font of three glyphs. pdfsig embeds the whole font that fontconfig finds
    for its signature field's /DA (a 760 KB Noto Sans here); with only this one to find,
    each of its files stays small."""
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


class Nss:
    """An NSS database for ``pdfsig``, protected by a password (``-kpw``), and a fontconfig
    setup that offers pdfsig nothing but a tiny font."""

    def __init__(self, work: Path, label: str) -> None:
        self.dir = work / f"nss-{label}"
        self.dir.mkdir()
        fonts = self.dir / "fonts"
        fonts.mkdir()
        tiny_font(fonts / "CorpusSans.ttf")
        config = self.dir / "fonts.conf"
        config.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
            f"<fontconfig><dir>{fonts}</dir><cachedir>{self.dir / 'fc-cache'}</cachedir>"
            "</fontconfig>\n"
        )
        self.env = {**os.environ, "FONTCONFIG_FILE": str(config)}
        self.db = f"sql:{self.dir}"
        self.pwfile = self.dir / "password.txt"
        self.pwfile.write_text(NSS_PASSWORD + "\n")
        run(["certutil", "-N", "-d", self.db, "-f", self.pwfile])

    def trust(self, ca: Party | Path, nick: str) -> None:
        pem = ca.cert_pem if isinstance(ca, Party) else ca
        run(["certutil", "-A", "-d", self.db, "-f", self.pwfile, "-n", nick, "-t", "CT,C,C",
             "-i", pem])  # fmt: skip

    def import_key(self, party: Party, nick: str) -> None:
        p12 = self.dir / f"{nick}.p12"
        p12.write_bytes(
            pkcs12.serialize_key_and_certificates(
                nick.encode(),
                party.key,
                party.cert,
                party.chain or None,
                serialization.BestAvailableEncryption(b"p12"),
            )
        )
        run(["pk12util", "-i", p12, "-d", self.db, "-k", self.pwfile, "-W", "p12"])
        p12.unlink()

    def sign(
        self,
        data: bytes,
        nick: str,
        field_name: str,
        *,
        digest: str = "SHA256",
        reason: str | None = None,
        etsi: bool = False,
        existing: bool = False,
    ) -> bytes:
        src, dst = self.dir / "in.pdf", self.dir / "out.pdf"
        src.write_bytes(data)
        dst.unlink(missing_ok=True)
        args: list[str | Path] = [
            "pdfsig", "-nssdir", self.db, "-nss-pwd", NSS_PASSWORD, "-nick", nick,
            "-kpw", NSS_PASSWORD, "-digest", digest,
        ]  # fmt: skip
        if existing:
            args += ["-sign", field_name]
        else:
            args += ["-add-signature", "-new-signature-field-name", field_name]
        if reason:
            args += ["-reason", reason]
        if etsi:
            args.append("-etsi")
        run([*args, src, dst], env=self.env)
        return dst.read_bytes()


# --- The corpus -----------------------------------------------------------------------------


@dataclass
class Entry:
    producer: str
    what: str
    trust: list[str]
    verdict: Literal["valid", "invalid", "indeterminate"]
    signatures: int
    level: str | None = None
    warnings: list[str] = field(default_factory=list)
    reason_codes: list[str] | None = None
    docsvc_today: str = "not recorded"

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "producer": self.producer,
            "what": self.what,
            "trust": self.trust,
            "verdict": self.verdict,
            "signatures": self.signatures,
        }
        if self.level:
            out["level"] = self.level
        out["warnings"] = self.warnings
        if self.reason_codes is not None:
            out["reason_codes"] = self.reason_codes
        out["docsvc_today"] = self.docsvc_today
        return out


PDFSIG = "pdfsig (poppler 22.12)"
OPENSSL = "openssl cms"
ITEXT = "itext-style layout (script)"
ADOBE = "adobe-style layout (script)"
DEVIATION = "deviation (script)"
HANDMADE = "cms by script (asn1crypto + cryptography)"
A = ["root_a.pem"]
CADES = b"/ETSI.CAdES.detached"


class Ctx:
    """The throwaway PKI, the tools, and the files written so far."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.now = now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        pki = self.pki = Pki(work, now)
        self.root_a = pki.party("root_a", "Raíz A del corpus", "rsa2048", None, usage="ca",
                                lifetime=60 * YEAR)  # fmt: skip
        self.inter_a = pki.party("inter_a", "Intermedia A del corpus", "rsa2048", self.root_a,
                                 usage="ca")  # fmt: skip
        self.root_b = pki.party("root_b", "Raíz B del corpus", "rsa2048", None, usage="ca",
                                lifetime=60 * YEAR)  # fmt: skip
        old = now - 3 * YEAR - BACKDATED
        self.root_old = pki.party("root_old", "Raíz antigua del corpus", "rsa2048", None,
                                  usage="ca", start=old, lifetime=60 * YEAR)  # fmt: skip
        self.ana = pki.party("ana", "Ana Firmante", "rsa2048", self.root_a)
        self.bruno = pki.party("bruno", "Bruno Firmante (RSA 3072)", "rsa3072", self.root_a)
        self.carla = pki.party("carla", "Carla Firmante (P-256)", "p256", self.root_a)
        self.diego = pki.party("diego", "Diego Firmante (P-384)", "p384", self.root_a)
        self.elena = pki.party("elena", "Elena Firmante (cadena)", "rsa2048", self.inter_a)
        self.fabian = pki.party("fabian", "Fabián Firmante (raíz B)", "rsa2048", self.root_b)
        self.selfie = pki.party("self_signed", "Gala Autofirmada", "rsa2048", None)
        self.keyenc = pki.party("keyenc", "Hugo Cifrado (sin firma digital)", "rsa2048",
                                self.root_a, usage="keyenc")  # fmt: skip
        self.revoked_bt = pki.party("revoked_bt", "Irene Revocada", "rsa2048", self.root_a)
        self.revoked_bb = pki.party("revoked_bb", "Jaime Revocado", "rsa2048", self.root_a)
        self.expired = pki.party("expired", "Karen Caducada", "rsa2048", self.root_old,
                                 start=now - 3 * YEAR, lifetime=YEAR)  # fmt: skip
        self.tsa_party = pki.party("tsa_a", "Sellado de tiempo A", "rsa2048", self.root_a,
                                   usage="tsa")  # fmt: skip
        self.tsa = Tsa(work, self.tsa_party)
        self.openssl = OpensslCms(work)
        self.crl_a = make_crl(self.root_a, [], now)
        self.inter_chain = pki.pem_file("inter_a", [self.inter_a.cert])
        self.nss = Nss(work, "signing")
        self.nss.trust(self.root_a, "raiz-a")
        self.nss.import_key(self.ana, "firmante-a")
        self.nss.import_key(self.bruno, "firmante-b")
        self.nss.import_key(self.carla, "firmante-ec")
        self.nss.import_key(self.elena, "firmante-cadena")
        self.entries: dict[str, Entry] = {}
        self.files: dict[str, bytes] = {}

    def emit(self, file_name: str, data: bytes, entry: Entry) -> bytes:
        (OUT / file_name).write_bytes(data)
        self.entries[file_name] = entry
        self.files[file_name] = data
        return data

    def signed_by(self, party: Party, md: str = "sha256", **kw: object) -> Maker:
        return self.openssl.maker(party, md, **kw)  # type: ignore[arg-type]

    def cades(self, party: Party, md: str = "sha256", *, stamped: bool = False) -> Maker:
        return self.openssl.maker(
            party, md, options=["-cades"], timestamp=self.tsa if stamped else None
        )


def adobe_extra(ctx: Ctx, person: str, reason: str = "Apruebo este documento") -> bytes:
    return (
        b"/M (" + pdf_date(ctx.now) + b") /Name " + pdf_string(person)
        + b" /Reason " + pdf_string(reason) + b" /ContactInfo ()"
        b" /Prop_Build << /App << /Name /Acrobat#20Pro /OS [/Win] /R 1507328 /REx "
        b"(2023.006.20380) /TrustedMode true >> /Filter << /Date (Nov 21 2023 21:40:09) "
        b"/Name /Adobe.PPKLite /R 131104 /V 2 >> /PubSec << /Date (Nov 21 2023 21:40:09) "
        b"/NonEFontNoWarn true /R 131105 >> >>"
    )  # fmt: skip


def itext_extra(ctx: Ctx, person: str, version: bytes = b"5.5.13.3") -> bytes:
    return (
        b"/M (" + pdf_date(ctx.now) + b") /Name " + pdf_string(person)
        + b" /Location (Quito) /Reason (Firma de prueba) /Prop_Build << /App << /Name "
        b"/iText#20" + version + b" >> /Filter << /Name /Adobe.PPKLite >> >>"
    )  # fmt: skip


def script_extra(ctx: Ctx, reason: str = "Firmado con openssl cms") -> bytes:
    return b"/M (" + pdf_date(ctx.now) + b") /Reason " + pdf_string(reason)


def qpdf(data: bytes, work: Path, *args: str) -> bytes:
    src, dst = work / "qpdf-in.pdf", work / "qpdf-out.pdf"
    src.write_bytes(data)
    done = subprocess.run(["qpdf", *args, str(src), str(dst)], capture_output=True, check=False)
    if done.returncode not in (0, 3):  # 3: warnings only
        raise RuntimeError(f"qpdf failed: {done.stderr.decode(errors='replace')}")
    return dst.read_bytes()


POPPLER_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica#20 >>"


def poppler_ready(
    title: str, fields: bytes = b"", more: dict[int, bytes] | None = None, page_extra: bytes = b""
) -> bytes:
    """A document whose AcroForm /DR already has the font pdfsig 22.12 adds when it signs
    (key popplerfont, /BaseFont "Helvetica "), as a file it signed before would: pdfsig
    then reuses it instead of embedding a whole font (400 KB with the tiny font, 1.1 MB with
    the system's). The AcroForm is an indirect object (8): pdfsig 22.12 updates a direct
    one in memory only, leaving its new field out of /Fields."""
    return base_document(
        title, catalog_extra=b" /AcroForm 8 0 R",
        more={7: POPPLER_FONT, 8: b"<< /Fields [" + fields + b"] /DR << /Font << /popplerfont "
              b"7 0 R >> >> >>", **(more or {})},
        page_extra=page_extra,
    )  # fmt: skip


def make_pdfsig(ctx: Ctx) -> None:
    nss = ctx.nss
    first = ctx.emit(
        "pdfsig_rsa_sha256.pdf",
        nss.sign(base_document("Acta 101 firmada con pdfsig"), "firmante-a", "Firma1",
                 reason="Aprobado con pdfsig"),
        Entry(PDFSIG, "pdfsig -add-signature, RSA 2048, default digest (SHA-256), -reason, "
              "adbe.pkcs7.detached, on a document without a form: pdfsig adds an AcroForm "
              "with a whole embedded TrueType font (a tiny one, offered through fontconfig) "
              "and a 64K-entry CIDToGIDMap and /W, hence the 400 KB.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "pdfsig_two_signatures.pdf",
        nss.sign(first, "firmante-b", "Firma2", reason="Segunda firma"),
        Entry(PDFSIG, "pdfsig_rsa_sha256.pdf signed again by pdfsig (RSA 3072) in a "
              "second incremental update.", A, "valid", 2, "B-B"),
    )  # fmt: skip
    field_doc = poppler_ready(
        "Acta 103 con campo de firma", b"9 0 R", page_extra=b" /Annots [9 0 R]",
        more={9: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (FirmaAutoridad) /F 4 /P 3 0 R "
              b"/Rect [320 60 540 110] >>"},
    )  # fmt: skip
    ctx.emit(
        "pdfsig_existing_field.pdf",
        nss.sign(field_doc, "firmante-a", "FirmaAutoridad", digest="SHA256", existing=True),
        Entry(PDFSIG, "pdfsig -sign FIELD: fills a visible empty signature field made with the "
              "document, with an explicit -digest SHA256 (pdfsig 22.12 refuses other digests "
              "and -etsi with -add-signature).", A, "valid", 1, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "pdfsig_chain.pdf",
        nss.sign(poppler_ready("Acta 102 (cadena)"), "firmante-cadena", "Firma1"),
        Entry(PDFSIG, "pdfsig with a signer under an intermediate CA that NSS puts in the "
              "CMS: root -> intermediate -> signer.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    by_openssl = sign_update(
        poppler_ready("Acta 104 firmada antes con openssl"),
        Sig(ctx.cades(ctx.carla), subfilter=CADES, extra=script_extra(ctx)),
    )
    ctx.emit(
        "pdfsig_over_openssl.pdf",
        nss.sign(by_openssl, "firmante-a", "Firma2", reason="Visto bueno"),
        Entry(PDFSIG, "A file first signed by openssl cms (ECDSA P-256, ETSI.CAdES.detached, "
              "xref-table update written by script), then by pdfsig (RSA) in a second "
              "update.", A, "valid", 2, "B-B"),
    )  # fmt: skip
    stream_base = qpdf(poppler_ready("Acta 105 con flujos de objetos"), ctx.work,
                       "--object-streams=generate")  # fmt: skip
    ctx.emit(
        "pdfsig_object_streams.pdf",
        nss.sign(stream_base, "firmante-a", "Firma1"),
        Entry(PDFSIG, "pdfsig on a file qpdf wrote with object streams and a cross-reference "
              "stream.", A, "valid", 1, "B-B"),
    )  # fmt: skip


def make_openssl(ctx: Ctx) -> None:
    def signed(title: str, make: Maker, subfilter: bytes = b"/adbe.pkcs7.detached") -> bytes:
        return sign_update(
            base_document(title), Sig(make, subfilter=subfilter, extra=script_extra(ctx))
        )

    cases: list[tuple[str, Maker, bytes, str, str]] = [
        ("openssl_rsa2048_sha256_pkcs7.pdf", ctx.signed_by(ctx.ana), b"/adbe.pkcs7.detached",
         "RSA 2048, SHA-256, adbe.pkcs7.detached (openssl's default signed attributes).",
         "valid"),
        ("openssl_rsa3072_sha384_cades.pdf", ctx.openssl.maker(ctx.bruno, "sha384",
         options=["-cades"]), CADES, "RSA 3072, SHA-384, -cades, ETSI.CAdES.detached.",
         "valid"),
        ("openssl_rsa2048_sha512_pkcs7.pdf", ctx.signed_by(ctx.ana, "sha512"),
         b"/adbe.pkcs7.detached", "RSA 2048, SHA-512, adbe.pkcs7.detached.", "valid"),
        ("openssl_rsa_pss_sha256_cades.pdf", ctx.openssl.maker(ctx.ana, "sha256",
         options=["-cades", "-keyopt", "rsa_padding_mode:pss"]), CADES,
         "RSASSA-PSS (-keyopt rsa_padding_mode:pss), SHA-256, ETSI.CAdES.detached.", "valid"),
        ("openssl_rsa_pss_sha512_pkcs7.pdf", ctx.openssl.maker(ctx.bruno, "sha512",
         options=["-keyopt", "rsa_padding_mode:pss"]), b"/adbe.pkcs7.detached",
         "RSASSA-PSS with RSA 3072 and SHA-512, adbe.pkcs7.detached.", "valid"),
        ("openssl_ecdsa_p256_pkcs7.pdf", ctx.signed_by(ctx.carla), b"/adbe.pkcs7.detached",
         "ECDSA P-256, SHA-256, adbe.pkcs7.detached.", "valid"),
        ("openssl_ecdsa_p384_sha384_cades.pdf", ctx.openssl.maker(ctx.diego, "sha384",
         options=["-cades"]), CADES, "ECDSA P-384, SHA-384, ETSI.CAdES.detached.", "valid"),
        ("openssl_noattr_pkcs7.pdf", ctx.openssl.maker(ctx.ana, options=["-noattr"]),
         b"/adbe.pkcs7.detached", "-noattr: no signed attributes, the RSA signature is over "
         "the document digest itself (legal for adbe.pkcs7.detached).", "valid"),
        ("openssl_chain_certfile_cades.pdf", ctx.openssl.maker(ctx.elena, options=["-cades"],
         certfile=ctx.inter_chain), CADES, "Two-level chain (root -> intermediate -> signer), "
         "the intermediate added with -certfile, ETSI.CAdES.detached.", "valid"),
        ("openssl_chain_certfile_pkcs7.pdf", ctx.openssl.maker(ctx.elena, "sha384",
         certfile=ctx.inter_chain), b"/adbe.pkcs7.detached", "Two-level chain with the "
         "intermediate from -certfile, SHA-384, adbe.pkcs7.detached.", "valid"),
    ]  # fmt: skip
    for file_name, make, subfilter, what, verdict in cases:
        title = "Oficio " + file_name.removesuffix(".pdf").replace("_", " ")
        ctx.emit(
            file_name,
            signed(title, make, subfilter),
            Entry(OPENSSL, what, A, verdict, 1, "B-B"),  # type: ignore[arg-type]
        )
    nocerts = signed("Oficio sin certificados", ctx.openssl.maker(ctx.ana, options=["-nocerts",
                     "-cades"]), CADES)  # fmt: skip
    ctx.emit(
        "openssl_nocerts_cert_in_dss.pdf",
        dss_update(nocerts, certs=[ctx.ana.cert_der]),
        Entry(OPENSSL, "-nocerts -cades: the CMS carries no certificate; the signer's "
              "certificate is in the DSS, added in a later update (ETSI EN 319 102-1 lets the "
              "signing certificate come from outside the signature; the ESS "
              "signing-certificate-v2 attribute binds it). A warning says where it was "
              "found.", A, "valid", 1, "B-B", ["signing_certificate_outside_signature"]),
    )  # fmt: skip
    ctx.emit(
        "openssl_nocerts_nowhere.pdf",
        signed("Oficio sin certificado alguno", ctx.openssl.maker(ctx.ana,
               options=["-nocerts"])),
        Entry(OPENSSL, "-nocerts and the signer's certificate nowhere in the file: the signer "
              "cannot be identified (NO_SIGNING_CERTIFICATE_FOUND).", A, "indeterminate", 1),
    )  # fmt: skip


def iframe(u: Update, person: str, width: int = 200, height: int = 60) -> int:
    """iText 5's visible signature: /AP /N -> FRM -> layers n0 (blank) and n2 (text)."""
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
    font_num, n0, n2, frm, top = u.new(), u.new(), u.new(), u.new(), u.new()
    bbox = b"/Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Resources " % (width, height)
    u.put(font_num, font)
    u.put(n0, stream_object(bbox + b"<< >>", b"% DSBlank\n"))
    text = (
        b"BT 1 0 0 1 2 40 Tm /F1 9 Tf (Firmado digitalmente por) Tj 0 -12 Td "
        + pdf_string(person) + b" Tj 0 -12 Td (Fecha: " + pdf_date(u_now()) + b") Tj ET"
    )  # fmt: skip
    u.put(n2, stream_object(bbox + b"<< /Font << /F1 %d 0 R >> >>" % font_num, text))
    layers = b"q 1 0 0 1 0 0 cm /n0 Do Q q 1 0 0 1 0 0 cm /n2 Do Q"
    u.put(frm, stream_object(bbox + b"<< /XObject << /n0 %d 0 R /n2 %d 0 R >> >>" % (n0, n2),
                             layers))  # fmt: skip
    u.put(top, stream_object(bbox + b"<< /XObject << /FRM %d 0 R >> >>" % frm,
                             b"q 1 0 0 1 0 0 cm /FRM Do Q"))  # fmt: skip
    return top


def u_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def itext_full_rewrite(
    ctx: Ctx, title: str, make: Maker, xref: Literal["table", "objstm"]
) -> bytes:
    """iText 5 without append mode: the whole file written anew, the signature inside it."""
    objects = base_objects(title, DEFAULT_LINES, producer="iText® 5.5.13.3 ©2000-2022 iText "
                           "Group NV (AGPL-version); modified using iText® 5.5.13.3",
                           catalog_extra=b" /AcroForm 9 0 R",
                           page_extra=b" /Annots [8 0 R]")  # fmt: skip
    sig = Sig(make, extra=itext_extra(ctx, "Ana Firmante"), hex_len=8192, compact=True)
    objects[7] = sig_dictionary(sig)
    objects[8] = (
        b"<</Type/Annot/Subtype/Widget/FT/Sig/T(Signature1)/V 7 0 R/F 132/P 3 0 R/Rect[0 0 0 0]>>"
    )
    objects[9] = b"<</Fields[8 0 R]/SigFlags 3>>"
    data = bytearray(write_document(objects, Layout(xref=xref, compact=True)))
    fill_signature(data, data.index(b"\n7 0 obj") + 1, make, "itext")
    return bytes(data)


def make_itext(ctx: Ctx) -> None:
    ctx.emit(
        "itext5_full_rewrite_objstm.pdf",
        itext_full_rewrite(ctx, "Contrato 201 (iText 5, reescrito)", pkcs7_builder(ctx.ana),
                           "objstm"),
        Entry(ITEXT, "One revision written whole, iText 5 style: PDF 1.7 with binary comment, "
              "object streams and a compressed cross-reference stream, compact syntax "
              "(<</Type/Sig/Filter/Adobe.PPKLite...), /ByteRange padded with spaces inside the "
              "brackets, /M /Name /Location /Reason /Prop_Build, widget /F 132; CMS from "
              "cryptography's PKCS#7 builder.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "itext5_full_rewrite_table.pdf",
        itext_full_rewrite(ctx, "Contrato 202 (iText 5, tabla)", pkcs7_builder(ctx.carla,
                           "sha384"), "table"),
        Entry(ITEXT, "The same layout with a classic xref table; ECDSA P-256 with SHA-384 from "
              "cryptography's PKCS#7 builder.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    base7 = base_document(
        "Contrato 203 (iText 7)",
        producer="iText® 7.2.5 ©2000-2023 iText Group NV (AGPL-version)",
        layout=Layout(xref="objstm", compact=True),
    )
    first = ctx.emit(
        "itext7_incremental_xref_stream.pdf",
        sign_update(base7, Sig(ctx.cades(ctx.ana), subfilter=CADES, compact=True,
                               style="itext", xref="stream", zero_entry=False,
                               extra=itext_extra(ctx, "Ana Firmante", b"7.2.5"))),
        Entry(ITEXT, "iText 7 style: a full-compression original (object streams, xref "
              "stream), signed in an incremental update whose cross-reference is a compressed "
              "stream with an /Index that does not start at 0; ETSI.CAdES.detached from "
              "openssl -cades.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "itext7_two_signatures.pdf",
        sign_update(first, Sig(ctx.cades(ctx.carla), subfilter=CADES, compact=True,
                               style="itext", xref="stream", field_name="Signature2",
                               extra=itext_extra(ctx, "Carla Firmante", b"7.2.5"))),
        Entry(ITEXT, "itext7_incremental_xref_stream.pdf with a second signature (ECDSA P-256) "
              "in another xref-stream update.", A, "valid", 2, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "itext5_visible_layers.pdf",
        sign_update(base_document("Contrato 204 (iText 5, visible)"),
                    Sig(pkcs7_builder(ctx.bruno, "sha512"), compact=True, style="itext",
                        rect=b"[360 60 560 120]", extra=itext_extra(ctx, "Bruno Firmante"),
                        appearance=lambda u: iframe(u, "Bruno Firmante"))),
        Entry(ITEXT, "Visible signature as iText 5 draws it (/AP /N -> /FRM -> layers /n0 "
              "and /n2), appended to an xref-table file; RSA 3072, SHA-512.", A, "valid", 1,
              "B-B"),
    )  # fmt: skip


def acrobat_appearance(u: Update, person: str) -> int:
    font, ap = u.new(), u.new()
    u.put(font, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding "
          b"/WinAnsiEncoding >>")  # fmt: skip
    text = (
        b"q 0.9 0.95 1 rg 0 0 220 50 re f Q BT /F1 10 Tf 4 34 Td (Firmado por:) Tj 0 -14 Td "
        + pdf_string(person) + b" Tj ET"
    )  # fmt: skip
    u.put(ap, stream_object(b"/Type /XObject /Subtype /Form /BBox [0 0 220 50] /Resources "
                            b"<< /Font << /F1 %d 0 R >> >>" % font, text))  # fmt: skip
    return ap


def empty_field_document(title: str) -> bytes:
    """A document made with an empty, visible signature field (object 7, FirmaAutoridad)."""
    return base_document(
        title,
        catalog_extra=b" /AcroForm << /Fields [7 0 R] /SigFlags 1 >>",
        page_extra=b" /Annots [7 0 R]",
        more={
            7: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (FirmaAutoridad) /F 4 /P 3 0 R "
            b"/Rect [320 60 540 110] /MK << /BC [0 0 1] >> >>"
        },
    )


def make_adobe(ctx: Ctx) -> None:
    base = base_document("Resolución 301 (Acrobat)")
    bt = ctx.emit(
        "adobe_cades_bt.pdf",
        sign_update(base, Sig(ctx.cades(ctx.ana, stamped=True), subfilter=CADES,
                              extra=adobe_extra(ctx, "Ana Firmante"))),
        Entry(ADOBE, "ETSI.CAdES.detached with a signature timestamp (unsigned attribute, "
              "token from openssl ts), Acrobat's /Prop_Build; xref-table update.", A, "valid", 1,
              "B-T"),
    )  # fmt: skip
    revinfo = {
        "certs": [ctx.ana.cert_der, ctx.root_a.cert_der, ctx.tsa_party.cert_der],
        "crls": [ctx.crl_a],
        "ocsps": [make_ocsp(ctx.ana, ctx.root_a, ctx.now)],
    }
    lt = ctx.emit(
        "adobe_cades_blt_vri.pdf",
        dss_update(bt, **revinfo),  # type: ignore[arg-type]
        Entry(ADOBE, "adobe_cades_bt.pdf plus a DSS (certificates, CRL, OCSP response) with a "
              "/VRI entry for the signature, in an xref-table update with /Prev.", A, "valid",
              1, "B-LT"),
    )  # fmt: skip
    lta = ctx.emit(
        "adobe_cades_blta.pdf",
        sign_update(lt, timestamp_sig(ctx.tsa, "Signature2")),
        Entry(ADOBE, "adobe_cades_blt_vri.pdf plus a document timestamp (/DocTimeStamp, "
              "ETSI.RFC3161) in an xref-table update.", A, "valid", 1, "B-LTA"),
    )  # fmt: skip
    lta2 = dss_update(lta, certs=[ctx.tsa_party.cert_der], crls=[ctx.crl_a])
    ctx.emit(
        "adobe_cades_blta_two_timestamps.pdf",
        sign_update(lta2, timestamp_sig(ctx.tsa, "Signature3")),
        Entry(ADOBE, "adobe_cades_blta.pdf extended again: DSS update for the first document "
              "timestamp, then a second document timestamp (five revisions).", A, "valid", 1,
              "B-LTA"),
    )  # fmt: skip
    cert2 = sign_update(base_document("Resolución 302 (certificada)"),
                        Sig(ctx.cades(ctx.ana), subfilter=CADES, docmdp=2,
                            extra=adobe_extra(ctx, "Ana Firmante", "Certifico")))  # fmt: skip
    ctx.emit(
        "adobe_certified_p2_then_approval.pdf",
        sign_update(cert2, Sig(ctx.cades(ctx.carla), subfilter=CADES, field_name="Signature2",
                               extra=adobe_extra(ctx, "Carla Firmante"))),
        Entry(ADOBE, "Certification signature (/Perms /DocMDP, /Reference with /TransformParams "
              "/P 2) followed by an approval signature, which P 2 allows.", A, "valid", 2,
              "B-B"),
    )  # fmt: skip
    cert1 = sign_update(base_document("Resolución 303 (certificada, sin cambios)"),
                        Sig(ctx.cades(ctx.ana), subfilter=CADES, docmdp=1,
                            extra=adobe_extra(ctx, "Ana Firmante", "Certifico")))  # fmt: skip
    ctx.emit(
        "adobe_certified_p1_then_approval.pdf",
        sign_update(cert1, Sig(ctx.cades(ctx.carla), subfilter=CADES, field_name="Signature2",
                               extra=adobe_extra(ctx, "Carla Firmante"))),
        Entry(ADOBE, "Certification signature with /P 1 (no changes allowed) followed by an "
              "approval signature: the certification is broken, so the document is invalid "
              "(the approval itself is fine).", A, "invalid", 2, "B-B"),
    )  # fmt: skip
    linear = qpdf(base_document("Resolución 304 (linealizada)"), ctx.work, "--linearize")
    ctx.emit(
        "adobe_linearized_signed.pdf",
        sign_update(linear, Sig(ctx.cades(ctx.ana, "sha384"), subfilter=CADES,
                                extra=adobe_extra(ctx, "Ana Firmante"))),
        Entry(ADOBE, "A file linearized by qpdf, signed in an incremental update whose /Prev "
              "is the last startxref.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    field_base = empty_field_document("Resolución 305 (campo de firma previo)")
    ctx.emit(
        "adobe_existing_empty_field.pdf",
        sign_update(field_base, Sig(ctx.cades(ctx.ana), subfilter=CADES, existing_field=7,
                                    extra=adobe_extra(ctx, "Ana Firmante"))),
        Entry(ADOBE, "An empty signature field made with the document (visible, /SigFlags 1) is "
              "filled in: only its /V changes, and /SigFlags becomes 3.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    ctx.emit(
        "adobe_visible_cades.pdf",
        sign_update(base_document("Resolución 306 (firma visible)"),
                    Sig(ctx.cades(ctx.diego, "sha384"), subfilter=CADES, rect=b"[60 60 280 110]",
                        extra=adobe_extra(ctx, "Diego Firmante"),
                        appearance=lambda u: acrobat_appearance(u, "Diego Firmante"))),
        Entry(ADOBE, "Visible ETSI.CAdES.detached signature (ECDSA P-384) with an Acrobat-like "
              "appearance stream.", A, "valid", 1, "B-B"),
    )  # fmt: skip


def text_field(name: bytes, value: str, appearance: int) -> bytes:
    return (
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (" + name + b") /V " + pdf_string(value)
        + b" /DA (/Helv 10 Tf 0 g) /F 4 /P 3 0 R /Rect [72 600 272 620] /AP << /N %d 0 R >> >>"
        % appearance
    )  # fmt: skip


def text_appearance(value: str) -> bytes:
    return stream_object(
        b"/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Helv 4 0 R "
        b">> >>",
        b"/Tx BMC BT /Helv 10 Tf 2 6 Td " + pdf_string(value) + b" Tj ET EMC",
    )


def fill_text_field(data: bytes, field_num: int, value: str) -> bytes:
    """Form filling after signing: the field's /V and a new appearance."""
    u = Update(data)
    widget = u.get(field_num)
    ap = u.new()
    widget[generic.NameObject("/V")] = generic.TextStringObject(value)
    widget[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): u.indirect(ap)}
    )
    u.put(ap, text_appearance(value))
    u.put(field_num, widget)
    return u.close()


def wrong_length(data: bytes) -> bytes:
    """Object 5's /Length made 7 too large, the cross-reference offsets kept right."""
    found = re.search(rb"5 0 obj\s*<<[^>]*?/Length (\d+)", data)
    assert found is not None
    length = int(found.group(1))
    wrong = b"%d" % (length + 7)
    assert len(wrong) == len(found.group(1)), "keep the offsets: same number of digits"
    return data[: found.start(1)] + wrong + data[found.end(1) :]


def make_lenient(ctx: Ctx) -> None:
    lt_data = {"certs": [ctx.ana.cert_der, ctx.root_a.cert_der, ctx.tsa_party.cert_der],
               "crls": [ctx.crl_a]}  # fmt: skip
    stamped = Sig(ctx.cades(ctx.ana, stamped=True), subfilter=CADES,
                  extra=adobe_extra(ctx, "Ana Firmante"))  # fmt: skip
    lt = dss_update(sign_update(base_document("Acuerdo 401 (sellos de tiempo)"), stamped),
                    **lt_data)  # type: ignore[arg-type]  # fmt: skip
    for type_entry, label, words in ((b"/Sig", "type_sig", "/Type /Sig"),
                                     (None, "no_type", "no /Type")):  # fmt: skip
        last = ctx.emit(
            f"lenient_doc_ts_{label}_last.pdf",
            sign_update(lt, timestamp_sig(ctx.tsa, "Signature2", type_entry)),
            Entry(DEVIATION, f"B-LTA (CAdES signature with timestamp, DSS, document "
                  f"timestamp) whose last document timestamp dictionary has {words} instead "
                  "of /Type /DocTimeStamp.", A, "valid", 1, "B-LTA",
                  ["timestamp_dictionary_type"]),
        )  # fmt: skip
        ctx.emit(
            f"lenient_doc_ts_{label}_middle.pdf",
            sign_update(dss_update(last, certs=[ctx.tsa_party.cert_der], crls=[ctx.crl_a]),
                        timestamp_sig(ctx.tsa, "Signature3")),
            Entry(DEVIATION, f"B-LTA with two document timestamps: the first (middle) one has "
                  f"{words}, the last one is a proper /DocTimeStamp.", A, "valid", 1, "B-LTA",
                  ["timestamp_dictionary_type"]),
        )  # fmt: skip
    lo_trailer = b" /AdditionalStreams [/application#2Fvnd.oasis.opendocument.text 99 0 R]"
    lo_base = base_document("Informe 402 (PDF híbrido de LibreOffice)",
                            producer="LibreOffice 7.4", trailer_extra=lo_trailer)  # fmt: skip
    lo_signed = ctx.emit(
        "lenient_libreoffice_additional_streams_bt.pdf",
        sign_update(lo_base, Sig(ctx.cades(ctx.ana, stamped=True), subfilter=CADES,
                                 extra=script_extra(ctx, "LibreOffice"), trailer_extra=lo_trailer)),
        Entry(DEVIATION, "LibreOffice hybrid PDF/ODF: the trailer's /AdditionalStreams names "
              "object 99, which does not exist (far beyond /Size), in the original and again in "
              "the signature's update; CAdES with timestamp.", A, "valid", 1, "B-T",
              ["dangling_reference"]),
    )  # fmt: skip
    ctx.emit(
        "lenient_libreoffice_additional_streams_blt.pdf",
        dss_update(lo_signed, trailer_extra=lo_trailer, **lt_data),  # type: ignore[arg-type]
        Entry(DEVIATION, "The LibreOffice file above extended to B-LT by a DSS update whose "
              "trailer carries the dangling /AdditionalStreams again.", A, "valid", 1, "B-LT",
              ["dangling_reference"]),
    )  # fmt: skip
    signed_bt = sign_update(base_document("Acuerdo 403 (DSS con referencia rota)"), stamped)
    ctx.emit(
        "lenient_dss_dangling_cert.pdf",
        dss_update(signed_bt, dangling=True, **lt_data),  # type: ignore[arg-type]
        Entry(DEVIATION, "B-LT whose DSS /Certs array also names an object that does not exist "
              "(beyond /Size), outside what the signature covers.", A, "valid", 1, "B-LT",
              ["dangling_reference"]),
    )  # fmt: skip
    plain = Sig(ctx.cades(ctx.ana), subfilter=CADES, extra=script_extra(ctx))
    ctx.emit(
        "lenient_font_dangling_in_original.pdf",
        sign_update(base_document("Acuerdo 404 (fuente inexistente)", fonts_extra=b" /F2 57 0 R"),
                    plain),
        Entry(DEVIATION, "The unsigned original's page resources name a font /F2 57 0 R that "
              "does not exist: null in every revision, and the signature covers it as such.", A,
              "valid", 1, "B-B", ["dangling_reference"]),
    )  # fmt: skip
    form = base_document(
        "Acuerdo 405 (campo con punto)",
        catalog_extra=b" /AcroForm << /Fields [7 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font "
        b"<< /Helv 4 0 R >> >> >>",
        page_extra=b" /Annots [7 0 R]",
        more={7: text_field(b"datos.nombre", "Ana Firmante", 8),
              8: text_appearance("Ana Firmante")},
    )  # fmt: skip
    ctx.emit(
        "lenient_field_name_period.pdf",
        sign_update(form, plain),
        Entry(DEVIATION, "A filled text field whose partial name /T is (datos.nombre), with a "
              "period, then signed.", A, "valid", 1, "B-B", ["field_name_period"]),
    )  # fmt: skip
    empty_form = base_document(
        "Acuerdo 408 (campo con punto, llenado después)",
        catalog_extra=b" /AcroForm << /Fields [7 0 R] /DA (/Helv 0 Tf 0 g) /DR << /Font "
        b"<< /Helv 4 0 R >> >> >>",
        page_extra=b" /Annots [7 0 R]",
        more={7: text_field(b"datos.cargo", "", 8), 8: text_appearance("")},
    )  # fmt: skip
    ctx.emit(
        "lenient_field_name_period_filled_after.pdf",
        fill_text_field(sign_update(empty_form, plain), 7, "Directora"),
        Entry(DEVIATION, "An empty text field /T (datos.cargo), with a period, is filled in an "
              "update after an approval signature: form filling, which an approval signature "
              "allows.", A, "valid", 1, "B-B", ["field_name_period"]),
    )  # fmt: skip
    first = sign_update(base_document("Acuerdo 409 (firmas con punto)"),
                        Sig(ctx.cades(ctx.ana), subfilter=CADES, field_name="firmas.directora",
                            extra=script_extra(ctx)))  # fmt: skip
    ctx.emit(
        "lenient_signature_field_name_period.pdf",
        sign_update(first, Sig(ctx.cades(ctx.carla), subfilter=CADES,
                               field_name="firmas.secretario", extra=script_extra(ctx))),
        Entry(DEVIATION, "Two signatures whose field names have a period (/T (firmas.directora), "
              "/T (firmas.secretario)), the second added after the first.", A, "valid", 2,
              "B-B", ["field_name_period"]),
    )  # fmt: skip
    short_rows = re.sub(rb"(\d{10} \d{5} [nf]) \n", rb"\1\n", base_document("Acuerdo 410"))
    ctx.emit(
        "lenient_xref_19_byte_entries.pdf",
        sign_update(short_rows, plain),
        Entry(DEVIATION, "The original's xref entries are 19 bytes long (a lone LF after the "
              "type, no space), as some writers make them; the signature's update is proper.",
              A, "valid", 1, "B-B", ["pdf_syntax"]),
    )  # fmt: skip
    ctx.emit(
        "lenient_stream_length_wrong.pdf",
        sign_update(wrong_length(base_document("Acuerdo 411 (longitud errónea)")), plain),
        Entry(DEVIATION, "The original's page content stream says /Length 7 bytes more than "
              "it has (the data ends at endstream); the signature covers it as it is. "
              "Verifying never reads a page's content, so no warning: only a reader drawing "
              "the page meets the deviation.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    layouts: list[tuple[str, Layout, Sig, str]] = [
        ("lenient_xref_subsections.pdf", Layout(split=(3, 5)),
         Sig(ctx.cades(ctx.ana), subfilter=CADES, zero_entry=False),
         "The original's xref table has three subsections (0 3, 3 2, 5 2); the signature's "
         "update has subsections that do not start at 0 (no entry for object 0)."),
        ("lenient_cr_only_eol.pdf", Layout(eol=b"\r"),
         Sig(ctx.cades(ctx.ana), subfilter=CADES, eol=b"\r"),
         "Every line ends with a lone CR (old Mac style), xref entries end with SP CR, in the "
         "original and in the signature's update."),
        ("lenient_crlf_eol.pdf", Layout(eol=b"\r\n"),
         Sig(ctx.cades(ctx.ana), subfilter=CADES, eol=b"\r\n"),
         "Every line ends with CRLF, in the original and in the signature's update."),
        ("lenient_xref_stream_index.pdf", Layout(xref="stream"),
         Sig(ctx.cades(ctx.ana), subfilter=CADES, xref="stream", zero_entry=False),
         "Cross-reference streams throughout; the update's /Index lists several ranges, none "
         "starting at 0."),
        ("lenient_free_list.pdf", Layout(free={0: (7, 65535), 7: (9, 1), 9: (0, 1)}),
         Sig(ctx.cades(ctx.ana), subfilter=CADES),
         "The original's xref table has a free list with several entries (0 -> 7 -> 9 -> 0, "
         "generation 1), objects 7 and 9 absent."),
    ]  # fmt: skip
    for file_name, layout, sig, what in layouts:
        more = {8: b"<< /Purpose (kept between free entries) >>"} if layout.free else None
        title = "Acuerdo " + file_name.removesuffix(".pdf").replace("_", " ")
        ctx.emit(
            file_name,
            sign_update(base_document(title, layout=layout, more=more), sig),
            Entry(DEVIATION, what, A, "valid", 1, "B-B"),
        )
    objstm = qpdf(base_document("Acuerdo 406 (qpdf)"), ctx.work, "--object-streams=generate")
    ctx.emit(
        "lenient_object_streams_qpdf.pdf",
        sign_update(objstm, Sig(ctx.cades(ctx.carla), subfilter=CADES, xref="stream")),
        Entry(DEVIATION, "An original written by qpdf with object streams, signed in an update "
              "with an xref stream.", A, "valid", 1, "B-B"),
    )  # fmt: skip
    signed = sign_update(base_document("Acuerdo 407 (bytes finales)"), plain)
    ctx.emit(
        "lenient_trailing_nul.pdf",
        signed + b"\x00" * 64,
        Entry(DEVIATION, "64 NUL bytes after the last %%EOF, outside the signature.", A,
              "valid", 1, "B-B", ["trailing_bytes"]),
    )  # fmt: skip
    ctx.emit(
        "lenient_trailing_whitespace.pdf",
        signed + b"\r\n \t \n\n   \n",
        Entry(DEVIATION, "Blank lines, spaces and a tab after the last %%EOF, outside the "
              "signature.", A, "valid", 1, "B-B", ["trailing_bytes"]),
    )  # fmt: skip


def make_untrusted(ctx: Ctx) -> None:
    def signed(title: str, make: Maker, when: dt.datetime | None = None) -> bytes:
        extra = b"/M (" + pdf_date(when or ctx.now) + b")"
        return sign_update(base_document(title), Sig(make, subfilter=CADES, extra=extra))

    ctx.emit(
        "untrusted_self_signed.pdf",
        signed("Memorando 501", ctx.cades(ctx.selfie)),
        Entry(OPENSSL, "Self-signed signer certificate; the anchors given are root_a only.", A,
              "indeterminate", 1, "B-B", reason_codes=["self_signed"]),
    )  # fmt: skip
    ctx.emit(
        "untrusted_unknown_issuer.pdf",
        signed("Memorando 502", ctx.cades(ctx.elena)),
        Entry(OPENSSL, "Signer under the intermediate CA, but the intermediate is not in the "
              "file (no -certfile) and the anchor is the root: no path.", A, "indeterminate",
              1, "B-B", reason_codes=["unknown_issuer"]),
    )  # fmt: skip
    ctx.emit(
        "untrusted_other_root.pdf",
        signed("Memorando 503", ctx.cades(ctx.fabian)),
        Entry(OPENSSL, "Signer under root_b, whose root is not among the anchors (root_a): a "
              "well-formed chain to an anchor not given.", A, "indeterminate", 1, "B-B",
              reason_codes=["unknown_issuer"]),
    )  # fmt: skip
    claimed = ctx.now - 2 * YEAR - 180 * DAY
    ctx.emit(
        "untrusted_expired_bb.pdf",
        signed("Memorando 504", handmade_cms(ctx.expired, claimed), claimed),
        Entry(HANDMADE, "B-B by a certificate valid for one year, three years ago; the "
              "claimed signing time (two and a half years ago) is inside that year, but nothing "
              "proves it and the certificate is expired now: indeterminate "
              "(OUT_OF_BOUNDS_NO_POE), not invalid.", ["root_old.pem"], "indeterminate", 1,
              "B-B", reason_codes=["certificate_expired"]),
    )  # fmt: skip
    ctx.emit(
        "untrusted_expired_bt.pdf",
        signed("Memorando 505", ctx.cades(ctx.expired, stamped=True)),
        Entry(OPENSSL, "The same expired certificate used today at B-T: the trusted timestamp "
              "proves the signature was made two years after the certificate expired.",
              ["root_old.pem", "root_a.pem"], "invalid", 1, "B-T",
              reason_codes=["certificate_expired"]),
    )  # fmt: skip
    ctx.emit(
        "untrusted_key_usage.pdf",
        signed("Memorando 506", ctx.cades(ctx.keyenc)),
        Entry(OPENSSL, "Signer certificate with key usage keyEncipherment only (neither "
              "digitalSignature nor nonRepudiation).", A, "indeterminate", 1, "B-B",
              reason_codes=["key_usage"]),
    )  # fmt: skip
    crl = make_crl(ctx.root_a, [(ctx.revoked_bt.cert, ctx.now - DAY)], ctx.now)
    ctx.emit(
        "untrusted_revoked_bt.pdf",
        dss_update(signed("Memorando 507", ctx.cades(ctx.revoked_bt, stamped=True)),
                   certs=[ctx.revoked_bt.cert_der], crls=[crl]),
        Entry(OPENSSL, "B-T signature timestamped today by a certificate revoked yesterday "
              "(keyCompromise) per a CRL in the DSS: revoked before signing, proven.", A,
              "invalid", 1, "B-LT", reason_codes=["certificate_revoked"]),
    )  # fmt: skip
    claimed = ctx.now - 2 * DAY
    crl = make_crl(ctx.root_a, [(ctx.revoked_bb.cert, ctx.now - DAY)], ctx.now)
    ctx.emit(
        "untrusted_revoked_bb.pdf",
        dss_update(signed("Memorando 508", handmade_cms(ctx.revoked_bb, claimed), claimed),
                   certs=[ctx.revoked_bb.cert_der], crls=[crl]),
        Entry(HANDMADE, "B-B signature claiming a signing time two days ago by a certificate "
              "revoked yesterday per a CRL in the DSS: no timestamp proves it was made before "
              "the revocation (REVOKED_NO_POE).", A, "indeterminate", 1, "B-B",
              reason_codes=["certificate_revoked"]),
    )  # fmt: skip


# --- Making and recording -------------------------------------------------------------------


def load_expected() -> dict[str, dict[str, object]]:
    if not EXPECTED.exists():
        return {}
    files: dict[str, dict[str, object]] = json.loads(EXPECTED.read_text())["files"]
    return files


def save_expected(files: dict[str, dict[str, object]]) -> None:
    text = json.dumps({"files": dict(sorted(files.items()))}, indent=2, ensure_ascii=False)
    EXPECTED.write_text(text + "\n")


def make() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Ctx(Path(tmp))
        for party, file_name in ((ctx.root_a, "root_a.pem"), (ctx.root_b, "root_b.pem"),
                                 (ctx.root_old, "root_old.pem"),
                                 (ctx.selfie, "self_signed.pem")):  # fmt: skip
            (OUT / file_name).write_bytes(party.cert.public_bytes(serialization.Encoding.PEM))
        for group in (make_pdfsig, make_openssl, make_itext, make_adobe, make_lenient,
                      make_untrusted):  # fmt: skip
            group(ctx)
            print(f"{group.__name__}: done", file=sys.stderr)
    files = load_expected()
    for old in [n for n in files if not n.startswith("endesive_") and n not in ctx.entries]:
        (OUT / old).unlink(missing_ok=True)
        del files[old]
    files.update({n: e.as_json() for n, e in ctx.entries.items()})
    save_expected(files)


def docsvc_today(
    path: Path, trust: Sequence[str], source: Path | None = None
) -> tuple[str, dict[str, object] | None]:
    """docsvc's verdict (or "unreadable: ..."), and its JSON report when it made one; from
    the code in ``source`` (say, a ``git archive HEAD`` export) rather than the work tree."""
    tool = Path(sys.executable).parent / "docsvc"
    args: list[str | Path] = [tool, "verify", path, "--json"]
    for anchor in trust:
        args += ["--trust", OUT / anchor]
    env = {**os.environ, "PYTHONPATH": str(source)} if source else None
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, check=False, cwd=ROOT, env=env
    )
    if done.returncode == 2:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1]
        return message.removeprefix("error: "), None
    try:
        report: dict[str, object] = json.loads(done.stdout)
    except json.JSONDecodeError:
        tail = (done.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
        return f"error: {tail}", None
    return str(report["verdict"]), report


def differences(entry: dict[str, object], report: dict[str, object]) -> list[str]:
    """Where docsvc's report departs from the entry beyond the verdict: the number of
    signatures, the first one's level, the warning codes, the reason codes."""
    signatures: list[dict[str, object]] = report["signatures"]  # type: ignore[assignment]
    found = []
    if len(signatures) != entry["signatures"]:
        found.append(f"{len(signatures)} signatures, expected {entry['signatures']}")
    level = signatures[0]["level"] if signatures else None
    if entry.get("level") and level != entry["level"]:
        found.append(f"level {level}, expected {entry['level']}")
    warnings = sorted({str(w["code"]) for w in report.get("warnings", [])})  # type: ignore[attr-defined]
    if warnings != sorted(entry["warnings"]):  # type: ignore[call-overload]
        found.append(f"warnings {warnings}, expected {entry['warnings']}")
    codes = sorted({str(c) for s in signatures for c in s.get("reason_codes", [])})  # type: ignore[attr-defined]
    expected_codes = entry.get("reason_codes")
    if expected_codes is not None and not set(expected_codes) <= set(codes):  # type: ignore[call-overload]
        found.append(f"reason codes {codes}, expected {expected_codes}")
    reasons = [str(r) for s in signatures for r in s["reasons"]]  # type: ignore[attr-defined]
    if found and reasons:
        found.append("reasons: " + "; ".join(reasons)[:200])
    return found


def pdfsig_says(path: Path, nssdir: str) -> str:
    done = subprocess.run(
        ["pdfsig", "-nssdir", nssdir, "-nss-pwd", NSS_PASSWORD, str(path)],
        capture_output=True,
        check=False,
    )
    text = done.stdout.decode(errors="replace")
    if done.returncode != 0 and "Signature #" not in text:
        return "error: " + " ".join(done.stderr.decode(errors="replace").split())[:120]
    verdicts = []
    for block in text.split("Signature #")[1:]:
        signature = re.search(r"Signature Validation: (.*)", block)
        certificate = re.search(r"Certificate Validation: (.*)", block)
        sig_text = signature.group(1).strip() if signature else "?"
        cert_text = certificate.group(1).strip() if certificate else "?"
        if "Signature Type: unknown" in block:
            continue  # a document timestamp: pdfsig 22.12 does not check them
        if sig_text != "Signature is Valid.":
            verdicts.append(f"invalid ({sig_text.rstrip('.')})")
        elif cert_text != "Certificate is Trusted.":
            verdicts.append(f"indeterminate ({cert_text.rstrip('.')})")
        else:
            verdicts.append("valid")
    return "; ".join(verdicts) or "no signature"


def pyhanko_says(path: Path, trust: Sequence[str]) -> str:
    """pyHanko 0.38 alone, with the anchors: per signature intact/valid/trusted/diff."""
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko_certvalidator import ValidationContext

    roots = [
        asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate((OUT / anchor).read_bytes()).public_bytes(
                serialization.Encoding.DER
            )
        )
        for anchor in trust
    ]
    out = []
    try:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            for embedded in reader.embedded_signatures:
                context = ValidationContext(trust_roots=roots, allow_fetching=False)
                if embedded.sig_object.get("/SubFilter") == "/ETSI.RFC3161":
                    stamp = validate_pdf_timestamp(embedded, context)
                    out.append(f"ts:{_flags(stamp.intact, stamp.valid, stamp.trusted)}")
                    continue
                status = validate_pdf_signature(embedded, context)
                level = status.modification_level
                flags = _flags(status.intact, status.valid, status.trusted)
                out.append(f"{flags}/{level.name.lower() if level else '-'}")
    except Exception as exc:
        return f"error: {type(exc).__name__}: {str(exc)[:100]}"
    return " ".join(out) or "no signature"


def _flags(intact: bool, valid: bool, trusted: bool) -> str:
    if not intact:
        return "NOT-INTACT"
    if not valid:
        return "BAD-SIGNATURE"
    return "ok" if trusted else "untrusted"


def record(source: Path | None = None) -> None:
    logging.disable(logging.CRITICAL)  # pyHanko logs every chain it cannot build
    files = load_expected()
    notes: dict[str, tuple[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        databases: dict[tuple[str, ...], Nss] = {}
        for file_name, entry in sorted(files.items()):
            path = OUT / file_name
            trust = [str(t) for t in entry["trust"]]  # type: ignore[attr-defined]
            today, report = docsvc_today(path, trust, source)
            entry["docsvc_today"] = today
            key = tuple(sorted(trust))
            if key not in databases:  # pdfsig trusts what docsvc is given, no more
                databases[key] = nss = Nss(Path(tmp), f"verify-{len(databases)}")
                for index, anchor in enumerate(key):
                    nss.trust(OUT / anchor, f"anchor-{index}")
            pdfsig = pdfsig_says(path, databases[key].db)
            notes[file_name] = (pdfsig, pyhanko_says(path, trust))
            found = differences(entry, report) if report else []
            mark = "!=" if today != entry["verdict"] else "~~" if found else "  "
            print(f"{mark} {file_name:48} expected {entry['verdict']:13} docsvc {today}")
            for line in found:
                print(f"       {line}")
    save_expected(files)
    write_readme(files, notes, source)


README_HEAD = """# Second-opinion corpus

Signed PDFs made by products other than docsvc and pyHanko's signer, each with the verdict a
correct verifier gives. `expected.json` is the machine-readable list; this table is generated
from it by `tests/data/make_corpus.py --record`, which also fills in `docsvc_today`.

Regenerate (from the project root):

    python3 -m venv /tmp/third-party
    /tmp/third-party/bin/pip install endesive==3.0.1 "pypdf>=5,<6" fonttools
    /tmp/third-party/bin/python tests/data/make_corpus_endesive.py
    .venv/bin/python tests/data/make_corpus.py

(needs Debian's poppler-utils, libnss3-tools, openssl and qpdf). Each run makes new keys,
so all files of a script are regenerated together; `--record` alone only re-checks them.

{recorded}

Verify one file: `.venv/bin/docsvc verify tests/data/corpus/FILE.pdf --json --trust
tests/data/corpus/root_a.pem` (each file's anchors are in its `trust`). Anchors:
`root_a.pem` (RSA root of almost everything; its TSA, intermediate and signers),
`root_b.pem` (a second root, never given as an anchor), `root_old.pem` (a root backdated
three years, for the expired certificate), `endesive_root.pem` (the endesive script's own
root); `self_signed.pem` is the self-signed signer's certificate, for reference, never an
anchor. No private key is kept anywhere.

Levels are the first signature's; warnings are document-level codes a lenient reader
reports; reason codes are per signature, for untrusted chains.

Judgement calls: `openssl_nocerts_cert_in_dss.pdf` is expected valid (ETSI EN 319 102-1
lets the signing certificate come from outside the CMS, and the DSS is in the file);
`endesive_ecdsa_p256.pdf` is expected indeterminate (endesive 3.0.1 declares
rsaEncryption for an ECDSA signature value: it cannot be checked with the algorithm it
names, yet nothing shows tampering).

What could not be made: pdfsig 22.12's `-add-signature` accepts no digest but SHA256, no
`-etsi`, and fails with an ECDSA key ("unable update signature"), so its files are RSA,
SHA-256, adbe.pkcs7.detached; `openssl cms` has no `-detached` flag (it signs detached
unless told `-nodetach`); endesive 3.0.1 (with pypdf 5) writes an update to a file with a
cross-reference stream with /W and /Index as names (`/W [1#208#200#5D`), which nothing can
read, so no such file is kept.
"""


def write_readme(
    files: dict[str, dict[str, object]],
    notes: dict[str, tuple[str, str]],
    source: Path | None = None,
) -> None:
    def cell(value: object) -> str:
        if isinstance(value, list):
            value = ", ".join(f"`{v}`" for v in value) if value else ""
        return str(value or "").replace("|", "\\|")

    recorded = (
        "`docsvc_today` was recorded with docsvc run from another source tree\n"
        "(`--docsvc-source`: the committed code, exported with `git archive HEAD`), not a "
        "work\ntree being edited."
        if source
        else "`docsvc_today` was recorded with the work tree's docsvc."
    )
    lines = [README_HEAD.replace("{recorded}", recorded), "## Files", ""]
    lines.append(
        "| file | producer | what is special | verdict | level | warnings | reason codes "
        "| docsvc today |"
    )
    lines.append("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for file_name, e in sorted(files.items()):
        lines.append(
            f"| `{file_name}` | {cell(e['producer'])} | {cell(e['what'])} | "
            f"**{e['verdict']}** | {cell(e.get('level'))} | {cell(e['warnings'])} | "
            f"{cell(e.get('reason_codes'))} | {cell(e['docsvc_today'])} |"
        )
    lines += [
        "",
        "## pdfsig and pyHanko alone",
        "",
        "`pdfsig` (poppler 22.12) with an NSS database that trusts the file's anchors",
        "(without `-no-ocsp`, with which 22.12 calls every chain an unknown issue; no",
        "certificate here names an OCSP responder, so nothing is fetched; document timestamps",
        "are left out, since pdfsig does not check them),",
        "and pyHanko 0.38's own `validate_pdf_signature` with the file's anchors (per",
        "signature: ok / untrusted / NOT-INTACT / BAD-SIGNATURE, then pyHanko's modification",
        "level; `ts:` for document timestamps). Listed only where pdfsig disagrees with the",
        "expected verdict, or pyHanko errs or calls a signature of a valid file not intact.",
        "pdfsig checks each signature's bytes and chain alone: it does not look at what",
        "changed after a signature, nor at revocation data in the DSS, nor at DocMDP.",
        "",
        "| file | expected | pdfsig says | pyHanko alone |",
        "| --- | --- | --- | --- |",
    ]
    for file_name, e in sorted(files.items()):
        if file_name not in notes:
            continue
        pdfsig, pyhanko = notes[file_name]
        verdicts = {v.split(" ")[0] for v in pdfsig.split("; ")}
        pdfsig_agrees = verdicts == {str(e["verdict"])}
        pyhanko_odd = pyhanko.startswith("error") or (
            e["verdict"] == "valid" and ("NOT-INTACT" in pyhanko or "BAD" in pyhanko)
        )
        if not pdfsig_agrees or pyhanko_odd:
            lines.append(f"| `{file_name}` | {e['verdict']} | {cell(pdfsig)} | {cell(pyhanko)} |")
    (OUT / "README.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--record", action="store_true", help="only re-check the files and rewrite README.md"
    )
    parser.add_argument(
        "--docsvc-source",
        type=Path,
        help="record what docsvc says when run from this source tree (for instance "
        "`git archive HEAD | tar -x -C DIR`) instead of the work tree",
    )
    args = parser.parse_args()
    if not args.record:
        make()
    record(args.docsvc_source)


if __name__ == "__main__":
    main()
