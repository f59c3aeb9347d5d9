"""The visible signature stamp: who signed, in which position, when, and a QR code that
leads to the document's public verification page.

Text is set in DejaVu Sans, shipped in ``signing/fonts`` and embedded as a subset, so that
a stamped document never depends on a non-embedded standard font and can stay PDF/A. The
stamp's labels are Spanish, the service's default language.

pyHanko 0.38's glyph accumulator writes glyph widths and kerning in the font's own design
units, as if every font had 1000 units per em; DejaVu Sans has 2048, and its text would
come out twice as wide as laid out. The font is therefore rescaled to 1000 units per em
once per process, after being cut down to the scripts a stamp prints (Latin, with its
accents and combining marks, Greek, Cyrillic, punctuation and currency signs), which also
makes each stamp's own subsetting fast.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import qrcode  # type: ignore[import-untyped]
from fontTools import subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import (
    CIDFontType2,
    GlyphAccumulator,
    GlyphAccumulatorFactory,
)
from pyhanko.pdf_utils.qr import PdfStreamQRImage
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter, init_xobject_dictionary
from pyhanko.stamp import QRPosition, QRStamp, QRStampStyle

from signing.errors import SigningError

FONT_FILE = "DejaVuSans.ttf"

# The moment a stamp shows: day/month/year, the time and its offset from UTC, in the zone
# the stamp names (``StampSpec.zone``), never the server's.
DATE_FORMAT = "%d/%m/%Y %H:%M:%S %z"


@dataclass(frozen=True, slots=True)
class StampLabels:
    """The words a stamp prints around its values; the service passes them from its message
    catalogue, in the institution's language. The defaults are the Spanish ones."""

    signed_by: str = "Firmado electrónicamente por"
    position: str = "Cargo"
    date: str = "Fecha"
    code: str = "Código seguro de verificación"


# pyHanko writes the font size and leading with %d into the content stream: whole points.
FONT_SIZE = 6
LEADING = 8

# The default stamps sit in two columns above the page number of the demo documents (whose
# footer baseline is 36 pt); later signatures stack upwards on the same page.
DEFAULT_STAMP_HEIGHT = 72
DEFAULT_SIDE_MARGIN = 48
DEFAULT_BOTTOM = 50
DEFAULT_GAP = 8
_TWO_COLUMNS_FROM_WIDTH = 400  # narrower pages get one full-width column

# What a stamp can print; anything else shows as the font's empty box.
_STAMP_CHARACTERS = (
    range(0x20, 0x7F),  # Basic Latin
    range(0xA0, 0x250),  # Latin-1, Latin Extended-A and -B
    range(0x300, 0x370),  # combining diacritical marks
    range(0x370, 0x530),  # Greek and Cyrillic
    range(0x1E00, 0x1F00),  # Latin Extended Additional
    range(0x2000, 0x2070),  # general punctuation
    range(0x20A0, 0x20C1),  # currency signs
    range(0x2100, 0x2150),  # letterlike symbols (№, ™)
    range(0xFFFD, 0xFFFE),  # replacement character
)
_PDF_UNITS_PER_EM = 1000
# Every stamp embeds at least these characters' glyphs (printable ASCII), whatever its
# text uses, so that the stamps of a batch share one font program, subset once.
_ALWAYS_EMBEDDED = range(0x20, 0x7F)
# Font programs kept per process, one per distinct glyph set: a batch by one official
# needs one or two.
_FONT_PROGRAMS_CACHED = 32
# QR mask pattern 0..7. ISO/IEC 18004 lets the encoder choose; ranking all eight for the
# fewest penalty points cost 10 ms a stamp, and every reader decodes any of them.
QR_MASK_PATTERN = 2
_MAX_PAGE_TREE_DEPTH = 64

