"""Drawing pages with PDFium, to compare what two revisions of a file display.

The difference analysis of ``signing.form_changes`` renders the revision a signature covers
and the final file, in grey at a fixed resolution, and compares pixels: two renderings of
the same content by the same PDFium are identical, so any difference is a difference in
content. It also reads the text that form field appearances draw, by flattening them into
the page first.

PDFium is C code reading untrusted input: the public verifier runs verification in worker
processes under time and memory limits (``signing.isolation``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

# 72 dpi: a form field's text is about 10 pixels high, enough to tell two texts apart.
SCALE = 1.0
Rect = tuple[float, float, float, float]
Box = tuple[int, int, int, int]


@functools.cache
def _pdfium() -> tuple[Any, Any]:
    """PDFium, loaded on first use: every verifier process imports this module, few files
    need a page drawn, and loading the library costs about 60 ms at each process's start."""
    import pypdfium2  # type: ignore[import-untyped]
    import pypdfium2.raw  # type: ignore[import-untyped]

    return pypdfium2, pypdfium2.raw


class RenderingError(Exception):
    """PDFium cannot open the file or draw the page."""


@dataclass(frozen=True, slots=True)
class Raster:
    """One page in grey, one byte a pixel, rows top to bottom."""

    width: int
    height: int
    pixels: bytes
    # page coordinates (points, origin bottom left) → pixel coordinates: x' = a x + b y + c,
    # y' = d x + e y + f
    transform: tuple[float, float, float, float, float, float]

    def to_device(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.transform
        return a * x + b * y + c, d * x + e * y + f

    def box(self, rect: Rect, pad: int = 0) -> Box:
        """The pixels that cover ``rect`` (in page coordinates), clipped to the page."""
        x1, y1, x2, y2 = rect
        corners = [self.to_device(x, y) for x, y in ((x1, y1), (x2, y2), (x1, y2), (x2, y1))]
        xs = [int(c[0]) for c in corners]
        ys = [int(c[1]) for c in corners]
        return (
            max(0, min(xs) - pad),
            max(0, min(ys) - pad),
            min(self.width, max(xs) + 1 + pad),
            min(self.height, max(ys) + 1 + pad),
        )

    def at(self, x: int, y: int) -> int:
        return self.pixels[y * self.width + x]


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    pdfium, _ = _pdfium()
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise RenderingError(f"PDFium cannot open the file: {exc}") from exc
    try:
        # Without a form environment PDFium draws no widget at all: the fields' appearances
        # are what is compared.
        document.init_forms()
        yield document
    finally:
        document.close()


def render(document: Any, page_index: int, *, annotations: bool) -> Raster:
    """The page in grey, with or without its annotations (form fields' appearances)."""
    pdfium, _ = _pdfium()
    page = document[page_index]
    try:
        bitmap = page.render(
            scale=SCALE,
            grayscale=True,
            draw_annots=annotations,
            may_draw_forms=annotations,
            no_smoothtext=True,
            no_smoothpath=True,
            no_smoothimage=True,
        )
        width, height, stride = bitmap.width, bitmap.height, bitmap.stride
        raw = bytes(bitmap.buffer)
        pixels = (
            raw
            if stride == width
            else b"".join(raw[row * stride : row * stride + width] for row in range(height))
        )
        converter = bitmap.get_posconv(page)
        # PDFium maps one point at a time, while the page is open: three give the map.
        step = 1000.0
        x0, y0 = converter.to_bitmap(0, 0)
        x1, y1 = converter.to_bitmap(step, 0)
        x2, y2 = converter.to_bitmap(0, step)
        transform = (
            (x1 - x0) / step,
            (x2 - x0) / step,
            float(x0),
            (y1 - y0) / step,
            (y2 - y0) / step,
            float(y0),
        )
        return Raster(width, height, pixels, transform)
    except pdfium.PdfiumError as exc:
        raise RenderingError(f"PDFium cannot draw page {page_index + 1}: {exc}") from exc
    finally:
        page.close()


def differing_pixels(first: Raster, second: Raster, masked: list[Box]) -> list[tuple[int, int]]:
    """The pixels that differ between two renderings of the same page, outside ``masked``;
    at most a few hundred, enough to say where."""
    if (first.width, first.height) != (second.width, second.height):
        return [(0, 0)]
    width = first.width
    a, b = bytearray(first.pixels), bytearray(second.pixels)
    for x1, y1, x2, y2 in masked:
        blank = bytes(x2 - x1)
        for row in range(y1, y2):
            a[row * width + x1 : row * width + x2] = blank
            b[row * width + x1 : row * width + x2] = blank
    if a == b:
        return []
    found: list[tuple[int, int]] = []
    for row in range(first.height):
        start = row * width
        if a[start : start + width] != b[start : start + width]:
            found += [(x, row) for x in range(width) if a[start + x] != b[start + x]][
                : 400 - len(found)
            ]
            if len(found) >= 400:
                break
    return found


def _page_text(document: Any, page_index: int, rect: Rect) -> str:
    page = document[page_index]
    try:
        text_page = page.get_textpage()
        try:
            return str(text_page.get_text_bounded(*rect))
        finally:
            text_page.close()
    finally:
        page.close()


def text_in(data: bytes, page_index: int, rect: Rect) -> tuple[str, str]:
    """The text drawn in ``rect`` of a page: by the page alone, and by the page with its
    annotations' appearances flattened into it."""
    with opened(data) as document:
        page_only = _page_text(document, page_index, rect)
        page = document[page_index]
        try:
            _, raw = _pdfium()
            raw.FPDFPage_Flatten(page.raw, raw.FLAT_NORMALDISPLAY)
        finally:
            page.close()
        # PDFium draws and reads a flattened page only once it is loaded again.
        flattened = _page_text(document, page_index, rect)
    return page_only, flattened
