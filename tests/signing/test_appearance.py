"""The visible signature stamp: a widget with a real place and appearance, the texts in
Spanish, a QR code that carries the verification URL, and only embedded fonts."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
import qrcode

from docsvc.demo.sample_pdfs import demo_documents
from signing import SigningError
from signing.appearance import QR_MASK_PATTERN, StampSpec, font_program, stamp_font_bytes
from signing.dev_pki import DevPki, OfficialCertificate
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    SigningKey,
    sign_file,
    unlock_pkcs12,
)
from signing.verification import VerificationPolicy, verify
from tests.support.pdfsig import run_pdfsig
from tests.support.pki import PIN, material, root_der

CODE = "K7QW-2MZC-8RTA-5VHN"
URL = f"https://docsvc.example.gob.ec/verificar/{CODE}"
STAMP = StampSpec(verification_url=URL, verification_code=CODE)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdfsig") is None,
    reason="poppler-utils is installed by make test",
)


@pytest.fixture(scope="module")
def key(official: OfficialCertificate) -> SigningKey:
    return unlock_pkcs12(official.pkcs12, PIN)


@pytest.fixture(scope="module")
def two_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "lista.pdf"
    path.write_bytes(demo_documents()[2].pdf)
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 2
    return path


@pytest.fixture(scope="module")
def blank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A page with no font at all, so that every font in the signed file is the stamp's."""
    path = tmp_path_factory.mktemp("pdf") / "blank.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(595, 842))
        pdf.save(path)
    return path


@dataclass(frozen=True)
class Field:
    rect: tuple[float, ...]
    lines: list[str]
    """The stamp's text lines; none for an invisible signature."""


def _fields(path: Path) -> dict[str, Field]:
    with pikepdf.open(path) as pdf:
        return {
            str(f.T): Field(_rect(f), _stamp_lines(f.AP.N) if "/AP" in f else [])
            for f in pdf.Root.AcroForm.Fields
        }


def _stamp_lines(appearance: pikepdf.Stream) -> list[str]:
    """The stamp's text lines, from the /ActualText of each shaped line."""
    return [
        str(operands[1].ActualText)
        for operands, operator in pikepdf.parse_content_stream(appearance)
        if operator == pikepdf.Operator("BDC")
    ]


def _rect(field: pikepdf.Dictionary) -> tuple[float, ...]:
    return tuple(float(v) for v in field.get("/Rect", pikepdf.Array([0, 0, 0, 0])))


def _pdffonts(path: Path) -> list[tuple[str, str]]:
    """(name, emb) for each font pdffonts lists."""
    out = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    header = out[0]
    emb = header.index("emb")
    return [(line.split()[0], line[emb : emb + 3].strip()) for line in out[2:] if line.strip()]


def test_a_visible_stamp_has_a_place_an_appearance_and_the_spanish_texts(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
    with pikepdf.open(signed) as pdf:
        (field,) = pdf.Root.AcroForm.Fields
        assert str(field.T) == "Firma1"
        x1, y1, x2, y2 = _rect(field)
        assert x2 - x1 > 100 and y2 - y1 > 50
        assert field.P.objgen == pdf.pages[-1].obj.objgen
        appearance = field.AP.N
        lines = _stamp_lines(appearance)
    assert lines[:3] == ["Firmado electrónicamente por:", "Ana María Rojas", "Cargo: Ministra"]
    assert re.fullmatch(r"Fecha: \d\d/\d\d/\d{4} \d\d:\d\d:\d\d \S+", lines[3]), lines[3]
    assert lines[4:] == ["Código seguro de verificación:", CODE, URL]


def test_the_qr_code_carries_the_verification_url(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
    with pikepdf.open(signed) as pdf:
        (field,) = pdf.Root.AcroForm.Fields
        drawing = field.AP.N.Resources.XObject.QR.read_bytes().decode("ascii")
    # The QR form draws one unit square per dark module: "col row 1 1 re".
    drawn = {(int(r), int(c)) for c, r in re.findall(r"^(\d+) (\d+) 1 1 re$", drawing, re.M)}
    expected = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK_PATTERN
    )
    expected.add_data(URL)
    expected.make()
    modules = expected.modules
    dark = {(r, c) for r, row in enumerate(modules) for c, cell in enumerate(row) if cell}
    assert drawn == dark


def test_the_stamp_takes_names_and_position_from_the_caller_on_one_line_each(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    stamp = StampSpec(
        verification_url=URL,
        verification_code=CODE,
        signer_name="Ana Mari\u0301a\nRojas",  # decomposed accent and a line break
        position="Ministra (S)",
    )
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=stamp))
    lines = _fields(signed)["Firma1"].lines
    assert lines[1:3] == ["Ana María Rojas", "Cargo: Ministra (S)"]


