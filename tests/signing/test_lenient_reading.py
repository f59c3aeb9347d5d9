"""Lenient reading, strict judging: a deviation from ISO 32000 that touches nothing a
signature covers is a warning with a code, never "cannot be read".

The property test mutates a signed resolution by every deviation ``signing.lenient_reading``
tolerates, alone and together, and checks that whenever pyHanko alone (default settings, no
docsvc patches) finds the signature intact, docsvc reads the file too, keeps the verdict
``valid`` and names each deviation.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pikepdf
import pytest
from asn1crypto import x509 as asn1_x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import form_rules_api
from pyhanko.sign.signers import pdf_signer
from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from docsvc.documents.pdf_inspection import PdfLimits, inspect_pdf
from signing import lenient_reading
from signing.dev_pki import DevPki, OfficialCertificate
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file, unlock_pkcs12
from signing.verification import VerificationPolicy, verify
from tests.support.pki import PIN, root_der

TIMESTAMP_TYPES = ("/DocTimeStamp", "/Sig", None)


@dataclass(frozen=True)
class Deviations:
    layout: str  # how the unsigned file is written: as made, object streams, linearised
    trailer_dangling: int | None  # /AdditionalStreams to /Size + n, LibreOffice-style
    resource_dangling: bool  # a font resource pointing nowhere, inside the signed content
    field_name: str | None  # a text field whose partial name has a period
    timestamp_type: str | bool | None  # a document timestamp's /Type; False: none added
    dss_dangling: bool  # a DSS added after signing, one of its entries pointing nowhere
    trailing: bytes  # padding after the last %%EOF

    def expected_codes(self) -> set[str]:
        codes = set()
        # A dangling font in the signed content is never read to verify: it must not make
        # the file unreadable, but nothing meets it to warn about.
        if self.trailer_dangling is not None or self.dss_dangling:
            codes.add("dangling_reference")
        if self.field_name is not None:
            codes.add("field_name_period")
        if self.timestamp_type is not False and self.timestamp_type != "/DocTimeStamp":
            codes.add("timestamp_dictionary_type")
        if self.trailing.strip(b"\r\n"):
            codes.add("trailing_bytes")
        return codes


deviations = st.builds(
    Deviations,
    layout=st.sampled_from(["as_made", "object_streams", "linearized"]),
    trailer_dangling=st.none() | st.integers(0, 40),
    resource_dangling=st.booleans(),
    field_name=st.none() | st.sampled_from(["datos.nombre", "a.b", "monto.total.usd"]),
    timestamp_type=st.sampled_from([False, *TIMESTAMP_TYPES]),
    dss_dangling=st.booleans(),
    trailing=st.sampled_from([b"", b"\n", b"\r\n\x00\x00\x00", b"    \n\n"]),
)


def _finish(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def relaid(data: bytes, layout: str) -> bytes:
    if layout == "as_made":
        return data
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            linearize=layout == "linearized",
        )
    return out.getvalue()


def with_dangling_trailer_entry(data: bytes, beyond_size: int) -> bytes:
    """An update of only a cross-reference section and a trailer naming an object at or past
    ``/Size``, as LibreOffice's hybrid PDF/ODF export leaves ``/AdditionalStreams``."""
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    trailer = reader.trailer
    size = int(trailer["/Size"])
    root = trailer.raw_get("/Root")
    previous = reader.xrefs.get_startxref_for_revision(reader.xrefs.total_revisions - 1)
    ident = trailer["/ID"] if "/ID" in trailer else None  # noqa: SIM401 - not a dict
    ident_text = (
        f"/ID [<{ident[0].original_bytes.hex()}> <{ident[1].original_bytes.hex()}>] "
        if ident is not None
        else ""
    )
    body = data if data.endswith(b"\n") else data + b"\n"
    update = (
        f"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size {size} /Root {root.idnum} "
        f"{root.generation} R /Prev {previous} {ident_text}"
        f"/AdditionalStreams [/content.xml {size + beyond_size} 0 R] >>\n"
        f"startxref\n{len(body)}\n%%EOF\n"
    ).encode()
    return body + update


