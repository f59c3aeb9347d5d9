"""The dossier index document: deterministic, and listing what it must."""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess

import pikepdf

from docsvc.locale import translator
from docsvc.signing_lines.sealing import IndexEntry, build_index_pdf, index_title

# The institution's language and zone (Quito: UTC-5).
T = translator("es", "America/Guayaquil")

SEALED_AT = dt.datetime(2026, 11, 29, 10, 30, tzinfo=dt.UTC)
ENTRIES = (
    IndexEntry(1, "Lista de beneficiarios", "report", 3, "a" * 64, dt.date(2026, 11, 28)),
    IndexEntry(
        2, "Certificación presupuestaria", "other", 2, "0123456789abcdef" * 4, SEALED_AT.date()
    ),
    IndexEntry(3, "Resolución de pago", "resolution", 4, "f" * 64, SEALED_AT.date(), "R-2026-7"),
)


def _text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, check=True, capture_output=True
    ).stdout.decode()


def test_the_index_lists_each_document_in_order() -> None:
    pdf = build_index_pdf(
        T, "Ministerio de Desarrollo Social", "Expediente X", ENTRIES, SEALED_AT, 2
    )
    text = _text(pdf)
    head = text.split("Documentos en orden", 1)[0]
    assert re.search(r"Institución\s+Ministerio de Desarrollo Social", head)
    assert re.search(r"Expediente\s+Expediente X", head)
    assert re.search(r"Versión del índice\s+2", head)
    # Local time: 10:30 UTC is 05:30 in Quito, never shown as UTC.
    assert "29 de noviembre de 2026, 5:30:00 -0500" in head
    assert "UTC" not in text
    assert re.search(r"Documentos\s+3", head)
    listed = text.split("Documentos en orden", 1)[1]
    positions = [listed.index(f"{e.position}. {e.title}") for e in ENTRIES]
    assert positions == sorted(positions)  # in order
    for entry in ENTRIES:
        assert f"SHA-256: {entry.sha256}" in listed  # in full, on one line
        assert entry.version_date.isoformat() not in listed
    assert "Informe" in listed and "Otro" in listed and "Resolución" in listed
    assert "report" not in listed  # the document type in Spanish
    assert "R-2026-7" in listed
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert document.open_metadata().pdfa_status == "2A"  # tagged PDF/A
        assert str(document.Root.Lang) == "es"


def test_the_index_pdf_is_deterministic() -> None:
    first = build_index_pdf(T, "Ministerio", "Expediente X", ENTRIES, SEALED_AT, 1)
    assert first == build_index_pdf(T, "Ministerio", "Expediente X", ENTRIES, SEALED_AT, 1)
    assert first != build_index_pdf(T, "Ministerio", "Expediente X", ENTRIES, SEALED_AT, 2)
    later = SEALED_AT + dt.timedelta(minutes=1)
    assert first != build_index_pdf(T, "Ministerio", "Expediente X", ENTRIES, later, 1)
    changed = (
        ENTRIES[0],
        ENTRIES[1],
        IndexEntry(3, "Resolución de pago", "resolution", 4, "e" * 64, SEALED_AT.date()),
    )
    assert first != build_index_pdf(T, "Ministerio", "Expediente X", changed, SEALED_AT, 1)
    with pikepdf.open(io.BytesIO(first)) as pdf:
        assert str(pdf.docinfo["/Title"]) == "Índice del expediente — Expediente X"


def test_the_index_title_names_the_dossier() -> None:
    assert index_title(T, "Expediente X") == "Índice — Expediente X"
    assert len(index_title(T, "x" * 600)) == 500
