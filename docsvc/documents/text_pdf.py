"""Plain text documents as PDF/A-2b: the demo's sample documents and the service's own
generated documents (a dossier's index).

Every document is PDF/A-2b (ISO 19005-2, level B), so that it can be kept for decades and
still be PDF/A once signed (the signing engine's stamps embed their font and draw in
DeviceRGB, which the sRGB output intent below covers):

- text is set in DejaVu Sans and DejaVu Sans Bold (shipped in ``signing/fonts``), embedded
  as TrueType subsets of the characters each document uses, with WinAnsiEncoding, which
  covers Spanish and keeps the text extractable; lines are wrapped by the same glyph
  widths that the font dictionaries declare, so no line runs past the margin;
- the catalog carries XMP metadata (``pdfaid:part`` 2, ``pdfaid:conformance`` B, the
  title, which the document information dictionary repeats, and the producer) and an
  output intent with an ICC v2 sRGB profile;
- the file has an /ID, no encryption, no transparency and no LZW.

The same input always gives the same bytes: no dates, a content-derived /ID and subset tag.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Literal
from xml.sax.saxutils import escape

import pikepdf
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import ImageCms

from docsvc.locale import translator

PAGE_WIDTH, PAGE_HEIGHT = 595.0, 842.0  # A4 in points
MARGIN = 64.0
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TITLE_SIZE, TITLE_LEADING, MAX_TITLE_LINES = 14.0, 18.0, 3
BODY_SIZE, LEADING = 11.0, 15.0
FOOTER_SIZE, FOOTER_BASELINE = 9.0, 36.0
BODY_BOTTOM = 60.0  # the lowest body baseline, clear of the page number
PRODUCER = "docsvc"

DocType = Literal["letter", "resolution", "request", "payment_order", "report", "other"]
Confidentiality = Literal["public", "internal", "confidential"]

# Fonts ----------------------------------------------------------------------------------

REGULAR_FONT_FILE = "DejaVuSans.ttf"
BOLD_FONT_FILE = "DejaVuSans-Bold.ttf"
_PDF_UNITS_PER_EM = 1000  # glyph space: /Widths and the font descriptor's metrics
# Every printable character of Windows-1252, the byte encoding WinAnsiEncoding names.
_WIN_ANSI = tuple(
    char
    for char in bytes(range(256)).decode("cp1252", errors="replace")
    if char != "\ufffd" and char.isprintable()
)
# Anything else is measured as a full em, so a missing width shortens a line, never overflows.
_UNKNOWN_WIDTH = 1000
_NONSYMBOLIC = 1 << 5  # font descriptor flag: the Latin character set, WinAnsi-encodable


@dataclass(frozen=True, slots=True)
class _Face:
    """One packaged font, measured in PDF glyph space, and cut down to WinAnsi."""

    postscript_name: str
    widths: dict[str, int]
    ascent: int
    descent: int
    cap_height: int
    x_height: int
    italic_angle: float
    weight: int
    program: bytes
    """The font program with the WinAnsi characters only, unhinted, without layout tables:
    each document's subset is cut from this, which is much faster than from the full font."""


def _to_pdf_units(value: float, units_per_em: int) -> int:
    return round(value * _PDF_UNITS_PER_EM / units_per_em)


def _subset_options() -> subset.Options:
    options = subset.Options()
    options.hinting = False  # viewers do not need it, and it is most of the size
    options.layout_features = []  # text is laid out here, glyph by glyph: no GSUB, no GPOS
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names, copyright and license
    options.notdef_outline = True
    options.glyph_names = True
    return options


