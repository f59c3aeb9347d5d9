"""The demo documents are PDF/A-2b (ISO 19005-2, level B), and a demo resolution signed with
a visible stamp, at B-B and at B-LT, still carries everything PDF/A-2b asks of it.

veraPDF, the reference PDF/A validator, would settle this in one call, but it is a Java
application that is not installed here and is not downloaded by the tests. These tests
check instead, one by one, the PDF/A-2b requirements that the document generator or the
signing engine could break: every font embedded, with /Widths that agree with the font
program and a glyph for every character shown; the XMP packet with ``pdfaid:part`` 2 and
``pdfaid:conformance`` B, agreeing with the information dictionary; an output intent with
an ICC v2 RGB profile, which device colours (the stamp's DeviceRGB QR code) need; a file
/ID, no encryption, the binary comment after the header, no LZW and no transparency.
When pikepdf's optional PDF/A validator is installed (``pip install 'pikepdf[pdfa]'``),
the unsigned documents and the stamp's appearance also go through it.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pikepdf
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from fontTools.ttLib import TTFont
from PIL import Image, ImageCms

from docsvc.demo import sample_pdfs
from docsvc.demo.sample_pdfs import DemoDocument, demo_documents, srgb_icc_profile
from signing.appearance import StampSpec
from signing.dev_pki import DevPki, OfficialCertificate, PkiUrls, create_dev_pki, issue_official
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import build_crl
from signing.tsa import tsa_config
from signing.verification import VerificationPolicy, verify

try:  # optional: needs jsonschema and referencing besides pikepdf
    from pikepdf import pdfa as pikepdf_pdfa
except ImportError:
    pikepdf_pdfa = None

POLICY = "2.25.329800735698586629295641978511506172918"
PIN = "2468"
CODE = "K7QW-2MZC-8RTA-5VHN"
STAMP = StampSpec(
    verification_url=f"https://docsvc.example.gob.ec/verificar/{CODE}", verification_code=CODE
)

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PDFAID_PART = "{http://www.aiim.org/pdfa/ns/id/}part"
PDFAID_CONFORMANCE = "{http://www.aiim.org/pdfa/ns/id/}conformance"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
PDF_PRODUCER = "{http://ns.adobe.com/pdf/1.3/}Producer"

DOCUMENTS = demo_documents()

needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdffonts, pdftotext) is not installed; the test command installs it",
)
needs_qpdf = pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
needs_pikepdf_pdfa = pytest.mark.skipif(
    pikepdf_pdfa is None, reason="pikepdf's PDF/A validator needs pip install 'pikepdf[pdfa]'"
)


def _by_key(documents: list[DemoDocument]) -> list[object]:
    return [pytest.param(document, id=document.key) for document in documents]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("demo")
    paths = {}
    for document in DOCUMENTS:
        paths[document.key] = folder / f"{document.key}.pdf"
        paths[document.key].write_bytes(document.pdf)
    return paths


# The checks --------------------------------------------------------------------------------


def _xmp_properties(packet: bytes) -> dict[str, str]:
    """Simple properties and the default entry of arrays, from element or attribute form
    (our generator writes elements, pyHanko rewrites the packet with attributes)."""
    root = ElementTree.fromstring(packet)  # noqa: S314 - our own packet, or pyHanko's
    properties: dict[str, str] = {}
    for description in root.iter(f"{RDF}Description"):
        properties.update(description.attrib)
        for child in description:
            items = list(child.iter(f"{RDF}li"))
            if not items:
                properties[child.tag] = child.text or ""
                continue
            default = [i for i in items if i.get(XML_LANG) == "x-default"] or items
            properties[child.tag] = default[0].text or ""
    return properties


def _metadata_problems(pdf: pikepdf.Pdf) -> list[str]:
    metadata = pdf.Root.get("/Metadata")
    if not isinstance(metadata, pikepdf.Stream):
        return ["the catalog has no /Metadata stream"]
    problems = []
    if metadata.get("/Type") != pikepdf.Name.Metadata or metadata.get("/Subtype") != "/XML":
        problems.append("the metadata stream is not /Type /Metadata /Subtype /XML")
    packet = metadata.read_bytes()
    header = packet[: packet.find(b"?>")]
    if not packet.startswith(b"<?xpacket") or b"bytes=" in header or b"encoding=" in header:
        problems.append("the XMP packet header is missing or has bytes/encoding attributes")
    properties = _xmp_properties(packet)
    if properties.get(PDFAID_PART) != "2" or properties.get(PDFAID_CONFORMANCE) != "B":
        problems.append(f"the XMP does not declare PDF/A-2b: {properties}")
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        for key, prop in (("/Title", DC_TITLE), ("/Producer", PDF_PRODUCER)):
            if key in info and str(info[key]) != properties.get(prop):
                problems.append(f"Info {key} {info[key]!s} is not the XMP's {properties.get(prop)}")
    return problems


def _icc_problems(profile: bytes) -> list[str]:
    problems = []
    if len(profile) < 128 or int.from_bytes(profile[:4], "big") != len(profile):
        problems.append("the ICC profile's size is wrong")
    if profile[36:40] != b"acsp":
        problems.append("not an ICC profile (no 'acsp')")
    if profile[8] != 2:
        problems.append(f"ICC version {profile[8]}.{profile[9] >> 4}, not 2")
    if profile[12:24] != b"mntrRGB XYZ ":
        problems.append(f"not an RGB display profile: {profile[12:24]!r}")
    return problems


def _output_intent_problems(pdf: pikepdf.Pdf) -> list[str]:
    intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
    if len(intents) != 1:
        return [f"{len(intents)} PDF/A output intents, not one"]
    profile = intents[0].get("/DestOutputProfile")
    if not isinstance(profile, pikepdf.Stream):
        return ["the output intent has no DestOutputProfile"]
    problems = _icc_problems(profile.read_bytes())
    if profile.get("/N") != 3:
        problems.append(f"the profile's /N is {profile.get('/N')}, not 3")
    return problems


def _file_problems(data: bytes, pdf: pikepdf.Pdf) -> list[str]:
    problems = []
    if not re.match(rb"%PDF-1\.[4-7]\r?\n%[\x80-\xff]{4}", data):
        problems.append("no binary comment line after the header")
    file_id = pdf.trailer.get("/ID")
    if not isinstance(file_id, pikepdf.Array) or len(file_id) != 2:
        problems.append("no file /ID in the trailer")
    if pdf.is_encrypted or "/Encrypt" in pdf.trailer:
        problems.append("encrypted")
    check = getattr(pdf, "check_pdf_syntax", None) or pdf.check  # pikepdf 10 renamed it
    problems.extend(f"qpdf: {problem}" for problem in check())
    return problems


def _dictionaries(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary | pikepdf.Stream]:
    """Every dictionary and stream of the file, indirect or nested in another object."""
    pending = list(pdf.objects)
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            yield obj
            children = list(obj.values())
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        # Indirect children are in pdf.objects already.
        pending.extend(c for c in children if not getattr(c, "is_indirect", True))


def _object_problems(pdf: pikepdf.Pdf) -> list[str]:
    """LZW and transparency, anywhere in the file."""
    problems = []
    for obj in _dictionaries(pdf):
        where = f"object {obj.objgen}" if obj.is_indirect else "a direct object"
        filters = obj.get("/Filter")
        names = list(filters) if isinstance(filters, pikepdf.Array) else [filters]
        if pikepdf.Name.LZWDecode in names:
            problems.append(f"{where}: LZW")
        if "/SMask" in obj and obj.SMask != pikepdf.Name("/None"):
            problems.append(f"{where}: soft mask")
        for alpha in ("/CA", "/ca"):
            if alpha in obj and float(obj[alpha]) != 1:
                problems.append(f"{where}: {alpha} {obj[alpha]}")
        if "/BM" in obj and obj.BM not in (pikepdf.Name.Normal, pikepdf.Name.Compatible):
            problems.append(f"{where}: blend mode {obj.BM}")
        group = obj.get("/Group")
        if isinstance(group, pikepdf.Dictionary) and group.get("/S") == "/Transparency":
            problems.append(f"{where}: transparency group")
    return problems


def _shown_codes(pdf: pikepdf.Pdf) -> dict[tuple[int, int], set[int]]:
    """The character codes each page-content font shows."""
    shown: dict[tuple[int, int], set[int]] = {}
    for page in pdf.pages:
        fonts = page.Resources.get("/Font", pikepdf.Dictionary())
        codes: set[int] = set()
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Tf":
                codes = shown.setdefault(fonts[str(operands[0])].objgen, set())
            elif str(operator) in ("Tj", "'", '"'):
                codes.update(bytes(operands[-1]))
            elif str(operator) == "TJ":
                for item in operands[0]:
                    if isinstance(item, pikepdf.String):
                        codes.update(bytes(item))
    return shown


def _font_problems(pdf: pikepdf.Pdf) -> list[str]:
    """Every font embedded; for the simple TrueType fonts of the page content, /Widths equal
    to the program's advance widths (in 1/1000 em, give or take rounding) and a glyph in the
    program for every character shown, so that no text shows .notdef."""
    problems = []
    shown = _shown_codes(pdf)
    for obj in _dictionaries(pdf):
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != pikepdf.Name.Font:
            continue
        if obj.get("/Subtype") == pikepdf.Name.Type0:
            continue  # its descendant CIDFont is checked as a font of its own
        name = str(obj.get("/BaseFont"))
        descriptor = obj.get("/FontDescriptor", pikepdf.Dictionary())
        files = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
        if not files:
            problems.append(f"{name} is not embedded")
            continue
        if obj.get("/Subtype") != pikepdf.Name.TrueType:
            continue
        if obj.get("/Encoding") != pikepdf.Name.WinAnsiEncoding:
            problems.append(f"{name} is not WinAnsi-encoded")
            continue
        program = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
        cmap, units = program.getBestCmap(), program["head"].unitsPerEm
        first, widths = int(obj.FirstChar), [float(w) for w in obj.Widths]
        for code in range(first, first + len(widths)):
            char = bytes([code]).decode("cp1252", errors="ignore")
            if char and ord(char) in cmap:
                advance = program["hmtx"][cmap[ord(char)]][0] * 1000 / units
                if abs(widths[code - first] - advance) > 1:
                    problems.append(f"{name}: width of {char!r} {widths[code - first]}, {advance}")
        for code in sorted(shown.get(obj.objgen, set())):
            char = bytes([code]).decode("cp1252", errors="ignore")
            if not char or ord(char) not in cmap:
                problems.append(f"{name}: no glyph for code {code} ({char!r})")
    return problems


def _pdfa_problems(path: Path) -> list[str]:
    data = path.read_bytes()
    with pikepdf.open(path) as pdf:
        return [
            *_file_problems(data, pdf),
            *_metadata_problems(pdf),
            *_output_intent_problems(pdf),
            *_font_problems(pdf),
            *_object_problems(pdf),
        ]


def _pdffonts(path: Path) -> list[tuple[str, str]]:
    """(name, emb) for each font pdffonts lists."""
    out = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    emb = out[0].index("emb")
    return [(line.split()[0], line[emb : emb + 3].strip()) for line in out[2:] if line.strip()]


def _pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


# The unsigned demo documents -----------------------------------------------------------------


@pytest.mark.parametrize("document", _by_key(DOCUMENTS))
def test_each_demo_document_carries_what_pdfa_2b_needs(
    document: DemoDocument, written: dict[str, Path]
) -> None:
    assert _pdfa_problems(written[document.key]) == []


def test_the_checks_catch_the_old_standard_font_documents(tmp_path: Path) -> None:
    """The checker is not blind: a PDF like the demo documents used to be (Helvetica, not
    embedded, no XMP, no output intent) fails it on each count."""
    path = tmp_path / "helvetica.pdf"
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        )
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = pdf.make_stream(b"BT /F1 11 Tf 64 700 Td (Oficio) Tj ET")
        pdf.save(path)
    problems = _pdfa_problems(path)
    assert "the catalog has no /Metadata stream" in problems
    assert "0 PDF/A output intents, not one" in problems
    assert "/Helvetica is not embedded" in problems


def test_the_checks_catch_wrong_widths_missing_glyphs_and_transparency(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pdf"
    with pikepdf.open(io.BytesIO(DOCUMENTS[0].pdf)) as pdf:
        page = pdf.pages[0]
        font = page.Resources.Font.F1
        font.Widths[ord("A") - int(font.FirstChar)] = 667  # Helvetica's A
        content = page.Contents.read_bytes()
        page.Contents.write(content.replace(b"(PROCURADUR", b"(\x80PROCURADUR", 1))  # €
        page.Resources.ExtGState = pikepdf.Dictionary(GS1=pikepdf.Dictionary(ca=0.5))
        pdf.save(path)
    problems = _pdfa_problems(path)
    assert any(re.fullmatch(r"/\w+\+DejaVuSans: width of 'A' 667.*", p) for p in problems)
    assert any(re.fullmatch(r"/\w+\+DejaVuSans: no glyph for code 128.*", p) for p in problems)
    assert "a direct object: /ca 0.5" in problems


@needs_poppler
@pytest.mark.parametrize("document", _by_key(DOCUMENTS))
def test_poppler_finds_every_font_embedded_and_reads_the_text(
    document: DemoDocument, written: dict[str, Path]
) -> None:
    path = written[document.key]
    fonts = _pdffonts(path)
    assert [name.split("+", 1)[1] for name, _ in fonts] == ["DejaVuSans", "DejaVuSans-Bold"]
    assert all(emb == "yes" for _, emb in fonts), fonts
    text = _words(_pdftotext(path))
    assert _words(document.title) in text  # the title may wrap onto a second line
    first_line = document.paragraphs[0].splitlines()[0]
    assert _words(first_line)[:30] in text


def _qpdf_check(path: Path) -> None:
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_qpdf
@pytest.mark.parametrize("document", _by_key(DOCUMENTS))
def test_qpdf_finds_no_problem(document: DemoDocument, written: dict[str, Path]) -> None:
    _qpdf_check(written[document.key])


def test_the_output_intent_profile_is_srgb_in_icc_v2() -> None:
    profile = srgb_icc_profile()
    assert _icc_problems(profile) == []
    opened = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    assert opened.profile.version == pytest.approx(2.1)
    assert opened.profile.profile_description == "sRGB IEC61966-2.1"
    # Colours go through it unchanged, compared with the sRGB profile LittleCMS builds in.
    colours = bytes(range(256)) * 48
    image = Image.frombytes("RGB", (64, 64), colours)
    builtin = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    for intent in (ImageCms.Intent.PERCEPTUAL, ImageCms.Intent.RELATIVE_COLORIMETRIC):
        transform = ImageCms.buildTransform(opened, builtin, "RGB", "RGB", intent)
        converted = ImageCms.applyTransform(image, transform)
        assert converted is not None
        assert max(abs(a - b) for a, b in zip(converted.tobytes(), colours, strict=True)) <= 1


def test_generation_is_reproducible_from_cold_caches() -> None:
    before = [document.pdf for document in DOCUMENTS]
    sample_pdfs._face.cache_clear()
    sample_pdfs._subset.cache_clear()
    sample_pdfs.srgb_icc_profile.cache_clear()
    assert [document.pdf for document in demo_documents()] == before


@needs_pikepdf_pdfa
@pytest.mark.parametrize("document", _by_key(DOCUMENTS))
def test_pikepdfs_pdfa_validator_approves_each_document(
    document: DemoDocument, written: dict[str, Path]
) -> None:
    assert pikepdf_pdfa is not None
    report = pikepdf_pdfa.validate_written(written[document.key], "2b")
    assert report.passed, [str(finding) for finding in report.findings]


# Signed with a visible stamp -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki() -> DevPki:
    return create_dev_pki("Ministerio de Pruebas", PkiUrls("http://127.0.0.1:8000"))


@pytest.fixture(scope="module")
def official(pki: DevPki) -> OfficialCertificate:
    return issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio de Pruebas",
        position="Ministra",
        pin=PIN,
    )


@pytest.fixture(scope="module")
def timestamper(pki: DevPki) -> LocalTimeStamper:
    chain = [
        pki.issuing.certificate.public_bytes(Encoding.DER),
        pki.root.certificate.public_bytes(Encoding.DER),
    ]
    return LocalTimeStamper(tsa_config(pki.tsa, chain, POLICY))


def _root(pki: DevPki) -> bytes:
    return pki.root.certificate.public_bytes(Encoding.DER)


@pytest.fixture(scope="module", params=[Level.B_B, Level.B_LT], ids=lambda level: level.value)
def signed(
    request: pytest.FixtureRequest,
    pki: DevPki,
    official: OfficialCertificate,
    timestamper: LocalTimeStamper,
    written: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """The draft resolution of scenario A, signed with a visible stamp."""
    level: Level = request.param
    target = tmp_path_factory.mktemp("signed") / f"resolucion-{level.value}.pdf"
    material = ValidationMaterial(trust_roots=(_root(pki),), crls=(build_crl(pki, [], number=1),))
    sign_file(
        written[DOCUMENTS[1].key],
        target,
        unlock_pkcs12(official.pkcs12, PIN),
        SignatureRequest(level, stamp=STAMP),
        timestamper,
        material,
    )
    return target


def test_a_signed_demo_document_still_carries_what_pdfa_2b_needs(signed: Path) -> None:
    with pikepdf.open(signed) as pdf:
        (field,) = pdf.Root.AcroForm.Fields
        assert "/AP" in field  # the stamp is there, with its appearance
    assert _pdfa_problems(signed) == []


def test_a_signed_demo_document_verifies_valid(signed: Path, pki: DevPki) -> None:
    report = verify(signed, VerificationPolicy([_root(pki)])).report
    assert report.verdict == "valid", report


@needs_qpdf
def test_qpdf_finds_no_problem_in_the_signed_document(signed: Path) -> None:
    _qpdf_check(signed)


@needs_poppler
def test_poppler_finds_the_stamps_font_embedded_too(signed: Path) -> None:
    fonts = _pdffonts(signed)
    assert len(fonts) == 3, fonts  # the document's two, and the stamp's DejaVu Sans
    assert all(emb == "yes" for _, emb in fonts), fonts
    text = _words(_pdftotext(signed))
    assert _words(DOCUMENTS[1].title) in text


@needs_pikepdf_pdfa
def test_pikepdfs_pdfa_validator_approves_the_stamps_appearance(
    signed: Path, tmp_path: Path
) -> None:
    """pikepdf's validator does not judge forms or signatures, so the stamp's appearance
    (its font, text and QR code) is drawn onto the page and the document checked without
    the signature."""
    assert pikepdf_pdfa is not None
    flattened = tmp_path / "flattened.pdf"
    with pikepdf.open(signed) as pdf:
        page = pdf.pages[-1]
        (widget,) = page.Annots
        x1, y1 = float(widget.Rect[0]), float(widget.Rect[1])
        for key in ("/AcroForm", "/DSS", "/Extensions", "/Perms"):
            if key in pdf.Root:
                del pdf.Root[key]
        del page.obj["/Annots"]
        resources = pikepdf.Dictionary(page.Resources)
        resources.XObject = pikepdf.Dictionary(Stamp=widget.AP.N)
        page.obj.Resources = resources
        page.contents_add(pdf.make_stream(b"q 1 0 0 1 %.2f %.2f cm /Stamp Do Q" % (x1, y1)))
        pdf.save(flattened)
    report = pikepdf_pdfa.validate_written(flattened, "2b")
    assert report.passed, [str(finding) for finding in report.findings]
