"""Small, real-looking official documents for the demo institution and the tests.

Text is set in the standard Helvetica fonts with WinAnsiEncoding, which covers Spanish; lines
are wrapped by the fonts' real glyph widths, so no line runs past the margin. Issue 3 (signing
engine) replaces the standard fonts with embedded ones, which PDF/A requires.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import pikepdf

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4 in points
MARGIN = 64.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TITLE_SIZE, TITLE_LEADING, MAX_TITLE_LINES = 14.0, 18.0, 3
BODY_SIZE, LEADING = 11.0, 15.0
FOOTER_SIZE, FOOTER_BASELINE = 9.0, 36.0
BODY_BOTTOM = 60.0  # the lowest body baseline, clear of the page number

DocType = Literal["letter", "resolution", "request", "payment_order", "report", "other"]
Confidentiality = Literal["public", "internal", "confidential"]

# Advance widths (1/1000 em) of printable ASCII, from Adobe's AFM files for the two fonts.
_ASCII = "".join(chr(code) for code in range(32, 127))
_REGULAR_ASCII = (
    [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278]
    + [556] * 10
    + [278, 278, 584, 584, 584, 556, 1015]
    + [667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833]
    + [722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
    + [278, 278, 278, 469, 556, 333]
    + [556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833]
    + [556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500]
    + [334, 260, 334, 584]
)
_BOLD_ASCII = (
    [278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278]
    + [556] * 10
    + [333, 333, 584, 584, 584, 611, 975]
    + [722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833]
    + [722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611]
    + [333, 278, 333, 584, 556, 333]
    + [556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889]
    + [611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500]
    + [389, 280, 389, 584]
)
# Accented letters take their base letter's width (found through NFD), except these.
_REGULAR_EXTRA = {
    **{"í": 278, "ì": 278, "î": 278, "ï": 278, "¿": 611, "¡": 333, "º": 365, "ª": 370},
    **{"«": 556, "»": 556, "—": 1000, "–": 556, "“": 333, "”": 333, "‘": 222, "’": 222},
    **{"€": 556, "…": 1000, "°": 400, "·": 278, "•": 350},
}
_BOLD_EXTRA = _REGULAR_EXTRA | {"“": 500, "”": 500, "‘": 278, "’": 278}
# Anything else is measured as a full em, so a missing width shortens a line, never overflows.
_UNKNOWN_WIDTH = 1000


@dataclass(frozen=True, slots=True)
class _Font:
    resource: str
    widths: dict[str, int]

    def width(self, text: str, size: float) -> float:
        return sum(self._glyph(char) for char in text) * size / 1000

    def _glyph(self, char: str) -> int:
        if char in self.widths:
            return self.widths[char]
        base = unicodedata.normalize("NFD", char)[:1]
        return self.widths.get(base, _UNKNOWN_WIDTH)


REGULAR = _Font("/F1", dict(zip(_ASCII, _REGULAR_ASCII, strict=True)) | _REGULAR_EXTRA)
BOLD = _Font("/F2", dict(zip(_ASCII, _BOLD_ASCII, strict=True)) | _BOLD_EXTRA)


def _displayable(text: str) -> str:
    """What the reader will see: WinAnsi has no glyph for control characters or for
    anything outside cp1252, so those show as "?" rather than as nothing."""
    out = []
    for char in text:
        if char.isspace():
            out.append(" ")
        elif not char.isprintable() or not _in_cp1252(char):
            out.append("?")
        else:
            out.append(char)
    return "".join(out)


def _in_cp1252(char: str) -> bool:
    try:
        char.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _wrap_line(text: str, font: _Font, size: float, width: float = TEXT_WIDTH) -> list[str]:
    """Greedy wrap by glyph widths; a word wider than the line is split across lines."""
    lines: list[str] = []
    current, current_width = "", 0.0
    space = font.width(" ", size)
    for word in _displayable(text).split():
        word_width = font.width(word, size)
        if current and current_width + space + word_width <= width:
            current, current_width = f"{current} {word}", current_width + space + word_width
            continue
        if current:
            lines.append(current)
        while word_width > width:
            cut = _longest_fitting_prefix(word, font, size, width)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = font.width(word, size)
        current, current_width = word, word_width
    if current:
        lines.append(current)
    return lines


def _longest_fitting_prefix(word: str, font: _Font, size: float, width: float) -> int:
    used = 0.0
    for index, char in enumerate(word):
        used += font.width(char, size)
        if used > width:
            return max(1, index)
    return len(word)


def _body_lines(paragraphs: Sequence[str]) -> list[str]:
    """The body as laid out: a blank line between paragraphs, and a line break inside a
    paragraph kept (for addresses, lists and signature blocks)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        if lines:
            lines.append("")
        for segment in paragraph.splitlines() or [""]:
            lines.extend(_wrap_line(segment, REGULAR, BODY_SIZE) or [""])
    while lines and not lines[-1]:
        lines.pop()
    return lines