def _cut(program: bytes, chars: Sequence[str]) -> bytes:
    # recalcTimestamp=False keeps head.modified as shipped, so the bytes are reproducible.
    font = TTFont(io.BytesIO(program), recalcTimestamp=False)
    subsetter = subset.Subsetter(_subset_options())
    subsetter.populate(unicodes=sorted({ord(char) for char in chars}))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _face(file_name: str) -> _Face:
    """Load a font shipped in ``signing/fonts`` (once per process)."""
    original = resources.files("signing").joinpath("fonts", file_name).read_bytes()
    font = TTFont(io.BytesIO(original), recalcTimestamp=False)
    units = font["head"].unitsPerEm  # 2048 for DejaVu
    cmap = font.getBestCmap()
    missing = [char for char in _WIN_ANSI if ord(char) not in cmap]
    if missing:
        raise RuntimeError(f"{file_name} has no glyph for {''.join(missing)!r}")
    advances = font["hmtx"].metrics
    glyphs = font["glyf"]
    return _Face(
        postscript_name=font["name"].getDebugName(6),
        widths={char: _to_pdf_units(advances[cmap[ord(char)]][0], units) for char in _WIN_ANSI},
        ascent=_to_pdf_units(font["hhea"].ascent, units),
        descent=_to_pdf_units(font["hhea"].descent, units),
        cap_height=_to_pdf_units(glyphs[cmap[ord("H")]].yMax, units),
        x_height=_to_pdf_units(glyphs[cmap[ord("x")]].yMax, units),
        italic_angle=float(font["post"].italicAngle),
        weight=int(font["OS/2"].usWeightClass),
        program=_cut(original, _WIN_ANSI),
    )


@dataclass(frozen=True, slots=True)
class _Font:
    resource: str
    file_name: str

    @property
    def widths(self) -> dict[str, int]:
        """Advance widths in 1/1000 em, exactly as the embedded font's /Widths declare them."""
        return _face(self.file_name).widths

    def width(self, text: str, size: float) -> float:
        widths = self.widths
        return sum(widths.get(char, _UNKNOWN_WIDTH) for char in text) * size / 1000


REGULAR = _Font("/F1", REGULAR_FONT_FILE)
BOLD = _Font("/F2", BOLD_FONT_FILE)


@dataclass(frozen=True, slots=True)
class _Subset:
    tag: str
    program: bytes
    bbox: tuple[int, int, int, int]


@lru_cache(maxsize=256)
def _subset(file_name: str, chars: str) -> _Subset:
    """The font cut to ``chars`` (sorted, distinct), with its PDF subset tag.

    The tag ("ABCDEF+") is derived from the font and the characters, so it is the same on
    every run and differs between the two fonts of a document."""
    digest = hashlib.sha256(f"{file_name}\0{chars}".encode()).digest()
    tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
    program = _cut(_face(file_name).program, chars)
    head = TTFont(io.BytesIO(program))["head"]
    units = head.unitsPerEm
    bbox = tuple(_to_pdf_units(v, units) for v in (head.xMin, head.yMin, head.xMax, head.yMax))
    return _Subset(tag, program, bbox)  # type: ignore[arg-type]


def _stem_v(weight: int) -> int:
    """An estimate of the vertical stem width from the weight class, as font tools make when
    the font does not say (TrueType has no such field): 87 for regular, 166 for bold."""
    return 50 + round((weight / 65) ** 2)


def _font_dictionary(pdf: pikepdf.Pdf, font: _Font, shown: str) -> pikepdf.Object:
    """A simple TrueType font with WinAnsiEncoding, embedded as a subset of ``shown``."""
    face = _face(font.file_name)
    chars = "".join(sorted(set(shown) | {" "}))
    cut = _subset(font.file_name, chars)
    codes = [char.encode("cp1252")[0] for char in chars]
    first, last = min(codes), max(codes)
    decoded = bytes(range(first, last + 1)).decode("cp1252", errors="replace")
    name = pikepdf.Name(f"/{cut.tag}+{face.postscript_name}")
    program = pikepdf.Stream(pdf, cut.program)
    program.Length1 = len(cut.program)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=name,
        FontFamily=pikepdf.String("DejaVu Sans"),
        FontWeight=face.weight,
        Flags=_NONSYMBOLIC,
        FontBBox=pikepdf.Array(list(cut.bbox)),
        ItalicAngle=face.italic_angle,
        Ascent=face.ascent,
        Descent=face.descent,
        CapHeight=face.cap_height,
        XHeight=face.x_height,
        StemV=_stem_v(face.weight),
        FontFile2=pdf.make_indirect(program),
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=name,
            FirstChar=first,
            LastChar=last,
            # Codes the subset has no glyph for are never shown; their width is the full
            # font's, or 0 for the five bytes Windows-1252 leaves undefined.
            Widths=pikepdf.Array([face.widths.get(char, 0) for char in decoded]),
            FontDescriptor=pdf.make_indirect(descriptor),
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )


# Colour: an ICC v2 sRGB profile for the PDF/A output intent -----------------------------

_ICC_CURVE_POINTS = 1024


