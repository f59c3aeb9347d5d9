"""Re-create the signed samples and the attacks on them in tests/data/signed/.

Run from the project root:  .venv/bin/python tests/data/make_signed_attacks.py
It makes a throwaway test PKI (its root is committed as pki_root.pem; no private key is
kept), signs a resolution at B-B, then attacks it with incremental updates that a weak
validator accepts: poppler's pdfsig still says "Signature is Valid" for each of them.
It also signs with certificates whose status changes the verdict: revoked before signing,
revoked after a timestamped signature, expired before signing. Every file is regenerated
together, since they share that PKI.

The PKI is backdated three years, so that the expired certificate was issued inside its
CA's lifetime, and its CAs and timestamp authority live fifty years rather than the
development PKI's ten and five, so that the samples keep their verdicts for decades.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from unittest import mock

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.validation import DocumentSecurityStore

from docsvc.demo.sample_pdfs import demo_documents
from signing import dev_pki
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki, issue_official
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import Revocation, build_crl
from signing.tsa import tsa_config

OUT = Path(__file__).parent / "signed"
INSTITUTION = "Ministerio de Pruebas"
PIN = "1234"
TSA_POLICY = "2.25.329800735698586629295641978511506172918"
BACKDATED = dt.timedelta(days=3 * 365)
FORGED_TEXT = b"BT /F1 24 Tf 72 600 Td (RESOLUCION ANULADA - PAGUESE USD 999.999) Tj ET"


def _writer(signed: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)


def _finish(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _first_page(
    writer: IncrementalPdfFileWriter,
) -> tuple[generic.DictionaryObject, generic.IndirectObject]:
    ref = writer.root["/Pages"].raw_get("/Kids")[0]
    page = ref.get_object()
    assert isinstance(page, generic.DictionaryObject)
    return page, ref


def replace_page_content(signed: bytes) -> bytes:
    """The page's content stream swapped for forged text, in an update after signing."""
    writer = _writer(signed)
    page, _ = _first_page(writer)
    forged = writer.add_object(generic.StreamObject(stream_data=FORGED_TEXT))
    page["/Contents"] = forged
    writer.update_container(page)
    return _finish(writer)


def add_page(signed: bytes) -> bytes:
    """A whole new page appended after signing."""
    writer = _writer(signed)
    page, _ = _first_page(writer)
    content = writer.add_object(generic.StreamObject(stream_data=FORGED_TEXT))
    new_page = generic.DictionaryObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/Page"),
            generic.NameObject("/MediaBox"): page["/MediaBox"],
            generic.NameObject("/Resources"): page["/Resources"],
            generic.NameObject("/Contents"): content,
        }
    )
    writer.insert_page(new_page)
    return _finish(writer)


def overlay_annotation(signed: bytes) -> bytes:
    """An opaque annotation drawn over the signed text, hiding it from readers."""
    writer = _writer(signed)
    page, _ = _first_page(writer)
    appearance = writer.add_object(
        generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 470, 300)]
                ),
            },
            stream_data=b"1 1 1 rg 0 0 470 300 re f",
        )
    )
    annotation = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Square"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (60, 450, 530, 750)]
                ),
                generic.NameObject("/F"): generic.NumberObject(4),
                generic.NameObject("/IC"): generic.ArrayObject([generic.FloatObject(1)] * 3),
                generic.NameObject("/AP"): generic.DictionaryObject(
                    {generic.NameObject("/N"): appearance}
                ),
            }
        )
    )
    page["/Annots"] = generic.ArrayObject([annotation])
    writer.update_container(page)
    return _finish(writer)


def byte_changed_in_signed_range(signed: bytes) -> bytes:
    data = bytearray(signed)
    data[data.index(b"stream\n") + 20] ^= 0x01
    return bytes(data)


def long_lived_pki(now: dt.datetime) -> DevPki:
    with mock.patch.multiple(dev_pki, ROOT_YEARS=60, ISSUING_YEARS=50, SERVICE_YEARS=50):
        return create_dev_pki(INSTITUTION, PkiUrls("http://127.0.0.1:8000"), now=now - BACKDATED)


def official(
    pki: DevPki, name: str, username: str, issued: dt.datetime, years: int = 30
) -> OfficialCertificate:
    return issue_official(
        pki,
        full_name=name,
        username=username,
        organisation=INSTITUTION,
        position="Directora" if name.endswith("a") else "Director",
        pin=PIN,
        now=issued,
        years=years,
    )


def timestamper(pki: DevPki) -> LocalTimeStamper:
    chain = [c.public_bytes(Encoding.DER) for c in (pki.issuing.certificate, pki.root.certificate)]
    return LocalTimeStamper(tsa_config(pki.tsa, chain, TSA_POLICY))


