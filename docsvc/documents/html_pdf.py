"""The PDFs that people read (a registry receipt, a sealed verification report, a dossier's
index), laid out from HTML templates by WeasyPrint as tagged PDF/A-2a: archival (PDF/A-2),
with a structure tree, reading order, headings, tables with header cells and the document's
language (level A), so that a screen reader reads them and an archive keeps them.

Templates use the catalogue like the pages (:mod:`docsvc.locale.templating`): the words in
the reader's language, moments in the institution's time zone. Each feature keeps its
templates beside it and extends ``_pdf_base.html`` from here, which embeds the DejaVu fonts
that the signature stamp uses too. WeasyPrint may read only those fonts and ``data:`` URLs
(a QR code): nothing a template shows can make it fetch anything else."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

import signing
from docsvc.errors import ServiceUnavailable
from docsvc.locale import Translator
from docsvc.locale.templating import jinja_environment

BASE_TEMPLATES = Path(__file__).parent / "pdf_templates"
FONTS = Path(signing.__file__).parent / "fonts"
PDF_VARIANT = "pdf/a-2a"


def _weasyprint() -> Any:
    """WeasyPrint, imported at first use: it loads Pango, a system library, and a machine
    without it should still serve everything but these PDFs."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except OSError as exc:
        raise ServiceUnavailable(
            f"PDF layout needs Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0): {exc}",
            code="pdf_layout_unavailable",
        ) from exc
    return weasyprint


def _fetcher(weasyprint: Any) -> Any:
    """A fetcher for our fonts and ``data:`` URLs only; anything else is refused (and the
    resource left out)."""
    fonts = FONTS.resolve()

    class OwnFilesOnly(weasyprint.urls.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("file://"):
                path = Path(url.removeprefix("file://").split("?")[0]).resolve()
                if path.parent != fonts or path.suffix != ".ttf":
                    raise ValueError(f"a PDF template may not read {url[:80]}")
            elif not url.startswith("data:"):
                raise ValueError(f"a PDF template may not fetch {url[:80]}")
            return super().fetch(url, headers)

    return OwnFilesOnly(allowed_protocols=("file", "data"), allow_redirects=False)


@functools.cache
def _environment(directory: Path) -> jinja2.Environment:
    # Templates of constant directories: compiled once, the same for every service.
    return jinja_environment([directory, BASE_TEMPLATES])


def html_pdf(directory: Path, name: str, t: Translator, context: Mapping[str, Any]) -> bytes:
    """The template ``name`` (in ``directory``, else here) as tagged PDF/A-2a, worded by
    ``t``. The same content gives the same document identifier."""
    html = (
        _environment(directory)
        .get_template(name)
        .render(
            {
                **context,
                "translator": t,
                "lang": t.locale,
                "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
                "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri(),
            }
        )
    )
    identifier = hashlib.sha256(html.encode()).digest()[:16]
    weasyprint = _weasyprint()
    document = weasyprint.HTML(
        string=html, url_fetcher=_fetcher(weasyprint), base_url=str(directory)
    )
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_identifier=identifier)
    return pdf
