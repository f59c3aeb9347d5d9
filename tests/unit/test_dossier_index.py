"""The dossier index document: deterministic, and listing what it must."""

from __future__ import annotations

import datetime as dt
import io

import pikepdf

from docsvc.locale import translator
from docsvc.signing_lines.sealing import (
    IndexEntry,
    build_index_pdf,
    index_paragraphs,
    index_title,
)

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


def test_the_index_lists_each_document_in_order() -> None:
    paragraphs = index_paragraphs(
        T, "Ministerio de Desarrollo Social", "Expediente X", ENTRIES, SEALED_AT, 2
    )
    head = paragraphs[0]
    assert "Institución: Ministerio de Desarrollo Social" in head
    assert "Expediente: Expediente X" in head
    assert "Versión del índice: 2" in head
    # Local time, in words: 10:30 UTC is 05:30 in Quito, never shown as UTC.
    assert "Fecha de sellado: 29 de noviembre de 2026, 5:30:00 -0500" in head
    assert "UTC" not in head
    assert "Documentos: 3" in head
    listed = paragraphs[1:4]
    for entry, paragraph in zip(ENTRIES, listed, strict=True):
        lines = paragraph.splitlines()
        assert lines[0] == f"{entry.position}. {entry.title}"
        assert f"Versión: {entry.version}" in lines[1]
        assert f"Fecha: {T.format_date(entry.version_date)}" in lines[1]
        assert entry.version_date.isoformat() not in lines[1]
        assert lines[-1] == entry.sha256  # in full, on a line of its own
    assert "Tipo: Informe" in listed[0]  # the document type in Spanish, not "report"
    assert "Tipo: Otro" in listed[1]
    assert "Tipo: Resolución" in listed[2]
    assert "Número de registro: —" in listed[0]
    assert "Número de registro: R-2026-7" in listed[2]


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
        assert str(pdf.docinfo["/Title"]) == "Índice del expediente"
        text = b"".join(page.Contents.read_bytes() for page in pdf.pages)
        for entry in ENTRIES:
            assert entry.sha256.encode() in text  # never wrapped across lines


def test_the_index_title_names_the_dossier() -> None:
    assert index_title(T, "Expediente X") == "Índice — Expediente X"
    assert len(index_title(T, "x" * 600)) == 500
