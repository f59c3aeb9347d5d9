"""Each committed bad sample gets its stable code; good PDFs give the right facts."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docsvc.demo.sample_pdfs import build_text_pdf, demo_documents, expected_page_count
from docsvc.documents.pdf_inspection import PdfLimits, inspect_pdf
from docsvc.errors import InvalidInput

BAD = Path(__file__).parent.parent / "data" / "bad_inputs"
LIMITS = PdfLimits(max_pages=25, max_objects=10_000)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty.pdf", "empty_file"),
        ("truncated.pdf", "pdf_broken"),
        ("broken_startxref.pdf", "pdf_broken"),
        ("garbage_after_header.pdf", "pdf_broken"),
        ("encrypted_empty_user_password.pdf", "pdf_encrypted"),
        ("encrypted_with_password.pdf", "pdf_encrypted"),
        ("jpeg_named.pdf", "not_a_pdf"),
        ("html_named.pdf", "not_a_pdf"),
        ("hybrid_xref.pdf", "pdf_hybrid_xref"),
        ("no_pages.pdf", "pdf_no_pages"),
        ("many_pages.pdf", "pdf_too_many_pages"),
    ],
)
def test_bad_samples_get_their_code(name: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        inspect_pdf(BAD / name, LIMITS)
    assert caught.value.code == code
    assert str(BAD) not in caught.value.message  # no server paths in user messages


def test_the_object_limit(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        inspect_pdf(BAD / "valid_three_pages.pdf", PdfLimits(max_objects=3))
    assert caught.value.code == "pdf_too_many_objects"


def test_controls_pass_with_the_right_facts() -> None:
    one = inspect_pdf(BAD / "valid_one_page.pdf", LIMITS)
    three = inspect_pdf(BAD / "valid_three_pages.pdf", LIMITS)
    assert (one.pages, three.pages) == (1, 3)
    assert one.revisions == 1
    assert not one.has_signature_fields


def test_an_incremental_update_counts_as_a_revision(tmp_path: Path) -> None:
    base = (BAD / "valid_one_page.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(base)) as pdf:
        pdf.docinfo[pikepdf.Name.Subject] = "actualizado"
        out = io.BytesIO()
        pdf.save(out)
    path = tmp_path / "rewritten.pdf"
    path.write_bytes(out.getvalue())
    assert inspect_pdf(path, LIMITS).revisions == 1
    appended = tmp_path / "appended.pdf"
    appended.write_bytes(base + b"\n% trailing update\n%%EOF\n")
    assert inspect_pdf(appended, LIMITS).revisions == 2


@settings(max_examples=25, deadline=None)
@given(
    paragraphs=st.lists(
        st.text(alphabet="abcdefghijklmnñopqrstuvwxyzáéíóúü ¿¡?!.,()\\", max_size=400),
        max_size=30,
    )
)
def test_generated_pdfs_always_pass(
    tmp_path_factory: pytest.TempPathFactory, paragraphs: list[str]
) -> None:
    path = tmp_path_factory.mktemp("gen") / "g.pdf"
    path.write_bytes(build_text_pdf("Título ñ", paragraphs))
    facts = inspect_pdf(path, PdfLimits())
    assert facts.pages == expected_page_count(paragraphs)


def test_demo_documents_pass(tmp_path: Path) -> None:
    for document in demo_documents():
        path = tmp_path / f"{document.key}.pdf"
        path.write_bytes(document.pdf)
        assert inspect_pdf(path, PdfLimits()).pages >= 1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_spanish_text_survives_extraction(tmp_path: Path) -> None:
    document = demo_documents()[0]
    path = tmp_path / "a.pdf"
    path.write_bytes(document.pdf)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert document.title in text
    assert "Señora Ministra" in text
