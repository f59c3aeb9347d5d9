"""The one message catalogue (docsvc/locale): complete in Spanish, current with the code,
loaded without a build step, and dates in the institution's time zone, in words."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

import docsvc.locale as catalogues
from docsvc.config import Settings
from docsvc.documents.text_pdf import page_footer
from docsvc.locale import format_date, format_datetime, format_month, format_number, translator
from docsvc.locale.labels import (
    certificate_name,
    doc_type_label,
    error_message,
    step_role_label,
    version_reason,
)
from docsvc.models import DocumentType

ROOT = Path(__file__).parents[2]
LOCALE = ROOT / "docsvc" / "locale"
POT = LOCALE / "messages.pot"


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _ids(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id}


def test_every_spanish_message_is_translated_and_none_is_fuzzy() -> None:
    spanish = _catalog(LOCALE / "es" / "LC_MESSAGES" / "messages.po", "es")
    untranslated = [m.id for m in spanish if m.id and not all(_strings(m.string))]
    fuzzy = [m.id for m in spanish if m.id and m.fuzzy]
    assert not untranslated, f"untranslated in Spanish: {untranslated}"
    assert not fuzzy, f"fuzzy in Spanish (review and remove the flag): {fuzzy}"
    assert len(spanish) > 300


def _strings(string: str | tuple[str, ...] | list[str]) -> list[str]:
    return [string] if isinstance(string, str) else list(string)


def test_the_template_is_what_a_fresh_extraction_finds(tmp_path: Path) -> None:
    """``pybabel extract`` with babel.cfg, run now, finds exactly the messages of
    messages.pot (by context and msgid); every .po has the template's messages."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            "docsvc",
        ],
        cwd=ROOT,
        check=True,
    )
    found, kept = _ids(_catalog(fresh)), _ids(_catalog(POT))
    assert found - kept == set(), "new messages: run `make catalogue-update` and translate them"
    assert kept - found == set(), "messages no longer in the code: run `make catalogue-update`"
    for locale in ("es", "en"):
        assert _ids(_catalog(LOCALE / locale / "LC_MESSAGES" / "messages.po", locale)) == kept


def test_translations_keep_their_placeholders() -> None:
    for locale in ("es", "en"):
        catalog = _catalog(LOCALE / locale / "LC_MESSAGES" / "messages.po", locale)
        problems = [(message.id, errors) for message, errors in catalog.check()]
        assert problems == []