def _icc_tags(profile: bytes) -> dict[bytes, bytes]:
    (count,) = struct.unpack_from(">I", profile, 128)
    tags = {}
    for index in range(count):
        signature, offset, size = struct.unpack_from(">4sII", profile, 132 + 12 * index)
        tags[signature] = profile[offset : offset + size]
    return tags


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _srgb_curve(parametric: bytes) -> bytes:
    """An ICC v2 'curv' table sampling an ICC v4 'para' curve of function type 3:
    Y = (aX + b)^g for X >= d, else cX (the sRGB transfer function)."""
    signature, function = parametric[:4], struct.unpack_from(">H", parametric, 8)[0]
    if signature != b"para" or function != 3:
        raise RuntimeError("the sRGB profile's tone curve is not the expected parametric one")
    g, a, b, c, d = (v / 65536 for v in struct.unpack_from(">5i", parametric, 12))
    samples = []
    for index in range(_ICC_CURVE_POINTS):
        x = index / (_ICC_CURVE_POINTS - 1)
        y = (a * x + b) ** g if x >= d else c * x
        samples.append(round(min(1.0, max(0.0, y)) * 65535))
    return b"curv" + bytes(4) + struct.pack(f">I{len(samples)}H", len(samples), *samples)


def _text_description(text: str) -> bytes:
    ascii_ = text.encode("ascii") + b"\0"
    # ASCII, then empty Unicode and ScriptCode descriptions (ICC.1:2001-04, 6.5.17).
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_)) + ascii_ + bytes(8) + bytes(3 + 67)


@cache
def srgb_icc_profile() -> bytes:
    """An sRGB display profile in ICC version 2.1, the version every PDF/A reader knows.

    Pillow's (LittleCMS's) built-in sRGB profile is written in ICC v4.4, newer than the
    ICC.1:2004-10 that ISO 19005-2 cites, with v4-only tag types. Its colorants and tone
    curve are taken as they are and written as the v2 types: the XYZ tags unchanged, the
    parametric curves sampled in a 1024-point table, the white point as D65 (v2 display
    profiles name the display's own white; the colorants stay adapted to D50)."""
    source = _icc_tags(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    curve = _srgb_curve(source[b"rTRC"])
    d65_x, d65_y = 0.3127, 0.3290  # IEC 61966-2-1
    white = b"XYZ " + bytes(4) + _s15(d65_x / d65_y) + _s15(1.0) + _s15((1 - d65_x - d65_y) / d65_y)
    tags: list[tuple[bytes, bytes]] = [
        (b"desc", _text_description("sRGB IEC61966-2.1")),
        (b"cprt", b"text" + bytes(4) + b"No copyright, use freely\0"),
        (b"wtpt", white),
        (b"rXYZ", source[b"rXYZ"]),
        (b"gXYZ", source[b"gXYZ"]),
        (b"bXYZ", source[b"bXYZ"]),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    table, data, placed = [struct.pack(">I", len(tags))], [], {}
    for signature, body in tags:
        if body not in placed:  # the three tone curves share one table
            placed[body] = offset
            padded = body + bytes(-len(body) % 4)
            data.append(padded)
            offset += len(padded)
        table.append(struct.pack(">4sII", signature, placed[body], len(body)))
    size = offset
    header = b"".join(
        [
            struct.pack(">I", size),
            bytes(4),  # preferred CMM: none
            bytes([2, 0x10, 0, 0]),  # version 2.1.0
            b"mntrRGB XYZ ",  # display class, RGB data, XYZ connection space
            struct.pack(">6H", 2026, 1, 1, 0, 0, 0),  # fixed, for reproducible bytes
            b"acsp",
            bytes(4 + 4 + 4 + 4 + 8 + 4),  # platform, flags, maker, model, attributes, intent
            _s15(0.9642) + _s15(1.0) + _s15(0.8249),  # the PCS illuminant, D50
            bytes(4 + 44),  # creator, and the reserved bytes (v2 has no profile ID)
        ]
    )
    profile = header + b"".join(table) + b"".join(data)
    if len(header) != 128 or len(profile) != size:
        raise RuntimeError("the ICC profile was laid out wrongly")
    return profile


def _output_intent(pdf: pikepdf.Pdf) -> pikepdf.Object:
    profile = pikepdf.Stream(pdf, srgb_icc_profile())
    profile.N = 3
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
            RegistryName=pikepdf.String("http://www.color.org"),
            Info=pikepdf.String("sRGB IEC61966-2.1"),
            DestOutputProfile=pdf.make_indirect(profile),
        )
    )