def expected_page_count(paragraphs: Sequence[str], lines_per_page: int = 45) -> int:
    return max(1, -(-len(_body_lines(paragraphs)) // lines_per_page))


def _title_lines(title: str) -> list[str]:
    lines = _wrap_line(title, BOLD, TITLE_SIZE) or [""]
    if len(lines) > MAX_TITLE_LINES:
        # The title repeats on every page; beyond three lines it would eat the body.
        lines = lines[:MAX_TITLE_LINES]
        last = lines[-1]
        while last and BOLD.width(last + " …", TITLE_SIZE) > TEXT_WIDTH:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


def _pdf_string(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@dataclass(frozen=True, slots=True)
class _Layout:
    title: list[str]
    body_top: float
    leading: float


def _layout(title: str, lines_per_page: int) -> _Layout:
    title_lines = _title_lines(title)
    title_bottom = PAGE_HEIGHT - MARGIN - len(title_lines) * TITLE_LEADING
    body_top = title_bottom - 1.5 * LEADING
    # Shrink the leading rather than run into the page number when many lines are asked for.
    leading = min(LEADING, (body_top - BODY_BOTTOM) / max(1, lines_per_page - 1))
    return _Layout(title_lines, body_top, leading)


def _page_content(layout: _Layout, lines: list[str], number: int, total: int) -> bytes:
    out = io.BytesIO()
    top = PAGE_HEIGHT - MARGIN
    out.write(b"BT %s %.1f Tf %.1f TL " % (BOLD.resource.encode(), TITLE_SIZE, TITLE_LEADING))
    out.write(b"%.1f %.1f Td" % (MARGIN, top))
    for index, line in enumerate(layout.title):
        out.write((b" T* " if index else b" ") + _pdf_string(line) + b" Tj")
    rule = top - (len(layout.title) - 1) * TITLE_LEADING - TITLE_LEADING / 2
    out.write(b" ET\n0.5 w %.1f %.1f m %.1f %.1f l S\n" % (MARGIN, rule, MARGIN + TEXT_WIDTH, rule))
    out.write(b"BT %s %.1f Tf %.2f TL " % (REGULAR.resource.encode(), BODY_SIZE, layout.leading))
    out.write(b"%.1f %.2f Td" % (MARGIN, layout.body_top))
    for index, line in enumerate(lines):
        out.write(b" T*" if index else b"")
        if line:
            out.write(b" " + _pdf_string(line) + b" Tj")
    out.write(b" ET\n")
    footer = f"Página {number} de {total}"
    x = MARGIN + TEXT_WIDTH - REGULAR.width(footer, FOOTER_SIZE)
    out.write(b"BT %s %.1f Tf " % (REGULAR.resource.encode(), FOOTER_SIZE))
    out.write(b"%.2f %.1f Td " % (x, FOOTER_BASELINE) + _pdf_string(footer) + b" Tj ET\n")
    return out.getvalue()


def _font_dictionary(pdf: pikepdf.Pdf, base_font: str) -> pikepdf.Object:
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name(base_font),
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )


def build_text_pdf(title: str, paragraphs: list[str], *, lines_per_page: int = 45) -> bytes:
    """An A4 document: the title on every page, the body wrapped, "Página N de M" below.

    The same input always gives the same bytes (no dates, a content-derived /ID).
    """
    if lines_per_page < 1:
        raise ValueError("lines_per_page must be at least 1")
    lines = _body_lines(paragraphs)
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    layout = _layout(title, lines_per_page)
    pdf = pikepdf.new()
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            Font=pikepdf.Dictionary(
                F1=_font_dictionary(pdf, "/Helvetica"), F2=_font_dictionary(pdf, "/Helvetica-Bold")
            )
        )
    )
    for number, page_lines in enumerate(pages, start=1):
        content = pikepdf.Stream(pdf, _page_content(layout, page_lines, number, len(pages)))
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, PAGE_WIDTH, PAGE_HEIGHT]),
            Contents=pdf.make_indirect(content),
            Resources=resources,
        )
        pdf.pages.append(pikepdf.Page(page))
    pdf.Root.Lang = pikepdf.String("es")
    pdf.docinfo[pikepdf.Name.Title] = title
    pdf.docinfo[pikepdf.Name.Producer] = "docsvc"
    out = io.BytesIO()
    # 1.7 (ISO 32000-1) is the base PAdES builds on, and covers /Lang.
    pdf.save(out, deterministic_id=True, min_version="1.7")
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class DemoDocument:
    key: str
    doc_type: DocType
    title: str
    subject: str
    owning_department_code: str
    confidentiality: Confidentiality
    paragraphs: tuple[str, ...]

    @property
    def pdf(self) -> bytes:
        return build_text_pdf(self.title, list(self.paragraphs))