@pytest.fixture
def checkout_without_mo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the catalogues as a fresh clone has them: .po files, no .mo."""
    copy = tmp_path / "locale"
    for locale in ("es", "en"):
        (copy / locale / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(LOCALE / locale / "LC_MESSAGES" / "messages.po", copy / locale / "LC_MESSAGES")
    monkeypatch.setattr(catalogues, "LOCALE_DIR", copy)
    catalogues.catalogue.cache_clear()
    catalogues.translator.cache_clear()
    yield copy
    catalogues.catalogue.cache_clear()
    catalogues.translator.cache_clear()


def test_without_mo_files_the_po_is_compiled_in_memory(checkout_without_mo: Path) -> None:
    t = catalogues.Translator("es")
    assert t.gettext("Signature verification report") == "Informe de verificación de firmas"
    assert not list(checkout_without_mo.rglob("*.mo"))


def test_a_stale_mo_gives_way_to_its_po(checkout_without_mo: Path) -> None:
    po = checkout_without_mo / "es" / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    mo.write_bytes(catalogues.compile_po(po))
    old = po.stat().st_mtime - 60
    os.utime(mo, (old, old))
    po.write_text(
        po.read_text(encoding="utf-8").replace(
            'msgstr "Informe de verificación de firmas"', 'msgstr "Informe de verificación"'
        ),
        encoding="utf-8",
    )
    assert catalogues.Translator("es").gettext("Signature verification report") == (
        "Informe de verificación"
    )


def test_plain_python_gets_the_catalogue_in_either_language() -> None:
    es, en = translator("es"), translator("en")
    assert es.gettext("Signature verification report") == "Informe de verificación de firmas"
    assert en.gettext("Signature verification report") == "Signature verification report"
    # A context tells apart one English word that is two Spanish ones.
    assert es.pgettext("signer status", "signed") == "firmó"
    assert es.pgettext("signing line status", "signed") == "firmada"  # una línea de firma
    assert es.gettext("Page %(number)s of %(total)s", number=2, total=3) == "Página 2 de 3"
    # A message not in the catalogue is its English text, plural by n.
    assert es.ngettext("%(num)s file", "%(num)s files", 2) == "2 files"
    assert translator("fr").locale == "es" and translator("en-GB").locale == "en"


def test_the_pdf_footer_comes_from_the_catalogue() -> None:
    assert page_footer("es", 1, 2) == "Página 1 de 2"
    assert page_footer("en", 1, 2) == "Page 1 of 2"


def test_every_document_type_has_words_of_its_own() -> None:
    es, en = translator("es"), translator("en")
    spanish = {doc_type: doc_type_label(es, doc_type) for doc_type in DocumentType}
    english = {doc_type: doc_type_label(en, doc_type) for doc_type in DocumentType}
    for doc_type in DocumentType:
        assert spanish[doc_type] != english[doc_type], doc_type
        assert english[doc_type] != doc_type.value, doc_type  # a label, not the identifier
        assert doc_type_label(es, doc_type.value) == spanish[doc_type]
    assert spanish[DocumentType.other] == "Otro" and spanish[DocumentType.report] == "Informe"


def test_what_the_services_write_in_english_reads_in_spanish() -> None:
    es = translator("es")
    assert version_reason(es, "created") == "Documento creado"
    assert version_reason(es, "signed by Lucía Fernández (B-T, approval)") == (
        "Firmado por Lucía Fernández (B-T, aprobación)"
    )
    assert version_reason(es, "index version 3: the dossier was signed again") == (
        "Versión 3 del índice: el expediente se firmó de nuevo"
    )
    assert version_reason(es, "Corrección del anexo") == "Corrección del anexo"  # typed
    assert certificate_name(es, "Common Name: Ana, Title: Ministra, Country: EC") == (
        "Nombre común: Ana, Cargo: Ministra, País: EC"
    )
    assert step_role_label(es, "reviewed") == "Revisado"
    assert step_role_label(es, "Visto bueno") == "Visto bueno"
    assert error_message(es, "wrong_pin") == "PIN incorrecto."
    assert error_message(es, "no_such_code") is None


def test_moments_are_shown_in_the_institutions_zone_in_words() -> None:
    moment = datetime(2026, 12, 6, 18, 25, 3, tzinfo=UTC)
    # As a reader writes it: the day in full, the time to the minute.
    assert format_datetime(moment, "es", "Europe/Madrid") == "6 de diciembre de 2026, 19:25"
    assert format_datetime(moment, "en", "Europe/Madrid") == "December 6, 2026, 7:25\u202fPM"
    assert format_datetime(moment, "es", "Europe/Madrid", "medium") == "6 dic 2026, 19:25:03"
    assert format_datetime(moment, "es", "Europe/Madrid", "long") == (
        "6 de diciembre de 2026, 19:25:03 CET"
    )
    # ISO strings (the reports' JSON) and naive datetimes are UTC moments.
    assert format_datetime("2026-12-06T18:25:03+00:00", "es", "Europe/Madrid") == (
        "6 de diciembre de 2026, 19:25"
    )
    assert format_datetime(moment.replace(tzinfo=None), "es", "Europe/Madrid") == (
        "6 de diciembre de 2026, 19:25"
    )
    # The configured zone (DOCSVC_TIMEZONE): by default the institution is in Ecuador.
    zone = Settings.model_fields["timezone"].default
    assert format_datetime(moment, "es", zone, "long") == "6 de diciembre de 2026, 13:25:03 -0500"
    assert format_datetime(moment, "es", zone) == "6 de diciembre de 2026, 13:25"
    # Late evening in Ecuador is already the next day in UTC: the day is the local one.
    assert format_date(datetime(2026, 12, 7, 3, 0, tzinfo=UTC), "es", zone) == "6 dic 2026"
    assert format_date(date(2026, 12, 8), "es") == "8 dic 2026"
    assert format_date("2026-12-08", "en") == "Dec 8, 2026"
    assert format_month("2026-09", "es") == "sept 2026"
    assert format_number(1234.5, "es", "#,##0.0") == "1.234,5"
    assert format_number(12345.5, "es", "#,##0.0") == "12.345,5"
    assert format_number(12345.5, "en", "#,##0.0") == "12,345.5"
    assert format_datetime(None, "es") == "" and format_datetime("not a date", "es") == (
        "not a date"
    )