Box = tuple[int, int, int, int]
"""A rectangle in the page's default user space: lower-left x, y and upper-right x, y."""

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class StampSpec:
    """What a visible signature shows, and where.

    ``signer_name`` and ``position`` default to the common name and title in the signer's
    certificate. ``page`` counts from zero, negative from the end (-1 is the last page).
    Without ``box`` the stamp goes into the first free slot at the bottom of the page.
    """

    verification_url: str
    verification_code: str
    signer_name: str | None = None
    position: str | None = None
    page: int = -1
    box: Box | None = None
    labels: StampLabels = StampLabels()
    # The IANA time zone the stamp's date is written in (the institution's).
    zone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.verification_url.strip() or not self.verification_code.strip():
            raise SigningError("a stamp needs the verification URL and code")
        try:
            ZoneInfo(self.zone)
        except (ValueError, ZoneInfoNotFoundError) as exc:
            raise SigningError(f"the stamp's time zone {self.zone!r} is unknown") from exc
        if self.box is not None:
            x1, y1, x2, y2 = self.box
            if x2 <= x1 or y2 <= y1:
                raise SigningError(f"the stamp box {self.box} has no area")


class _SubsetCidFont(CIDFontType2):
    """pyHanko's TrueType CID font, whose font program is the cached subset for the
    stamp's glyphs instead of a fresh subset of a freshly parsed font."""

    font_file: str = FONT_FILE
    glyph_ids: frozenset[int] = frozenset()

    def set_font_file(self, writer: BasePdfFileWriter) -> generic.IndirectObject:
        font_stream = generic.StreamObject(stream_data=font_program(self.font_file, self.glyph_ids))
        font_stream.compress()  # type: ignore[no-untyped-call]
        font_stream_ref = writer.add_object(font_stream)
        self._font_descriptor[generic.NameObject("/FontFile2")] = font_stream_ref
        return font_stream_ref


class StampGlyphAccumulator(GlyphAccumulator):
    """pyHanko's glyph accumulator, embedding a cached font program (``font_program``)
    that covers the glyphs used and printable ASCII. Subsetting the font anew for every
    stamp cost about 20 ms a signature."""

    def __init__(self, font_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cid_font = _SubsetCidFont(
            self.tt, self.cidfont_obj.name.split("+", 1)[1], self.subset_prefix
        )
        cid_font.font_file = font_file
        self.cidfont_obj = cid_font

    def _extract_subset(self, options: Any = None) -> None:
        """Nothing to cut here: ``prepare_write`` embeds the cached program."""

    def prepare_write(self) -> None:
        cid_font = self.cidfont_obj
        assert isinstance(cid_font, _SubsetCidFont)
        cid_font.glyph_ids = frozenset(self._glyphs) | _always_embedded_glyph_ids(
            cid_font.font_file
        )
        super().prepare_write()  # type: ignore[no-untyped-call]


@cache
def _always_embedded_glyph_ids(name: str) -> frozenset[int]:
    font = TTFont(io.BytesIO(stamp_font_bytes(name)))
    cmap = font.getBestCmap()
    return frozenset(font.getGlyphID(cmap[code]) for code in _ALWAYS_EMBEDDED if code in cmap)


@lru_cache(maxsize=_FONT_PROGRAMS_CACHED)
def font_program(name: str, glyph_ids: frozenset[int]) -> bytes:
    """The stamp font cut to ``glyph_ids``, as pyHanko would embed it: glyph IDs kept,
    since the text is written with them (CIDToGIDMap /Identity), and no layout tables."""
    font = TTFont(io.BytesIO(stamp_font_bytes(name)))
    options = subset.Options(layout_closure=False)
    options.drop_tables += ["GPOS", "GDEF", "GSUB"]
    options.retain_gids = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(gids=sorted(glyph_ids))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class PackagedFontFactory(GlyphAccumulatorFactory):
    """pyHanko's glyph accumulator, fed from ``stamp_font_bytes`` instead of a file.

    The parent opens ``font_file`` for every stamp and never closes it (a ResourceWarning
    each time), and needs a real path, which an installed package need not provide.
    """

    def create_font_engine(
        self, writer: BasePdfFileWriter, obj_stream: Any = None
    ) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()  # type: ignore[no-untyped-call]
        return StampGlyphAccumulator(
            font_file=self.font_file,
            writer=writer,
            font_handle=io.BytesIO(stamp_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )


@cache
def stamp_font_bytes(name: str = FONT_FILE) -> bytes:
    """The packaged font, cut to ``_STAMP_CHARACTERS``, unhinted, at 1000 units per em.

    Hinting goes because rescaling would invalidate it; PDF viewers do not need it.
    """
    original = resources.files("signing").joinpath("fonts", name).read_bytes()
    font = TTFont(io.BytesIO(original))
    options = subset.Options()
    options.hinting = False
    # No OpenType layout tables: pyHanko parses the font again for every stamp, and
    # decompiling GSUB/GPOS cost about 270 ms a signature. The stamp's short Latin lines
    # lose only kerning; HarfBuzz falls back to the plain advances.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern"]
    options.name_IDs = ["*"]  # keep the copyright and license entries
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for block in _STAMP_CHARACTERS for code in block])
    subsetter.subset(font)
    if font["head"].unitsPerEm != _PDF_UNITS_PER_EM:
        scale_upem(font, _PDF_UNITS_PER_EM)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


