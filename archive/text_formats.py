"""The CSV and JSON reading and writing that the scheme, the retention table and the
inventory share.

CSV is how archivists bring tables from spreadsheets, so reading it is tolerant of what
spreadsheets do (a UTF-8 byte-order mark, CRLF, spaces around cells, blank lines, columns in
another order) and strict about anything that would change meaning (a missing or unknown
column, a short row). JSON is read strictly: duplicate keys, NaN and unknown keys are
refused, so that one document cannot be read two ways.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NoReturn

from archive.errors import ArchiveError

BOM = "\ufeff"
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """RFC 4180 CSV (CRLF line ends, minimal quoting), the header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def read_csv(
    text: str, header: Sequence[str], error: type[ArchiveError]
) -> list[tuple[int, dict[str, str]]]:
    """The rows of ``text`` as ``(line, {column: stripped cell})``, blank lines skipped.

    ``line`` is the physical line where the row starts (1 is the header's), so that the
    message of an error points where a person will look. Errors are ``error("bad_csv")``.
    """
    text = text.removeprefix(BOM)
    # newline="" leaves line ends to the csv module, which knows CRLF and line breaks
    # inside quoted cells.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    try:
        for cells in reader:
            cleaned = [cell.strip() for cell in cells]
            if any(cleaned):
                if columns is None:
                    columns = _columns(cleaned, header, line, error)
                elif len(cleaned) != len(columns):
                    raise error(
                        "bad_csv",
                        f"line {line}: {len(cleaned)} cells where the header has "
                        f"{len(columns)} ({', '.join(columns)})",
                    )
                else:
                    rows.append((line, dict(zip(columns, cleaned, strict=True))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise error("bad_csv", f"line {line}: {exc}") from None
    if columns is None:
        raise error("bad_csv", f"line 1: no header; expected {','.join(header)}")
    return rows


def _columns(
    cells: list[str], header: Sequence[str], line: int, error: type[ArchiveError]
) -> list[str]:
    columns = [cell.lower() for cell in cells]
    missing = [name for name in header if name not in columns]
    if missing:
        raise error("bad_csv", f"line {line}: missing column(s) {', '.join(missing)}")
    unknown = [name for name in columns if name not in header]
    if unknown:
        raise error("bad_csv", f"line {line}: unknown column(s) {', '.join(unknown)}")
    if len(set(columns)) != len(columns):
        raise error("bad_csv", f"line {line}: a column appears twice")
    return columns


class JsonReader:
    """Reads one JSON document strictly, every failure an ``error(code)`` naming where."""

    __slots__ = ("code", "error")

    def __init__(self, error: type[ArchiveError], code: str) -> None:
        self.error = error
        self.code = code

    def fail(self, message: str) -> NoReturn:
        raise self.error(self.code, message)

    def load(self, data: bytes | str) -> Any:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
            return json.loads(
                text.removeprefix(BOM),
                object_pairs_hook=_unique_keys,
                parse_constant=_no_constant,
            )
        except json.JSONDecodeError as exc:
            self.fail(f"line {exc.lineno} column {exc.colno}: {exc.msg}")
        except UnicodeDecodeError:
            self.fail("not UTF-8")
        except (ValueError, RecursionError) as exc:
            # Duplicate keys, NaN, integers too long to read, nesting too deep.
            self.fail(str(exc) or type(exc).__name__)

    def fields(
        self,
        value: object,
        where: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> Mapping[str, object]:
        """``value`` as an object with every ``required`` key and no key but these."""
        if not isinstance(value, dict):
            self.fail(f"{where}: an object is expected")
        missing = [key for key in required if key not in value]
        if missing:
            self.fail(f"{where}: missing {', '.join(missing)}")
        unknown = sorted(key for key in value if key not in required and key not in optional)
        if unknown:
            self.fail(f"{where}: unknown {', '.join(unknown)}")
        return value

    def text(self, fields: Mapping[str, object], key: str, where: str) -> str:
        value = fields[key]
        if not isinstance(value, str):
            self.fail(f"{where}.{key}: a string is expected")
        return value

    def optional_text(self, fields: Mapping[str, object], key: str, where: str) -> str | None:
        if fields.get(key) is None:
            return None
        return self.text(fields, key, where)

    def integer(self, fields: Mapping[str, object], key: str, where: str) -> int:
        value = fields[key]
        # bool is an int in Python, never in a document.
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(f"{where}.{key}: an integer is expected")
        return value

    def optional_integer(self, fields: Mapping[str, object], key: str, where: str) -> int | None:
        if fields.get(key) is None:
            return None
        return self.integer(fields, key, where)

    def items(self, fields: Mapping[str, object], key: str, where: str) -> list[object]:
        value = fields[key]
        if not isinstance(value, list):
            self.fail(f"{where}.{key}: a list is expected")
        return value

    def texts(self, fields: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
        values = self.items(fields, key, where)
        if not all(isinstance(value, str) for value in values):
            self.fail(f"{where}.{key}: a list of strings is expected")
        return tuple(str(value) for value in values)

    def day(self, fields: Mapping[str, object], key: str, where: str) -> date:
        """An ISO date, ``YYYY-MM-DD`` only (``date.fromisoformat`` takes more forms)."""
        value = self.text(fields, key, where)
        if _ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass  # 2026-02-30: refused below, as any other wrong date
        raise self.error(self.code, f"{where}.{key}: a date YYYY-MM-DD is expected")

    def choice(
        self, fields: Mapping[str, object], key: str, where: str, allowed: Iterable[str]
    ) -> str:
        value = self.text(fields, key, where)
        names = list(allowed)
        if value not in names:
            self.fail(f"{where}.{key}: {value!r} is not one of {', '.join(names)}")
        return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")