def demo_documents() -> list[DemoDocument]:
    """Scenario A (a legal request) then scenario B (a payment dossier), in that order:
    tests and benchmarks pick documents by position."""
    return [
        DemoDocument(
            key="a_oficio_pge",
            doc_type="letter",
            title="Oficio N.º PGE-DPT-2026-1187",
            subject="Solicitud de documentación del proceso laboral N.º 17371-2026-00412",
            owning_department_code="DAJ",
            confidentiality="confidential",
            paragraphs=(
                "PROCURADURÍA GENERAL DEL ESTADO\nDirección Nacional de Patrocinio",
                "Quito, 16 de noviembre de 2026",
                "Señora\nAna María Rojas\nMinistra de Desarrollo Social\nPresente.",
                "Asunto: solicitud de documentación del proceso laboral N.º 17371-2026-00412.",
                "Señora Ministra: Dentro del proceso laboral N.º 17371-2026-00412, que sigue el "
                "señor Luis Alberto Guamán Pilco contra el Ministerio de Desarrollo Social ante "
                "la Unidad Judicial de Trabajo de Quito, esta Procuraduría ejerce el patrocinio "
                "de la entidad y necesita preparar la contestación a la demanda.",
                "Por ello, le solicito que en el término de cinco (5) días hábiles, contados "
                "desde la recepción de este oficio, se remita a esta Dirección:",
                "a) copia certificada del expediente personal del servidor;\n"
                "b) las acciones de personal emitidas a su favor entre 2022 y 2026;\n"
                "c) los roles de pago de los últimos doce meses;\n"
                "d) el informe técnico de la Dirección de Recursos Humanos sobre la "
                "terminación de la relación laboral.",
                "La información deberá remitirse a través del sistema de gestión documental, "
                "firmada electrónicamente por la autoridad competente. ¿Existe alguna duda? "
                "Puede comunicarse con el abogado patrocinador, Dr. Andrés Cárdenas.",
                "Atentamente,\n\nDr. Fernando Cevallos Ibáñez\n"
                "Director Nacional de Patrocinio\nProcuraduría General del Estado",
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
                "CONSIDERANDO:",
                "Que la Procuraduría General del Estado, mediante oficio N.º "
                "PGE-DPT-2026-1187 de 16 de noviembre de 2026, solicitó la documentación del "
                "proceso laboral N.º 17371-2026-00412 en el término de cinco días hábiles;",
                "Que la Dirección de Asesoría Jurídica registró el oficio y lo trasladó a la "
                "Dirección de Recursos Humanos, la cual reunió y remitió la documentación "
                "requerida con su acuse de recibo firmado;",
                "Que corresponde a la máxima autoridad autorizar la entrega de información "
                "de carácter confidencial a otras entidades del Estado;",
                "En ejercicio de sus atribuciones,",
                "RESUELVE:",
                "Artículo 1.- Autorizar la remisión a la Procuraduría General del Estado, en "
                "copia certificada, de la documentación detallada en el oficio N.º "
                "PGE-DPT-2026-1187.",
                "Artículo 2.- Encargar a la Dirección de Asesoría Jurídica el envío de la "
                "documentación y el seguimiento del proceso hasta su conclusión.",
                "Artículo 3.- La presente resolución entrará en vigencia a partir de su "
                "suscripción.",
                "Dado en Quito, Distrito Metropolitano, a 20 de noviembre de 2026.",
                "Ana María Rojas\nMINISTRA DE DESARROLLO SOCIAL",
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
                "Social con corte al 10 de noviembre de 2026, por un monto total de "
                "USD 62.500,00 (USD 50,00 por beneficiario). Se reproducen los primeros "
                f"{len(_BENEFICIARIES)}; el detalle completo consta en el anexo digital.",
                "N.º — Nombre — Cédula — Cantón — Monto\n" + "\n".join(_beneficiary_rows()),
                "Elaborado por: Sofía Castillo, Analista de Programas Sociales.\n"
                "Revisado por: Miguel Torres, Director de Programas Sociales.",
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
                "DIRECCIÓN FINANCIERA",
                "Quito, 12 de noviembre de 2026",
                "La Dirección Financiera del Ministerio de Desarrollo Social CERTIFICA que "
                "existe disponibilidad presupuestaria suficiente en la partida "
                "730606 «Bono de Protección Social», fuente de financiamiento 001 «Recursos "
                "Fiscales», por un monto de USD 62.500,00 (sesenta y dos mil quinientos "
                "dólares de los Estados Unidos de América), para el pago correspondiente a "
                "noviembre de 2026.",
                "Esta certificación tiene vigencia hasta el 31 de diciembre de 2026 y se emite "
                "a pedido de la Dirección de Programas Sociales.",
                "Ing. Roberto Álvarez\nDirector Financiero",
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
                "CONSIDERANDO:",
                "Que la Dirección de Programas Sociales presentó la lista de 1.250 "
                "beneficiarios validados para el pago de noviembre de 2026;",
                "Que la Dirección Financiera emitió la certificación presupuestaria "
                "N.º DF-CP-2026-0588 por USD 62.500,00;",
                "RESUELVE:",
                "Artículo 1.- Aprobar el pago del Bono de Protección Social correspondiente a "
                "noviembre de 2026 a 1.250 beneficiarios, por un total de USD 62.500,00.",
                "Artículo 2.- Disponer el traslado del expediente de pago a la Dirección "
                "Financiera para la transferencia de los fondos.",
                "Dado en Quito, a 14 de noviembre de 2026.",
                "Carlos Méndez\nVICEMINISTRO DE INCLUSIÓN SOCIAL",
            ),
        ),
    ]