STAMP_TEXT = "\n".join(
    [
        "%(label_signed_by)s:",
        "%(signer)s",
        "%(label_position)s: %(position)s",
        "%(label_date)s: %(ts)s",
        "%(label_code)s:",
        "%(code)s",
        "%(url)s",
    ]
)


class _FixedMaskQRStamp(QRStamp):
    def _qr_xobject(self) -> tuple[generic.IndirectObject, int]:
        """pyHanko's plain QR code (error correction M), with the mask pattern fixed."""
        qr = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, mask_pattern=QR_MASK_PATTERN
        )
        qr.add_data(self.url)
        qr.make()
        image = qr.make_image(image_factory=PdfStreamQRImage)
        command_stream = image.render_command_stream()
        bbox_size = (qr.modules_count + 2 * qr.border) * qr.box_size
        qr_xobject = init_xobject_dictionary(command_stream, bbox_size, bbox_size)
        qr_xobject.compress()  # type: ignore[no-untyped-call]
        assert self.writer is not None
        return self.writer.add_object(qr_xobject), bbox_size


class StampStyle(QRStampStyle):
    """pyHanko's QR stamp style, drawing ``_FixedMaskQRStamp``."""

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> QRStamp:
        try:
            url = text_params.pop("url")
        except KeyError:
            raise layout.LayoutError("a QR stamp needs the 'url' text parameter") from None
        return _FixedMaskQRStamp(writer, style=self, url=url, text_params=text_params, box=box)


@cache
def stamp_style() -> QRStampStyle:
    """One style for every stamp: the QR code on the left, the text beside it."""
    return StampStyle(
        stamp_text=STAMP_TEXT,
        timestamp_format=DATE_FORMAT,
        text_box_style=TextBoxStyle(
            font=PackagedFontFactory(FONT_FILE, font_size=FONT_SIZE, bcp47_lang_code="es"),
            font_size=FONT_SIZE,
            leading=LEADING,
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=2, right=4, top=2, bottom=2),
            ),
        ),
        qr_position=QRPosition.LEFT_OF_TEXT,
        border_width=1,
        background=None,
    )


def one_line(text: str) -> str:
    """A caller's value as one line of stamp text: line breaks would add stamp lines, and
    decomposed accents are composed so that they take the font's accented letters."""
    return unicodedata.normalize("NFC", _CONTROL_CHARACTERS.sub(" ", text)).strip()


def stamp_text_params(
    spec: StampSpec, certificate_name: str, certificate_title: str, now: datetime | None = None
) -> dict[str, str]:
    """The values for ``STAMP_TEXT``: the labels, the signer, and ``ts``, the signing time
    (``now``, default the present moment) in the stamp's zone."""
    moment = (now or datetime.now(UTC)).astimezone(ZoneInfo(spec.zone))
    return {
        "label_signed_by": one_line(spec.labels.signed_by),
        "label_position": one_line(spec.labels.position),
        "label_date": one_line(spec.labels.date),
        "label_code": one_line(spec.labels.code),
        "signer": one_line(spec.signer_name or certificate_name),
        "position": one_line(spec.position or certificate_title or "—"),
        "ts": moment.strftime(DATE_FORMAT),
        "code": one_line(spec.verification_code),
        "url": one_line(spec.verification_url),
    }