@pytest.mark.parametrize("level", [Level.B_B, Level.B_LT])
def test_visible_stamps_verify_valid(
    pki: DevPki,
    key: SigningKey,
    timestamper: LocalTimeStamper,
    unsigned: Path,
    tmp_path: Path,
    level: Level,
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(
        unsigned, signed, key, SignatureRequest(level, stamp=STAMP), timestamper, material(pki)
    )
    report = verify(signed, VerificationPolicy([root_der(pki)])).report
    assert report.verdict == "valid", report
    (signature,) = report.signatures
    assert signature.level == level.value
    assert signature.field == "Firma1"


def test_signatures_stay_invisible_without_a_stamp(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B))
    x1, y1, x2, y2 = _fields(signed)["Firma1"].rect
    assert (x2 - x1) * (y2 - y1) == 0


def test_later_stamps_stack_instead_of_overprinting(
    pki: DevPki, key: SigningKey, two_pages: Path, tmp_path: Path
) -> None:
    current = two_pages
    for number in range(1, 4):
        signed = tmp_path / f"signed{number}.pdf"
        sign_file(current, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
        current = signed
    fields = _fields(current)
    assert sorted(fields) == ["Firma1", "Firma2", "Firma3"]
    rects = [fields[name].rect for name in sorted(fields)]
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    with pikepdf.open(current) as pdf:
        last = pdf.pages[-1].obj.objgen
        assert all(f.P.objgen == last for f in pdf.Root.AcroForm.Fields)
    assert verify(current, VerificationPolicy([root_der(pki)])).report.verdict == "valid"


def test_the_caller_chooses_page_and_box(key: SigningKey, two_pages: Path, tmp_path: Path) -> None:
    signed = tmp_path / "signed.pdf"
    stamp = StampSpec(URL, CODE, page=0, box=(300, 700, 540, 780))
    sign_file(two_pages, signed, key, SignatureRequest(Level.B_B, stamp=stamp))
    with pikepdf.open(signed) as pdf:
        (field,) = pdf.Root.AcroForm.Fields
        assert _rect(field) == (300, 700, 540, 780)
        assert field.P.objgen == pdf.pages[0].obj.objgen


def test_bad_stamps_are_refused(key: SigningKey, unsigned: Path, tmp_path: Path) -> None:
    with pytest.raises(SigningError, match="URL and code"):
        StampSpec(verification_url=" ", verification_code=CODE)
    with pytest.raises(SigningError, match="no area"):
        StampSpec(URL, CODE, box=(100, 100, 100, 200))
    with pytest.raises(SigningError, match="no page index"):
        sign_file(
            unsigned,
            tmp_path / "out.pdf",
            key,
            SignatureRequest(Level.B_B, stamp=StampSpec(URL, CODE, page=5)),
        )


def test_the_field_name_is_the_next_free_firma_n(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    # A text field already called Firma1 (some forms have one) is skipped too.
    with_text_field = tmp_path / "form.pdf"
    with pikepdf.open(unsigned) as pdf:
        text_field = pdf.make_indirect(pikepdf.Dictionary(FT=pikepdf.Name.Tx, T="Firma1"))
        pdf.Root.AcroForm = pdf.make_indirect(
            pikepdf.Dictionary(Fields=pikepdf.Array([text_field]))
        )
        pdf.save(with_text_field)
    first = tmp_path / "first.pdf"
    second = tmp_path / "second.pdf"
    assert sign_file(with_text_field, first, key, SignatureRequest(Level.B_B)) == "Firma2"
    assert sign_file(first, second, key, SignatureRequest(Level.B_B, stamp=STAMP)) == "Firma3"
    assert sorted(_fields(second)) == ["Firma1", "Firma2", "Firma3"]
    assert _fields(second)["Firma3"].lines[-1] == URL
    named = tmp_path / "named.pdf"
    assert sign_file(first, named, key, SignatureRequest(Level.B_B, field_name="Visto")) == "Visto"


def test_the_packaged_font_is_rescaled_to_pdf_text_units() -> None:
    # pyHanko writes widths in font units; at 1000 units per em they are PDF text units.
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(stamp_font_bytes()))
    assert font["head"].unitsPerEm == 1000
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in "ÁÉÍÓÚÜÑáéíóúüñ¿¡ºª€№")