# Metadata ---------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry.
_NOT_IN_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _metadata_title(title: str) -> str:
    """The title as both the information dictionary and the XMP state it: PDF/A wants the
    two equal, XMP cannot hold control characters, and an XML parser would rewrite line
    breaks, so whitespace runs become one space."""
    return _NOT_IN_XML.sub("?", " ".join(title.split()))


def _xmp(title: str, language: str) -> bytes:
    text = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <dc:language><rdf:Bag><rdf:li>{language}</rdf:li></rdf:Bag></dc:language>
   <pdf:Producer>{PRODUCER}</pdf:Producer>
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return text.encode("utf-8")


def _metadata_stream(pdf: pikepdf.Pdf, title: str, language: str) -> pikepdf.Object:
    stream = pikepdf.Stream(pdf, _xmp(title, language))
    stream.Type = pikepdf.Name.Metadata
    stream.Subtype = pikepdf.Name.XML
    return pdf.make_indirect(stream)


# Layout -------------------------------------------------------------------------------------


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


def _page_content(layout: _Layout, lines: list[str], footer: str) -> bytes:
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
    x = MARGIN + TEXT_WIDTH - REGULAR.width(footer, FOOTER_SIZE)
    out.write(b"BT %s %.1f Tf " % (REGULAR.resource.encode(), FOOTER_SIZE))
    out.write(b"%.2f %.1f Td " % (x, FOOTER_BASELINE) + _pdf_string(footer) + b" Tj ET\n")
    return out.getvalue()


def page_footer(language: str, number: int, total: int) -> str:
    """ "Página N de M" in ``language``, from the message catalogue."""
    return translator(language).gettext("Page %(number)s of %(total)s", number=number, total=total)


def build_text_pdf(
    title: str, paragraphs: list[str], *, lines_per_page: int = 45, language: str = "es"
) -> bytes:
    """An A4 PDF/A-2b document: the title on every page, the body wrapped, "Página N de M"
    below (in ``language``, "es" or "en").

    The same input always gives the same bytes (no dates, a content-derived /ID).
    """
    if lines_per_page < 1:
        raise ValueError("lines_per_page must be at least 1")
    lines = _body_lines(paragraphs)
    pages = [lines[i : i + lines_per_page] for i in range(0, len(lines), lines_per_page)] or [[]]
    layout = _layout(title, lines_per_page)
    footers = [page_footer(language, n, len(pages)) for n in range(1, len(pages) + 1)]
    pdf = pikepdf.new()
    resources = pdf.make_indirect(
        pikepdf.Dictionary(
            Font=pikepdf.Dictionary(
                F1=_font_dictionary(pdf, REGULAR, "".join(lines + footers)),
                F2=_font_dictionary(pdf, BOLD, "".join(layout.title)),
            )
        )
    )
    for number, page_lines in enumerate(pages, start=1):
        content = pikepdf.Stream(pdf, _page_content(layout, page_lines, footers[number - 1]))
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=pikepdf.Array([0, 0, PAGE_WIDTH, PAGE_HEIGHT]),
            Contents=pdf.make_indirect(content),
            Resources=resources,
        )
        pdf.pages.append(pikepdf.Page(page))
    metadata_title = _metadata_title(title)
    pdf.Root.Lang = pikepdf.String(language)
    pdf.Root.Metadata = _metadata_stream(pdf, metadata_title, language)
    pdf.Root.OutputIntents = pikepdf.Array([_output_intent(pdf)])
    # The producer is named in the XMP only: pyHanko, when it signs, sets the information
    # dictionary's /Producer to its own name and the XMP's to the same, but appends its name
    # to a /Producer already there, which would leave the two disagreeing.
    pdf.docinfo[pikepdf.Name.Title] = metadata_title
    out = io.BytesIO()
    # 1.7 (ISO 32000-1) is the base of both PDF/A-2 and PAdES, and covers /Lang. qpdf writes
    # the binary comment line after the header, and leaves the XMP stream uncompressed.
    pdf.save(out, deterministic_id=True, min_version="1.7")
    return out.getvalue()