def with_text_field(data: bytes, name: str) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
    page = page_ref.get_object()
    appearance = writer.add_object(
        generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 200, 20)]
                ),
            },
            stream_data=b"",
        )
    )
    field = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/FT"): generic.NameObject("/Tx"),
                generic.NameObject("/T"): generic.TextStringObject(name),
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (300, 60, 500, 80)]
                ),
                generic.NameObject("/P"): page_ref,
                generic.NameObject("/AP"): generic.DictionaryObject(
                    {generic.NameObject("/N"): appearance}
                ),
            }
        )
    )
    annotations = page.get("/Annots") or generic.ArrayObject()
    page[generic.NameObject("/Annots")] = generic.ArrayObject([*annotations, field])
    writer.update_container(page)
    writer.root[generic.NameObject("/AcroForm")] = generic.DictionaryObject(
        {generic.NameObject("/Fields"): generic.ArrayObject([field])}
    )
    writer.update_root()
    return _finish(writer)


def with_dangling_font(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    page = writer.root["/Pages"].raw_get("/Kids")[0].get_object()
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    fonts = generic.DictionaryObject(dict(resources.get("/Font", {}).items()))
    size = int(writer.prev.trailer["/Size"])
    fonts[generic.NameObject("/FNone")] = generic.IndirectObject(size + 500, 0, writer)
    resources[generic.NameObject("/Font")] = fonts
    page[generic.NameObject("/Resources")] = resources
    writer.update_container(page)
    return _finish(writer)


def with_dangling_dss(data: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    size = int(writer.prev.trailer["/Size"])
    dss = writer.add_object(
        generic.DictionaryObject(
            {
                generic.NameObject("/Certs"): generic.ArrayObject(
                    [generic.IndirectObject(size + 900, 0, writer)]
                )
            }
        )
    )
    writer.root[generic.NameObject("/DSS")] = dss
    writer.update_root()
    return _finish(writer)


def with_document_timestamp(data: bytes, stamper: LocalTimeStamper, kind: str | None) -> bytes:
    """A document timestamp whose dictionary says ``/Type kind`` (or has none)."""

    class Typed(DocumentTimestamp):
        def __init__(self, bytes_reserved: int | None = None) -> None:
            super().__init__(bytes_reserved=bytes_reserved)
            if kind is None:
                del self["/Type"]
            else:
                self["/Type"] = generic.NameObject(kind)

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    with mock.patch.object(pdf_signer, "DocumentTimestamp", Typed):
        out = pdf_signer.PdfTimeStamper(stamper).timestamp_pdf(writer, "sha256")
    return bytes(out.getbuffer())


def pyhanko_alone(path: Path, root: bytes) -> list[bool] | None:
    """Whether plain pyHanko finds each signature intact; None when it cannot read the file."""

    async def check() -> list[bool]:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)])
            found = []
            for embedded in reader.embedded_signatures:
                if embedded.sig_object_type == "/DocTimeStamp":
                    continue
                status = await async_validate_pdf_signature(embedded, context)
                found.append(bool(status.intact))
            return found

    with lenient_reading.suspended():
        try:
            return asyncio.run(check())
        except Exception:  # pyHanko alone refuses the file: nothing to compare with
            return None


@pytest.fixture(scope="module")
def signer(official: OfficialCertificate) -> object:
    return unlock_pkcs12(official.pkcs12, PIN)