def _embedded_font_program(path: Path) -> bytes:
    with pikepdf.open(path) as pdf:
        (field,) = pdf.Root.AcroForm.Fields
        (font,) = field.AP.N.Resources.Font.values()
        return bytes(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())


def test_stamps_of_different_documents_share_one_cached_font_program(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    """The stamp embeds printable ASCII whatever it prints, so that a batch's stamps reuse
    one font program instead of subsetting the font for each; the program still has a
    glyph for every character the stamp shows."""
    from fontTools.ttLib import TTFont

    programs = []
    for code in ("AAAA-BBBB-CCCC-DDDD", "WXYZ-2345-6789-QRST"):
        stamp = StampSpec(
            verification_url=f"https://x.example/verificar/{code}", verification_code=code
        )
        signed = tmp_path / f"{code}.pdf"
        sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=stamp))
        programs.append(_embedded_font_program(signed))
    assert programs[0] == programs[1]
    assert font_program.cache_info().hits >= 1
    font = TTFont(io.BytesIO(programs[0]))
    glyphs = font["glyf"]
    cmap = font.getBestCmap()
    shown = "Firmado electrónicamente por: Ana María Rojas Cargo: Ministra Código seguro"
    shown += " de verificación: AAAA-BBBB-CCCC-DDDD WXYZ-2345-6789-QRST 0123456789/:"
    for char in set(shown) - {" "}:
        glyph = glyphs[cmap[ord(char)]]
        assert glyph.numberOfContours != 0, char  # kept, not emptied by the subset
    assert len(programs[0]) < 40_000


@needs_poppler
def test_every_font_of_a_stamped_signature_is_embedded(
    key: SigningKey, blank: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(blank, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
    fonts = _pdffonts(signed)
    assert fonts, "the stamp's font should be listed"
    assert all(emb == "yes" for _, emb in fonts), fonts
    assert all("DejaVuSans" in name for name, _ in fonts), fonts


@needs_poppler
def test_signing_a_demo_document_adds_only_embedded_fonts(
    key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
    before = _pdffonts(unsigned)
    added = _pdffonts(signed)[len(before) :]
    assert added
    assert all(emb == "yes" for _, emb in added), added


@needs_poppler
def test_pdfsig_accepts_a_stamped_signature(
    pki: DevPki, key: SigningKey, unsigned: Path, tmp_path: Path
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_file(unsigned, signed, key, SignatureRequest(Level.B_B, stamp=STAMP))
    out = run_pdfsig(signed, nss=None)  # the signature only, not the certificate
    assert "Signature is Valid." in out, out
