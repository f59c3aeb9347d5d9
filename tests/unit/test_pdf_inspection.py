"""Each committed bad sample gets its stable code; good PDFs give the right facts; the demo
PDFs are valid, readable Spanish documents."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pikepdf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docsvc.demo.sample_pdfs import (
    BODY_SIZE,
    REGULAR,
    TEXT_WIDTH,
    build_text_pdf,
    demo_documents,
    expected_page_count,
)
from docsvc.documents.pdf_inspection import PdfFacts, PdfLimits, inspect_pdf
from docsvc.errors import InvalidInput

DATA = Path(__file__).parent.parent / "data"
BAD = DATA / "bad_inputs"
LIMITS = PdfLimits(max_pages=25, max_objects=1000)

EXPECTED_CODES = {
    "empty.pdf": "empty_file",
    "jpeg_named.pdf": "not_a_pdf",
    "png_named.pdf": "not_a_pdf",
    "docx_named.pdf": "not_a_pdf",
    "html_named.pdf": "not_a_pdf",
    "truncated.pdf": "pdf_broken",
    "broken_startxref.pdf": "pdf_broken",
    "garbage_after_header.pdf": "pdf_broken",
    "trailer_size_lie.pdf": "pdf_broken",
    "page_tree_loop.pdf": "pdf_broken",
    "encrypted_empty_user_password.pdf": "pdf_encrypted",
    "encrypted_rc4_empty_user_password.pdf": "pdf_encrypted",
    "encrypted_with_password.pdf": "pdf_encrypted",
    "encrypted_for_certificates.pdf": "pdf_encrypted",
    "hybrid_xref.pdf": "pdf_hybrid_xref",
    "hybrid_xref_escaped_name.pdf": "pdf_hybrid_xref",
    "hybrid_xref_in_earlier_revision.pdf": "pdf_hybrid_xref",
    "no_pages.pdf": "pdf_no_pages",
    "many_pages.pdf": "pdf_too_many_pages",
    "many_objects.pdf": "pdf_too_many_objects",
}
CONTROLS = {
    # The demo generator makes PDF/A-2b files, so the controls claim PDF/A.
    "valid_one_page.pdf": PdfFacts(1, "1.7", 1, has_signature_fields=False, is_pdfa_claimed=True),
    "valid_three_pages.pdf": PdfFacts(3, "1.7", 1, False, True),
}


def _write(tmp_path: Path, data: bytes, name: str = "upload.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _saved(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, **options)  # type: ignore[arg-type]
    return out.getvalue()


# The committed samples ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_each_bad_sample_gets_its_code(name: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        inspect_pdf(BAD / name, LIMITS)
    assert caught.value.code == code
    assert caught.value.status_code == 400
    assert caught.value.message.endswith(".")
    assert str(BAD) not in caught.value.message  # no server paths in what users read


@pytest.mark.parametrize(("name", "facts"), sorted(CONTROLS.items()))
def test_controls_pass_with_the_right_facts(name: str, facts: PdfFacts) -> None:
    assert inspect_pdf(BAD / name, LIMITS) == facts


def test_every_sample_has_an_expectation_and_a_readme_line() -> None:
    on_disk = {path.name for path in BAD.iterdir()}
    assert on_disk == set(EXPECTED_CODES) | set(CONTROLS)
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for name, code in EXPECTED_CODES.items():
        assert re.search(rf"^\| `{re.escape(name)}` \|.*\| `{code}` \|$", readme, re.M), name
    for name in CONTROLS:
        assert f"`{name}`" in readme


def test_the_limit_messages_name_both_limits() -> None:
    with pytest.raises(InvalidInput) as pages:
        inspect_pdf(BAD / "many_pages.pdf", LIMITS)
    with pytest.raises(InvalidInput) as objects:
        inspect_pdf(BAD / "many_objects.pdf", LIMITS)
    assert "30 pages" in pages.value.message
    assert "1216 objects" in objects.value.message
    for caught in (pages, objects):
        assert "25 pages" in caught.value.message
        assert "1000 objects" in caught.value.message


def test_the_default_limits_accept_the_large_samples() -> None:
    assert inspect_pdf(BAD / "many_pages.pdf", PdfLimits()).pages == 30
    assert inspect_pdf(BAD / "many_objects.pdf", PdfLimits()).pages == 1


def test_messages_say_what_the_file_looks_like() -> None:
    expected = {
        "jpeg_named.pdf": "JPEG image",
        "png_named.pdf": "PNG image",
        "docx_named.pdf": "Word",
        "html_named.pdf": "HTML page",
        "truncated.pdf": "cut short",
        "broken_startxref.pdf": "xref not found",
        "trailer_size_lie.pdf": "only opens after repair",
        "page_tree_loop.pdf": "Loop detected",
    }
    for name, phrase in expected.items():
        with pytest.raises(InvalidInput) as caught:
            inspect_pdf(BAD / name, LIMITS)
        assert phrase in caught.value.message, (name, caught.value.message)


# Facts of acceptable PDFs -------------------------------------------------------------------


def _with_incremental_update(data: bytes) -> bytes:
    """A real incremental update: a new /Info object and an xref section chained by /Prev."""
    trailer = data[data.rindex(b"trailer") :]
    size = int(re.search(rb"/Size (\d+)", trailer)[1])  # type: ignore[index]
    root = re.search(rb"/Root (\d+ \d+ R)", trailer)[1]  # type: ignore[index]
    previous = int(data.rsplit(b"startxref", 1)[1].split()[0])
    body = b"%d 0 obj\n<< /Producer (Actualizaci\\363n) >>\nendobj\n" % size
    xref = len(data) + len(body)
    return (
        data
        + body
        + b"xref\n0 1\n0000000000 65535 f \n%d 1\n%010d 00000 n \n" % (size, len(data))
        + b"trailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\n"
        % (size + 1, root, size, previous)
        + b"startxref\n%d\n%%%%EOF\n" % xref
    )


def test_an_incremental_update_is_a_second_revision(tmp_path: Path) -> None:
    once = _with_incremental_update((BAD / "valid_one_page.pdf").read_bytes())
    twice = _with_incremental_update(once)
    assert inspect_pdf(_write(tmp_path, once, "1.pdf"), LIMITS).revisions == 2
    assert inspect_pdf(_write(tmp_path, twice, "2.pdf"), LIMITS).revisions == 3


def test_a_linearized_file_is_one_revision(tmp_path: Path) -> None:
    with pikepdf.open(BAD / "valid_three_pages.pdf") as pdf:
        data = _saved(pdf, linearize=True)
    assert data.count(b"%%EOF") == 2
    facts = inspect_pdf(_write(tmp_path, data), LIMITS)
    assert (facts.pages, facts.revisions) == (3, 1)


def test_the_catalog_version_overrides_an_older_header(tmp_path: Path) -> None:
    with pikepdf.open(BAD / "valid_one_page.pdf") as pdf:
        pdf.Root.Version = pikepdf.Name("/2.0")
        data = _saved(pdf, force_version="1.7")
    assert data.startswith(b"%PDF-1.7")
    assert inspect_pdf(_write(tmp_path, data), LIMITS).pdf_version == "2.0"


def _with_fields(fields: list[pikepdf.Dictionary]) -> bytes:
    with pikepdf.open(BAD / "valid_one_page.pdf") as pdf:
        indirect = [pdf.make_indirect(field) for field in fields]
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(indirect[:1]))
        return _saved(pdf)


def test_signature_fields_are_found_also_below_a_parent(tmp_path: Path) -> None:
    top = _with_fields([pikepdf.Dictionary(FT=pikepdf.Name.Sig, T="Firma1")])
    text_only = _with_fields([pikepdf.Dictionary(FT=pikepdf.Name.Tx, T="Nombre")])
    child = pikepdf.Dictionary(T="Ministra")
    nested = _with_fields(
        [pikepdf.Dictionary(FT=pikepdf.Name.Sig, T="Firmas", Kids=pikepdf.Array([child]))]
    )
    assert inspect_pdf(_write(tmp_path, top, "a.pdf"), LIMITS).has_signature_fields
    assert not inspect_pdf(_write(tmp_path, text_only, "b.pdf"), LIMITS).has_signature_fields
    assert inspect_pdf(_write(tmp_path, nested, "c.pdf"), LIMITS).has_signature_fields


XMP_ATTRIBUTE = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
    'xmlns:{p}="http://www.aiim.org/pdfa/ns/id/" {p}:part="2" {p}:conformance="B"/>'
    '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
XMP_ELEMENT = XMP_ATTRIBUTE.replace(
    '{p}:part="2" {p}:conformance="B"/>', "><{p}:part>1</{p}:part></rdf:Description>"
)
XMP_WITHOUT_CLAIM = XMP_ATTRIBUTE.replace('{p}:part="2" ', "")


def _with_xmp(packet: bytes, *, flate: bool = False) -> bytes:
    with pikepdf.open(BAD / "valid_one_page.pdf") as pdf:
        stream = pikepdf.Stream(pdf, b"")
        if flate:
            stream.write(zlib.compress(packet), filter=pikepdf.Name.FlateDecode)
        else:
            # qpdf writes a stream typed /Metadata uncompressed, so only this case is typed.
            stream.write(packet)
            stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
        pdf.Root.Metadata = pdf.make_indirect(stream)
        # Keep the filter as written, and stop pikepdf from re-parsing the packet on save.
        data = _saved(
            pdf, stream_decode_level=pikepdf.StreamDecodeLevel.none, fix_metadata_version=False
        )
    with pikepdf.open(io.BytesIO(data)) as check:
        assert (check.Root.Metadata.get("/Filter") is not None) is flate
    return data


@pytest.mark.parametrize(
    ("packet", "flate", "claimed"),
    [
        (XMP_ATTRIBUTE.format(p="pdfaid"), False, True),
        (XMP_ELEMENT.format(p="pdfaid"), False, True),
        (XMP_ATTRIBUTE.format(p="ns3"), False, True),  # any prefix bound to the namespace
        (XMP_ATTRIBUTE.format(p="pdfaid"), True, True),
        (XMP_WITHOUT_CLAIM.format(p="pdfaid"), False, False),
        ("<!DOCTYPE x [<!ENTITY a 'pdfaid:part'>]><x>&a;</x>", False, False),
        ("not xml at all", False, False),
    ],
)
def test_the_pdfa_claim_is_read_from_xmp(
    tmp_path: Path, packet: str, flate: bool, claimed: bool
) -> None:
    data = _with_xmp(packet.encode(), flate=flate)
    assert inspect_pdf(_write(tmp_path, data), LIMITS).is_pdfa_claimed is claimed


def test_a_metadata_bomb_is_not_inflated_past_the_cap(tmp_path: Path) -> None:
    # Well-formed, with the claim after 64 MiB of padding: only an uncapped reader sees it.
    claim = XMP_ATTRIBUTE.format(p="pdfaid").encode()
    at = claim.index(b"<rdf:Description")
    bomb = claim[:at] + b" " * (64 * 1024 * 1024) + claim[at:]
    data = _with_xmp(bomb, flate=True)
    assert len(data) < 200_000
    assert not inspect_pdf(_write(tmp_path, data), LIMITS).is_pdfa_claimed


# Hostile bytes never escape as anything but InvalidInput ---------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.sampled_from(["valid_one_page.pdf", "valid_three_pages.pdf", "hybrid_xref.pdf"]),
    cut=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=8),
)
def test_damaged_pdfs_only_ever_raise_invalid_input(
    tmp_path_factory: pytest.TempPathFactory,
    base: str,
    cut: float | None,
    flips: list[tuple[float, int]],
) -> None:
    data = bytearray((BAD / base).read_bytes())
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = _write(tmp_path_factory.mktemp("fuzz"), bytes(data))
    outcome: PdfFacts | InvalidInput
    try:
        outcome = inspect_pdf(path, LIMITS)
    except InvalidInput as refused:
        outcome = refused
    if isinstance(outcome, InvalidInput):
        assert outcome.code in set(EXPECTED_CODES.values())
    else:
        assert 1 <= outcome.pages <= LIMITS.max_pages


# The generated documents -------------------------------------------------------------------


def _body_lines_per_page(data: bytes) -> list[list[str]]:
    """The body lines the reader sees, page by page, read back from the content streams:
    each Td or T* in the 11-point body font starts a line, each Tj fills it."""
    pages: list[list[str]] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            lines: list[str] = []
            size = 0.0
            for instruction in pikepdf.parse_content_stream(page):
                operator, operands = str(instruction.operator), instruction.operands
                if operator == "Tf":
                    size = float(operands[1])
                elif size == BODY_SIZE and operator in {"Td", "T*"}:
                    lines.append("")
                elif size == BODY_SIZE and operator == "Tj":
                    lines[-1] = bytes(operands[0]).decode("cp1252")
            pages.append(lines)
    return pages


def _shown(char: str) -> str:
    in_cp1252 = char.encode("cp1252", errors="replace") != b"?" or char == "?"
    return char if char.isprintable() and in_cp1252 else "?"


SPANISH = "abcdefghijklmnñopqrstuvwxyzáéíóúüÁÉÍÓÚÑÜ¿¡?!.,;:«»—–()\\%"
paragraph_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(SPANISH), st.sampled_from(" \n\t"), st.characters(codec="utf-8")
    ),
    max_size=400,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=paragraph_text,
    paragraphs=st.lists(paragraph_text, max_size=25),
    lines_per_page=st.integers(min_value=1, max_value=60),
)
def test_generated_pdfs_pass_and_lay_out_every_word(
    tmp_path_factory: pytest.TempPathFactory, title: str, paragraphs: list[str], lines_per_page: int
) -> None:
    data = build_text_pdf(title, paragraphs, lines_per_page=lines_per_page)
    facts = inspect_pdf(_write(tmp_path_factory.mktemp("gen"), data), PdfLimits())
    pages = _body_lines_per_page(data)
    assert facts.pages == len(pages) == expected_page_count(paragraphs, lines_per_page)
    assert all(len(lines) == lines_per_page for lines in pages[:-1])
    assert len(pages[-1]) <= lines_per_page
    shown = [line for lines in pages for line in lines]
    assert all(REGULAR.width(line, BODY_SIZE) <= TEXT_WIDTH for line in shown)
    expected = "".join(_shown(c) for c in "".join(paragraphs) if not c.isspace())
    assert "".join("".join(shown).split()) == expected


def test_generated_pdfs_are_reproducible() -> None:
    paragraphs = ["Señor Director: ¿podría remitir el informe?", "Atentamente,"]
    assert build_text_pdf("Oficio", paragraphs) == build_text_pdf("Oficio", paragraphs)
    assert build_text_pdf("Oficio", paragraphs) != build_text_pdf("Oficio 2", paragraphs)


def test_lines_per_page_must_be_positive() -> None:
    with pytest.raises(ValueError, match="lines_per_page"):
        build_text_pdf("Oficio", ["texto"], lines_per_page=0)


DEPARTMENTS = {"DM", "DVM", "DAJ", "DRH", "DF", "DPS", "DAG"}


def test_demo_documents_tell_scenarios_a_and_b(tmp_path: Path) -> None:
    documents = demo_documents()
    assert [(d.doc_type, d.owning_department_code, d.confidentiality) for d in documents] == [
        ("letter", "DAJ", "confidential"),
        ("resolution", "DM", "confidential"),
        ("report", "DPS", "internal"),
        ("other", "DF", "internal"),
        ("resolution", "DPS", "internal"),
    ]
    assert len({d.key for d in documents}) == len({d.title for d in documents}) == 5
    assert {d.owning_department_code for d in documents} <= DEPARTMENTS
    for document in documents:
        facts = inspect_pdf(_write(tmp_path, document.pdf, f"{document.key}.pdf"), PdfLimits())
        assert facts.pages == expected_page_count(document.paragraphs)
        assert not facts.has_signature_fields


needs_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftotext) is not installed; the test command installs it",
)


@needs_pdftotext
def test_poppler_extracts_the_spanish_text(tmp_path: Path) -> None:
    letter, _, beneficiaries, *_ = demo_documents()
    texts = {}
    for document in (letter, beneficiaries):
        path = _write(tmp_path, document.pdf, f"{document.key}.pdf")
        texts[document.key] = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    assert letter.title in texts[letter.key]
    for phrase in ("Señora Ministra", "días hábiles", "¿Existe alguna duda?", "Página 1 de 1"):
        assert phrase in texts[letter.key]
    assert "Gloria Maribel Ñacato Pilataxi" in texts[beneficiaries.key]
    assert "Página 2 de 2" in texts[beneficiaries.key]