def build(
    deviation: Deviations,
    unsigned: Path,
    work: Path,
    key: object,
    stamper: LocalTimeStamper,
) -> Path:
    data = relaid(unsigned.read_bytes(), deviation.layout)
    if deviation.resource_dangling:
        data = with_dangling_font(data)
    if deviation.field_name is not None:
        data = with_text_field(data, deviation.field_name)
    if deviation.trailer_dangling is not None:
        data = with_dangling_trailer_entry(data, deviation.trailer_dangling)
    source, signed = work / "in.pdf", work / "signed.pdf"
    source.write_bytes(data)
    sign_file(source, signed, key, SignatureRequest(Level.B_B))  # type: ignore[arg-type]
    data = signed.read_bytes()
    if deviation.dss_dangling:
        data = with_dangling_dss(data)
    if deviation.timestamp_type is not False:
        data = with_document_timestamp(data, stamper, deviation.timestamp_type or None)
    signed.write_bytes(data + deviation.trailing)
    return signed


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(deviation=deviations)
def test_deviations_never_make_a_readable_file_unreadable(
    deviation: Deviations,
    unsigned: Path,
    tmp_path: Path,
    signer: object,
    timestamper: LocalTimeStamper,
    pki: DevPki,
) -> None:
    path = build(deviation, unsigned, tmp_path, signer, timestamper)
    root = root_der(pki)
    alone = pyhanko_alone(path, root)
    report = verify(
        path, VerificationPolicy([root])
    ).report  # raises UnreadableDocument if docsvc cannot read it
    (signature,) = report.signatures
    if alone:
        assert alone == [True]
        assert signature.intact
    assert report.verdict == "valid", report.as_json()
    assert signature.modifications_after in ("none", "lta_updates"), report.as_json()
    codes = {w.code for w in report.warnings}
    assert deviation.expected_codes() <= codes, (codes, deviation)
    # Registering such a file (an incoming letter signed elsewhere) accepts it too, except
    # where pyHanko's writer gave a later cross-reference stream the very number the trailer
    # entry names: that stream's dictionary then refers to itself, which qpdf cannot read.
    if not _xref_stream_refers_to_itself(path, deviation):
        assert inspect_pdf(path, PdfLimits()).pages == 1


def _xref_stream_refers_to_itself(path: Path, deviation: Deviations) -> bool:
    if deviation.trailer_dangling is None:
        return False
    with path.open("rb") as handle:
        reader = PdfFileReader(handle, strict=False)
        named = {
            item.idnum
            for item in reader.trailer["/AdditionalStreams"]
            if isinstance(item, generic.IndirectObject)
        }
        return any(ref.idnum in named for ref in reader.xrefs.xref_stream_refs)


def test_a_timestamp_typed_sig_is_still_a_b_lta_timestamp(
    unsigned: Path,
    tmp_path: Path,
    signer: object,
    timestamper: LocalTimeStamper,
    pki: DevPki,
) -> None:
    """The signature's level reads B-LTA when the DSS is followed by such a timestamp."""
    from signing.pades import ValidationMaterial
    from signing.revocation import build_crl

    material = ValidationMaterial(
        trust_roots=(root_der(pki),), crls=(build_crl(pki, [], number=1),)
    )
    lt = tmp_path / "lt.pdf"
    sign_file(unsigned, lt, signer, SignatureRequest(Level.B_LT), timestamper, material)  # type: ignore[arg-type]
    for kind in ("/Sig", None):
        path = tmp_path / f"lta-{(kind or 'none').strip('/')}.pdf"
        path.write_bytes(with_document_timestamp(lt.read_bytes(), timestamper, kind))
        report = verify(path, VerificationPolicy([root_der(pki)])).report
        (signature,) = report.signatures
        assert report.verdict == "valid", report.as_json()
        assert signature.level == "B-LTA"
        assert signature.modifications_after == "lta_updates"
        assert [w.code for w in report.warnings] == ["timestamp_dictionary_type"]


def test_pyhanko_alone_still_refuses_what_is_tolerated(unsigned: Path, tmp_path: Path) -> None:
    """Each patch of ``signing.lenient_reading`` is still needed: when an upgrade of pyHanko
    tolerates one of these, this fails and the patch can go."""
    with lenient_reading.suspended():
        reader = PdfFileReader(io.BytesIO(unsigned.read_bytes()), strict=False)
        with pytest.raises(KeyError):
            reader.xrefs.get_introducing_revision(generic.Reference(10_000, 0))
        named = PdfFileReader(
            io.BytesIO(with_text_field(unsigned.read_bytes(), "a.b")), strict=False
        )
        fields = named.root["/AcroForm"]["/Fields"]
        with pytest.raises(Exception, match="periods"):
            list(form_rules_api._list_fields(fields, fields, None))
