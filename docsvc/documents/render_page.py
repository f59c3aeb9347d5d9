"""Render one page of a PDF to PNG on standard output, with PDFium.

    python -m docsvc.documents.render_page FILE PAGE SCALE MEMORY_BYTES

Run by ``docsvc.documents.previews`` in a child process under a time and memory limit, so
that a PDF that crashes or exhausts the renderer (C code) costs a preview, not the service.
Exit status 0 with the PNG, 2 when the page does not exist or the file cannot be read.
"""

from __future__ import annotations

import resource
import sys

import pypdfium2 as pdfium  # type: ignore[import-untyped]


def main(argv: list[str]) -> int:
    path, page_number, scale, memory = argv[0], int(argv[1]), float(argv[2]), int(argv[3])
    # The limit is set here, by the child itself: a preexec_fn is unsafe in a threaded server.
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError:
        return 2
    if not 1 <= page_number <= len(pdf):
        return 2
    # Signature stamps are the appearances of form fields, which PDFium draws only with a
    # form environment: without one, a signed page's preview would show no stamp.
    pdf.init_forms()
    image = pdf[page_number - 1].render(scale=scale, may_draw_forms=True).to_pil()
    image.save(sys.stdout.buffer, format="PNG", optimize=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
