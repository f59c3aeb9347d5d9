"""Re-create the signed samples and the attacks on them in tests/data/signed/.

Run from the project root:  .venv/bin/python tests/data/make_signed_attacks.py
It makes a throwaway test PKI (its root is committed as pki_root.pem; no private key is
kept), signs a resolution at B-B, then attacks it with incremental updates that a weak
validator accepts: poppler's pdfsig still says "Signature is Valid" for each of them.
Every file is regenerated together, since they share that PKI.
"""

from __future__ import annotations

import io
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from docsvc.demo.sample_pdfs import demo_documents
from signing.dev_pki import PkiUrls, create_dev_pki, issue_official
from signing.pades import Level, SignatureRequest, sign_file, unlock_pkcs12

OUT = Path(__file__).parent / "signed"
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


def main() -> None:
    OUT.mkdir(exist_ok=True)
    pki = create_dev_pki("Ministerio de Pruebas", PkiUrls("http://127.0.0.1:8000"))
    official = issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio de Pruebas",
        position="Ministra",
        pin="1234",
        years=30,
    )
    (OUT / "pki_root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    unsigned = OUT / "unsigned_resolution.pdf"
    unsigned.write_bytes(demo_documents()[1].pdf)
    signed_path = OUT / "signed_b_b.pdf"
    sign_file(
        unsigned, signed_path, unlock_pkcs12(official.pkcs12, "1234"), SignatureRequest(Level.B_B)
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


if __name__ == "__main__":
    main()