def pdf_value(dictionary: generic.DictionaryObject, key: str) -> Any:
    """The entry, dereferenced (``dict.get`` would not), or ``None``."""
    try:
        return dictionary[key]
    except KeyError:
        return None


def _rect(value: object) -> tuple[float, float, float, float] | None:
    if not isinstance(value, generic.ArrayObject) or len(value) != 4:
        return None
    try:
        x1, y1, x2, y2 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)


def _page_box(page: generic.DictionaryObject) -> tuple[float, float, float, float]:
    """The visible area of the page: its CropBox, else its MediaBox, either inherited."""
    for key in ("/CropBox", "/MediaBox"):
        node = page
        for _ in range(_MAX_PAGE_TREE_DEPTH):  # a hostile /Parent loop ends here
            if not isinstance(node, generic.DictionaryObject):
                break
            rect = _rect(pdf_value(node, key))
            if rect is not None:
                return rect
            node = pdf_value(node, "/Parent")
    return 0.0, 0.0, 595.0, 842.0


def _signature_widget_rects(
    page: generic.DictionaryObject,
) -> Iterator[tuple[float, float, float, float]]:
    annotations = pdf_value(page, "/Annots")
    if not isinstance(annotations, generic.ArrayObject):
        return
    for item in annotations:
        annotation = item.get_object()
        if not isinstance(annotation, generic.DictionaryObject):
            continue
        field_type = pdf_value(annotation, "/FT")
        parent = pdf_value(annotation, "/Parent")
        if field_type is None and isinstance(parent, generic.DictionaryObject):
            field_type = pdf_value(parent, "/FT")
        rect = _rect(pdf_value(annotation, "/Rect"))
        if field_type == "/Sig" and rect is not None and rect[2] > rect[0] and rect[3] > rect[1]:
            yield rect


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def free_boxes(
    reader: PdfFileReader, page_index: int, count: int, taken: Sequence[Box] = ()
) -> list[Box]:
    """The first ``count`` slots at the bottom of the page that no signature stamp occupies.

    Slots fill a row left to right, then the row above, so that a signing line of several
    officials stacks up rather than overprinting itself. ``taken`` adds rectangles that
    are not on the page yet.
    """
    page_ref, _ = reader.find_page_for_modification(page_index)  # type: ignore[no-untyped-call]
    page = page_ref.get_object()
    left, bottom, right, top = _page_box(page)
    width = right - left
    columns = 2 if width >= _TWO_COLUMNS_FROM_WIDTH else 1
    margin = min(DEFAULT_SIDE_MARGIN, width / 10)
    column_width = (width - 2 * margin - (columns - 1) * DEFAULT_GAP) / columns
    occupied: list[tuple[float, float, float, float]] = [
        *_signature_widget_rects(page),
        *((float(x1), float(y1), float(x2), float(y2)) for x1, y1, x2, y2 in taken),
    ]
    found: list[Box] = []
    row = 0
    while len(found) < count:
        y1 = bottom + DEFAULT_BOTTOM + row * (DEFAULT_STAMP_HEIGHT + DEFAULT_GAP)
        if y1 + DEFAULT_STAMP_HEIGHT > top:
            raise SigningError("no free place is left for a stamp on this page; give a box")
        for column in range(columns):
            x1 = left + margin + column * (column_width + DEFAULT_GAP)
            slot = (
                round(x1),
                round(y1),
                round(x1 + column_width),
                round(y1 + DEFAULT_STAMP_HEIGHT),
            )
            if len(found) < count and not any(_overlaps(slot, rect) for rect in occupied):
                found.append(slot)
                occupied.append(slot)
        row += 1
    return found
