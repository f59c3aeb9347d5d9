"""Keeping the catalogues: extract the messages into ``messages.pot``, merge them into each
locale's ``.po``, compile the ``.mo`` files, and check that all of it is current.

From a source checkout (``babel.cfg`` is at the repository's root), as ``python -m
docsvc.locale update|compile|check``, or ``make catalogue-update``, ``make catalogue``
(run by ``make install``) and ``make catalogue-check``. A translator fills in the Spanish
``msgstr`` of every new message and removes the ``fuzzy`` flag of those Babel guessed;
``check`` fails until they have.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from docsvc.locale import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR, LOCALES, compile_po, mo_path, po_path

PACKAGE_DIR = LOCALE_DIR.parent
ROOT = PACKAGE_DIR.parent
MAPPING = ROOT / "babel.cfg"
POT = LOCALE_DIR / f"{DOMAIN}.pot"
# Extraction's options: what ``pybabel extract`` is run with, here and in the tests.
EXTRACT_OPTIONS = (
    "--no-wrap",
    "--sort-output",
    "--add-location=file",
    "--add-comments=TRANSLATORS:",
    "--project=docsvc",
    "--copyright-holder=docsvc",
)

MessageId = tuple[str | None, str]  # (msgctxt, msgid); a plural message by its singular


def pybabel(*args: str) -> None:
    """Run ``pybabel`` (Babel's command line) from the repository's root, where the
    catalogue's locations are relative to."""
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", *args], cwd=ROOT, check=True
    )


def extract(pot: Path) -> Path:
    """Every message ``babel.cfg`` finds under ``docsvc/``, as a fresh template at ``pot``."""
    pybabel(
        "extract",
        "-F",
        str(MAPPING),
        "-o",
        str(pot),
        *EXTRACT_OPTIONS,
        str(PACKAGE_DIR.relative_to(ROOT)),
    )
    return pot


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale, domain=DOMAIN)


def message_ids(catalog: Catalog) -> set[MessageId]:
    return {(message.context, _singular(message.id)) for message in catalog if message.id}


def _singular(message_id: str | tuple[str, ...] | list[str]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def update() -> None:
    """Extract into ``messages.pot`` and merge it into every locale's ``.po`` (creating a
    missing one); new messages come in untranslated, changed ones fuzzy, and those no longer
    in the code are dropped (git keeps their old translations)."""
    extract(POT)
    for locale in LOCALES:
        command = "update" if po_path(locale).is_file() else "init"
        pybabel(
            command,
            "-i",
            str(POT.relative_to(ROOT)),
            "-d",
            str(LOCALE_DIR.relative_to(ROOT)),
            "-D",
            DOMAIN,
            "-l",
            locale,
            "--no-wrap",
            *(("--ignore-obsolete",) if command == "update" else ()),
        )


def compile_all() -> list[Path]:
    """Each locale's ``.po`` compiled into its ``.mo`` (untranslated and fuzzy messages
    left out, so that they show their English msgid)."""
    written = []
    for locale in LOCALES:
        mo = mo_path(locale)
        mo.write_bytes(compile_po(po_path(locale)))
        written.append(mo)
    return written


@dataclass(frozen=True)
class Problems:
    stale_template: list[str]
    out_of_sync: list[str]
    untranslated: list[str]
    fuzzy: list[str]
    format_errors: list[str]

    def __bool__(self) -> bool:
        return any(
            (
                self.stale_template,
                self.out_of_sync,
                self.untranslated,
                self.fuzzy,
                self.format_errors,
            )
        )

    def report(self) -> str:
        sections = [
            ("messages.pot differs from a fresh extraction", self.stale_template),
            ("a .po file differs from messages.pot", self.out_of_sync),
            (f"untranslated in {DEFAULT_LOCALE}", self.untranslated),
            (f"fuzzy in {DEFAULT_LOCALE}", self.fuzzy),
            ("translations whose %(name)s placeholders differ", self.format_errors),
        ]
        return "\n".join(
            f"{title}:\n" + "\n".join(f"  {line}" for line in lines)
            for title, lines in sections
            if lines
        )


def _describe(ids: Iterable[MessageId]) -> list[str]:
    return sorted(f"{context}: {msgid!r}" if context else repr(msgid) for context, msgid in ids)


def untranslated_and_fuzzy(catalog: Catalog) -> tuple[list[str], list[str]]:
    untranslated, fuzzy = [], []
    for message in catalog:
        if not message.id:
            continue
        key = _describe([(message.context, _singular(message.id))])[0]
        string = message.string
        strings = [string] if isinstance(string, str) else list(string or [""])
        if not all(strings):
            untranslated.append(key)
        elif message.fuzzy:
            fuzzy.append(key)
    return untranslated, fuzzy


def check(fresh_template: Path | None = None) -> Problems:
    """What is not current: the template against a fresh extraction (by message ids), each
    ``.po`` against the template, and the default locale's translations (all there, none
    fuzzy, the same placeholders as their msgid)."""
    with tempfile.TemporaryDirectory(prefix="docsvc-catalogue-") as work:
        fresh = message_ids(read_catalog(fresh_template or extract(Path(work) / "fresh.pot")))
    template = message_ids(read_catalog(POT))
    stale = [f"missing {line}" for line in _describe(fresh - template)]
    stale += [f"no longer in the code {line}" for line in _describe(template - fresh)]
    out_of_sync = []
    for locale in LOCALES:
        ids = message_ids(read_catalog(po_path(locale), locale))
        out_of_sync += [f"{locale}: missing {line}" for line in _describe(template - ids)]
        out_of_sync += [f"{locale}: obsolete {line}" for line in _describe(ids - template)]
    spanish = read_catalog(po_path(DEFAULT_LOCALE), DEFAULT_LOCALE)
    untranslated, fuzzy = untranslated_and_fuzzy(spanish)
    format_errors = [
        f"{locale}: {message.id!r}: {error}"
        for locale in LOCALES
        for message, errors in read_catalog(po_path(locale), locale).check()
        for error in errors
    ]
    return Problems(stale, out_of_sync, untranslated, fuzzy, format_errors)
