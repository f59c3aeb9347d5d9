"""PDFs for API tests: fresh valid ones, and the committed hostile samples."""

from __future__ import annotations

import uuid
from pathlib import Path

from docsvc.demo.sample_pdfs import build_text_pdf

BAD_INPUTS = Path(__file__).parent.parent / "data" / "bad_inputs"


def unique_pdf(title: str = "Oficio de prueba", paragraphs: int = 3) -> bytes:
    """A valid PDF whose bytes differ from every other call (so hashes never collide
    across tests that share a store)."""
    marker = uuid.uuid4().hex
    body = [f"Párrafo {i} — referencia {marker}." for i in range(paragraphs)]
    return build_text_pdf(f"{title} {marker[:8]}", body)


def bad_input(name: str) -> bytes:
    return (BAD_INPUTS / name).read_bytes()
