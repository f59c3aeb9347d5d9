"""Small, real-looking official documents for the demo institution and the tests.

Text is set in the standard Helvetica font with WinAnsiEncoding, which covers Spanish.
Issue 3 (signing engine) replaces this with embedded fonts so that output can be PDF/A.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import Literal

import pikepdf

A4 = (595.0, 842.0)
MARGIN = 64.0
BODY_SIZE = 11.0
LEADING = 15.0
WRAP_COLUMNS = 88

DocType = Literal["letter", "resolution", "request", "payment_order", "report", "other"]
Level = Literal["public", "internal", "confidential"]


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _wrapped(paragraphs: list[str]) -> list[str]:
    lines: list[str] = []
    for paragraph in paragraphs:
        lines.extend(textwrap.wrap(paragraph, WRAP_COLUMNS) or [""])
        lines.append("")
    return lines


def _page_stream(title: str, lines: list[str], number: int, total: int) -> bytes:
    out = io.BytesIO()
    y = A4[1] - MARGIN
    out.write(b"BT /F2 14 Tf %.1f %.1f Td " % (MARGIN, y) + _pdf_string(title) + b" Tj ET\n")
    y -= 2 * LEADING
    out.write(b"BT /F1 %.1f Tf %.1f TL %.1f %.1f Td\n" % (BODY_SIZE, LEADING, MARGIN, y))
    for line in lines:
        out.write(_pdf_string(line) + b" Tj T*\n")
    out.write(b"ET\n")
    footer = f"Página {number} de {total}"
    out.write(
        b"BT /F1 9 Tf %.1f 36 Td " % (A4[0] - MARGIN - 60) + _pdf_string(footer) + b" Tj ET\n"
    )
    return out.getvalue()


def build_text_pdf(title: str, paragraphs: list[str], *, lines_per_page: int = 45) -> bytes:
    lines = _wrapped(paragraphs) or [""]
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)]
    pdf = pikepdf.new()
    fonts = pikepdf.Dictionary(
        F1=pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type1,
                BaseFont=pikepdf.Name.Helvetica,
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        ),
        F2=pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name("/Type1"),
                BaseFont=pikepdf.Name("/Helvetica-Bold"),
                Encoding=pikepdf.Name.WinAnsiEncoding,
            )
        ),
    )
    for index, page_lines in enumerate(pages, start=1):
        stream = pikepdf.Stream(pdf, _page_stream(title, page_lines, index, len(pages)))
        page = pikepdf.Page(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Page,
                MediaBox=pikepdf.Array([0, 0, *A4]),
                Contents=pdf.make_indirect(stream),
                Resources=pikepdf.Dictionary(Font=fonts),
            )
        )
        pdf.pages.append(page)
    pdf.docinfo[pikepdf.Name.Title] = title
    pdf.docinfo[pikepdf.Name.Producer] = "docsvc"
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def expected_page_count(paragraphs: list[str], lines_per_page: int = 45) -> int:
    lines = _wrapped(paragraphs) or [""]
    return -(-len(lines) // lines_per_page)


@dataclass(frozen=True, slots=True)
class DemoDocument:
    key: str
    doc_type: DocType
    title: str
    subject: str
    owning_department_code: str
    confidentiality: Level
    paragraphs: tuple[str, ...]

    @property
    def pdf(self) -> bytes:
        return build_text_pdf(self.title, list(self.paragraphs))


def demo_documents() -> list[DemoDocument]:
    return [
        DemoDocument(
            key="a_oficio_pge",
            doc_type="letter",
            title="Oficio N.º PGE-DPT-2026-1187",
            subject="Solicitud de documentación del proceso laboral N.º 17371-2026-00412",
            owning_department_code="DAJ",
            confidentiality="confidential",
            paragraphs=(
                "Quito, 16 de noviembre de 2026",
                "Señora Ministra: Dentro del proceso laboral N.º 17371-2026-00412, seguido por "
                "el señor Luis Alberto Guamán contra el Ministerio, la Procuraduría General del "
                "Estado solicita que en el término de cinco días hábiles se remita copia "
                "certificada del expediente personal del servidor, las acciones de personal "
                "emitidas entre 2022 y 2026 y los roles de pago de los últimos doce meses.",
                "La información deberá remitirse a través del sistema de gestión documental, "
                "con firma electrónica de la autoridad competente.",
                "Atentamente, Dr. Fernando Cevallos, Director Nacional de Patrocinio.",
            ),
        ),
        DemoDocument(
            key="a_resolucion_respuesta",
            doc_type="resolution",
            title="Resolución Ministerial N.º MDS-DM-2026-0219 (borrador)",
            subject="Autorización de respuesta a la Procuraduría General del Estado",
            owning_department_code="DM",
            confidentiality="confidential",
            paragraphs=(
                "LA MINISTRA DE DESARROLLO SOCIAL",
                "CONSIDERANDO: Que la Procuraduría General del Estado, mediante oficio N.º "
                "PGE-DPT-2026-1187, solicitó documentación del proceso laboral N.º "
                "17371-2026-00412; Que la Dirección de Recursos Humanos ha reunido la "
                "documentación requerida.",
                "RESUELVE: Artículo 1.- Autorizar la remisión de la documentación solicitada, "
                "en copia certificada. Artículo 2.- Encargar a la Dirección de Asesoría "
                "Jurídica el seguimiento del proceso.",
            ),
        ),
        DemoDocument(
            key="b_lista_beneficiarios",
            doc_type="report",
            title="Lista de beneficiarios — Bono de Protección Social, noviembre 2026",
            subject="Nómina de 1.250 beneficiarios validados para el pago de noviembre",
            owning_department_code="DPS",
            confidentiality="internal",
            paragraphs=(
                "Dirección de Programas Sociales — Unidad de Gestión de Pagos",
                "La presente lista contiene 1.250 beneficiarios validados contra el Registro "
                "Social al 10 de noviembre de 2026, por un monto total de USD 62.500,00.",
                "1. María José Quishpe — cédula 17xxxxxx01 — USD 50,00",
                "2. Juan Pablo Andrade — cédula 17xxxxxx02 — USD 50,00",
                "3. Rosa Elvira Chicaiza — cédula 05xxxxxx03 — USD 50,00",
                "(…) El detalle completo consta en el anexo digital.",
            ),
        ),
        DemoDocument(
            key="b_certificacion_presupuestaria",
            doc_type="other",
            title="Certificación presupuestaria N.º DF-CP-2026-0588",
            subject="Disponibilidad presupuestaria para el pago del Bono de Protección Social",
            owning_department_code="DF",
            confidentiality="internal",
            paragraphs=(
                "La Dirección Financiera certifica que existe disponibilidad presupuestaria en "
                "la partida 730606 «Bono de Protección Social» por USD 62.500,00 para el pago "
                "correspondiente a noviembre de 2026.",
                "Ing. Roberto Álvarez, Director Financiero.",
            ),
        ),
        DemoDocument(
            key="b_resolucion_aprobacion",
            doc_type="resolution",
            title="Resolución N.º MDS-DPS-2026-0074",
            subject="Aprobación del pago del Bono de Protección Social, noviembre 2026",
            owning_department_code="DPS",
            confidentiality="internal",
            paragraphs=(
                "EL VICEMINISTRO DE INCLUSIÓN SOCIAL",
                "CONSIDERANDO: la lista de beneficiarios validada y la certificación "
                "presupuestaria N.º DF-CP-2026-0588;",
                "RESUELVE: Aprobar el pago del Bono de Protección Social correspondiente a "
                "noviembre de 2026 a 1.250 beneficiarios, por un total de USD 62.500,00, y "
                "disponer su transferencia a la Dirección Financiera.",
            ),
        ),
    ]