# Invented people; the cédula numbers are masked as they would be in an internal list.
_BENEFICIARIES = (
    ("María José Quishpe Toapanta", "Quito"),
    ("Juan Pablo Andrade Yépez", "Cayambe"),
    ("Rosa Elvira Chicaiza Llumiquinga", "Latacunga"),
    ("Segundo Manuel Caiza Tipán", "Salcedo"),
    ("Gloria Maribel Ñacato Pilataxi", "Quito"),
    ("Luis Ángel Morocho Guamán", "Cuenca"),
    ("Carmen Lucía Intriago Zambrano", "Portoviejo"),
    ("José Antonio Quiñónez Cortez", "Esmeraldas"),
    ("Ana Belén Suárez Mendoza", "Manta"),
    ("Pedro Julián Yánez Ortiz", "Ibarra"),
    ("Blanca Esthela Pacheco Núñez", "Loja"),
    ("Víctor Hugo Cedeño Muñoz", "Chone"),
    ("Martha Cecilia Tenorio Ayoví", "San Lorenzo"),
    ("Fabián Eduardo Guerrero Paz", "Tulcán"),
    ("Zoila Esperanza Huilca Ushiña", "Machachi"),
    ("Nelson Rodrigo Jácome Ríos", "Ambato"),
    ("Inés Margarita Saltos Vélez", "Babahoyo"),
    ("Wilson Patricio Alvarado Sánchez", "Guayaquil"),
    ("Dolores Fabiola Cunuhay Chaluisa", "Pujilí"),
    ("Ángel Ricardo Benítez Maldonado", "Riobamba"),
    ("Lourdes Jimena Macías Loor", "Jipijapa"),
    ("Héctor Germán Villacís Páez", "Puyo"),
    ("Teresa de Jesús Chimbo Aguinda", "Tena"),
    ("Raúl Estuardo Peñafiel Ortega", "Guaranda"),
    ("Mercedes Aurora Jiménez Ochoa", "Machala"),
    ("Ítalo Fernando Bravo Espinoza", "Santa Elena"),
    ("Susana Patricia Tigse Ante", "Otavalo"),
    ("Gonzalo Efraín Murillo Castro", "Quevedo"),
    ("Norma Beatriz Añazco Ruiz", "Zamora"),
    ("Efraín Alfonso Sarango Cango", "Saraguro"),
    ("Olga Marina Lema Cachiguango", "Cotacachi"),
    ("Byron Javier Ochoa Carrión", "Azogues"),
    ("Rocío del Pilar Vera Montesdeoca", "Milagro"),
    ("Ulises Ramiro Tapia Herrera", "Sangolquí"),
    ("Eulalia Piedad Quilumba Farinango", "Cayambe"),
    ("Marco Vinicio Recalde Guzmán", "Quito"),
    ("Yolanda Elizabeth Borja Arévalo", "Cuenca"),
    ("Darwin Alexis Chávez Anchundia", "Santo Domingo"),
    ("Narcisa de Jesús Mora Bajaña", "Daule"),
    ("Óscar Iván Endara Proaño", "Ibarra"),
    ("Piedad Amelia Yumbo Grefa", "Archidona"),
    ("César Augusto León Calderón", "Loja"),
)


def _beneficiary_rows() -> list[str]:
    return [
        f"{number}. {name} — {number * 7 % 24 + 1:02d}xxxxxx{number:02d} — {canton} — USD 50,00"
        for number, (name, canton) in enumerate(_BENEFICIARIES, start=1)
    ]