def add_crl_to_dss(path: Path, pki: DevPki, crl: bytes) -> None:
    """An incremental update adding ``crl`` (and the CA that signed it) to the DSS, as a
    B-LT signer or a later archivist would: pyHanko refuses to embed validation data for
    a revoked certificate itself, so the DSS is written directly."""
    buffer = io.BytesIO(path.read_bytes())
    DocumentSecurityStore.add_dss(
        buffer,
        None,
        certs=[asn1_x509.Certificate.load(pki.issuing.certificate.public_bytes(Encoding.DER))],
        crls=[asn1_crl.CertificateList.load(crl)],
        strict=False,
    )
    path.write_bytes(buffer.getvalue())


def revoked_before_signing(pki: DevPki, unsigned: Path, now: dt.datetime) -> None:
    """Revoked yesterday, signed today at B-T (the timestamp proves today), and the CRL
    listing the revocation added to the DSS: invalid, offline."""
    revoked = official(pki, "Rosa Revocada", "rrevocada", now - BACKDATED)
    target = OUT / "attack_revoked_before_signing.pdf"
    key = unlock_pkcs12(revoked.pkcs12, PIN)
    sign_file(unsigned, target, key, SignatureRequest(Level.B_T), timestamper(pki))
    revocation = Revocation(
        revoked.certificate.serial_number,
        now - dt.timedelta(days=1),
        x509.ReasonFlags.key_compromise,
    )
    add_crl_to_dss(target, pki, build_crl(pki, [revocation], number=2, now=now))


def revoked_after_signing(pki: DevPki, unsigned: Path) -> None:
    """Signed at B-LT with the CA's (empty) CRL, then revoked, and the CRL listing the
    revocation added to the DSS: still valid, since the timestamp proves the signature came
    first."""
    later = official(pki, "Luis Posterior", "lposterior", dt.datetime.now(dt.UTC) - BACKDATED)
    target = OUT / "signed_revoked_after_signing_b_lt.pdf"
    root = pki.root.certificate.public_bytes(Encoding.DER)
    material = ValidationMaterial(trust_roots=(root,), crls=(build_crl(pki, [], number=1),))
    key = unlock_pkcs12(later.pkcs12, PIN)
    sign_file(unsigned, target, key, SignatureRequest(Level.B_LT), timestamper(pki), material)
    # The timestamp is at most "now"; the revocation comes a second later.
    revoked_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    revocation = Revocation(later.certificate.serial_number, revoked_at)
    crl = build_crl(pki, [revocation], number=3, now=revoked_at + dt.timedelta(seconds=1))
    add_crl_to_dss(target, pki, crl)


def expired_certificate(pki: DevPki, unsigned: Path, now: dt.datetime) -> None:
    """A one-year certificate issued three years ago, used today at B-T: the timestamp
    proves the signature was made two years after the certificate expired."""
    expired = official(pki, "Jorge Caducado", "jcaducado", now - BACKDATED, years=1)
    key = unlock_pkcs12(expired.pkcs12, PIN)
    sign_file(
        unsigned,
        OUT / "signed_expired_certificate.pdf",
        key,
        SignatureRequest(Level.B_T),
        timestamper(pki),
    )


def main() -> None:
    OUT.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    pki = long_lived_pki(now)
    ministra = official(pki, "Ana María Rojas", "ministra", now - BACKDATED)
    (OUT / "pki_root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    unsigned = OUT / "unsigned_resolution.pdf"
    unsigned.write_bytes(demo_documents()[1].pdf)
    signed_path = OUT / "signed_b_b.pdf"
    sign_file(
        unsigned, signed_path, unlock_pkcs12(ministra.pkcs12, PIN), SignatureRequest(Level.B_B)
    )
    signed = signed_path.read_bytes()
    attacks = {
        "attack_replaced_page_content.pdf": replace_page_content,
        "attack_added_page.pdf": add_page,
        "attack_overlay_annotation.pdf": overlay_annotation,
        "attack_byte_changed_in_signed_range.pdf": byte_changed_in_signed_range,
    }
    for name, attack in attacks.items():
        (OUT / name).write_bytes(attack(signed))
        print(f"wrote {OUT / name}")
    revoked_before_signing(pki, unsigned, now)
    revoked_after_signing(pki, unsigned)
    expired_certificate(pki, unsigned, now)
    for name in (
        "attack_revoked_before_signing.pdf",
        "signed_revoked_after_signing_b_lt.pdf",
        "signed_expired_certificate.pdf",
    ):
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
