"""The transfer inventory (inventario documental, in the manner of the FUID, Formato
Único de Inventario Documental): the list of what one transfer or disposal hands over,
item by item with the SHA-256 of every stored version, so that the receiving archive can
check each one.

Its record is RFC 8785 canonical JSON, the bytes the service signs and registers; reading
it back is strict, so one inventory has exactly one record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Final

from archive.errors import ArchiveError
from archive.text_formats import JsonReader, write_csv
from transparency.leaves import canonical

RECORD_TYPE: Final = "docsvc.archive.inventory"
RECORD_VERSION: Final = 1
INVENTORY_CSV_HEADER: Final = (
    "number",
    "item_id",
    "series_code",
    "title",
    "first_date",
    "last_date",
    "volume",
    "sha256s",
)
_ITEM_KEYS: Final = INVENTORY_CSV_HEADER
_RECORD_KEYS: Final = (
    "type",
    "version",
    "kind",
    "institution",
    "from_unit",
    "to_unit",
    "made_on",
    "table_version",
    "items",
)
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A cell a spreadsheet would run as a formula (CSV injection): shown as text instead.
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


class InventoryKind(StrEnum):
    primary = "primary"  # transferencia primaria: office → central
    secondary = "secondary"  # transferencia secundaria: central → historical
    disposal = "disposal"  # eliminación: what is disposed of (acta de eliminación)


def _bad(message: str) -> ArchiveError:
    return ArchiveError("bad_inventory", message)


@dataclass(frozen=True, slots=True)
class InventoryItem:
    """One line of the inventory: a dossier or item, with its extreme dates."""

    number: int  # número de orden, 1.. in the inventory's order
    item_id: str
    series_code: str
    title: str
    first_date: date  # fecha extrema inicial
    last_date: date  # fecha extrema final
    volume: int  # documents
    sha256s: tuple[str, ...]  # of every stored version, lowercase hex

    def __post_init__(self) -> None:
        where = f"item {self.number!r}"
        if not all(text.strip() for text in (self.item_id, self.series_code, self.title)):
            raise _bad(f"{where}: item_id, series_code and title are required")
        for value in (self.number, self.volume):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(f"{where}: number and volume are whole numbers")
        if self.number < 1 or self.volume < 0:
            raise _bad(f"{where}: the number is 1 or more and the volume 0 or more")
        if self.first_date > self.last_date:
            raise _bad(f"{where}: the first date is after the last")
        if isinstance(self.sha256s, str):
            raise _bad(f"{where}: sha256s is a sequence of hashes, not one string")
        object.__setattr__(self, "sha256s", tuple(self.sha256s))
        if not all(isinstance(h, str) and _SHA256.fullmatch(h) for h in self.sha256s):
            raise _bad(f"{where}: a SHA-256 is 64 lowercase hex digits")


@dataclass(frozen=True, slots=True)
class Inventory:
    """A transfer or disposal inventory; its items are numbered 1..n in order."""

    kind: str  # an InventoryKind: "primary", "secondary" or "disposal"
    institution: str
    from_unit: str  # the office or archive handing over
    to_unit: str  # the archive receiving (for a disposal, who carries it out)
    made_on: date
    items: tuple[InventoryItem, ...]
    table_version: int | None = None  # the retention table version applied

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", InventoryKind(self.kind))
        except ValueError:
            raise _bad(f"unknown inventory kind {self.kind!r}") from None
        if not all(text.strip() for text in (self.institution, self.from_unit, self.to_unit)):
            raise _bad("institution, from_unit and to_unit are required")
        version = self.table_version
        if version is not None and (
            isinstance(version, bool) or not isinstance(version, int) or version < 1
        ):
            raise _bad(f"table_version {version!r} is not a version number")
        object.__setattr__(self, "items", tuple(self.items))
        for position, item in enumerate(self.items, start=1):
            if item.number != position:
                raise _bad(f"item {item.item_id!r} is numbered {item.number}, not {position}")


def inventory_record(inv: Inventory) -> bytes:
    """The inventory as RFC 8785 canonical JSON, the bytes to sign and register."""
    return canonical(
        {
            "type": RECORD_TYPE,
            "version": RECORD_VERSION,
            "kind": str(inv.kind),
            "institution": inv.institution,
            "from_unit": inv.from_unit,
            "to_unit": inv.to_unit,
            "made_on": inv.made_on.isoformat(),
            "table_version": inv.table_version,
            "items": [_item_fields(item) for item in inv.items],
        }
    )


def _item_fields(item: InventoryItem) -> dict[str, Any]:
    return {
        "number": item.number,
        "item_id": item.item_id,
        "series_code": item.series_code,
        "title": item.title,
        "first_date": item.first_date.isoformat(),
        "last_date": item.last_date.isoformat(),
        "volume": item.volume,
        "sha256s": list(item.sha256s),
    }


def inventory_from_record(data: bytes) -> Inventory:
    """The inventory a record holds. Strict: every key, nothing else, the right type and
    version, and the bytes in canonical form (so a record has one reading and
    ``inventory_record`` gives the same bytes back); else ``ArchiveError("bad_inventory")``.
    """
    read = JsonReader(ArchiveError, "bad_inventory")
    fields = read.fields(read.load(data), "record", _RECORD_KEYS)
    if fields["type"] != RECORD_TYPE or fields["version"] != RECORD_VERSION:
        read.fail(f"record: not a {RECORD_TYPE} record of version {RECORD_VERSION}")
    items: list[InventoryItem] = []
    for index, value in enumerate(read.items(fields, "items", "record")):
        where = f"items[{index}]"
        item = read.fields(value, where, _ITEM_KEYS)
        items.append(
            InventoryItem(
                number=read.integer(item, "number", where),
                item_id=read.text(item, "item_id", where),
                series_code=read.text(item, "series_code", where),
                title=read.text(item, "title", where),
                first_date=read.day(item, "first_date", where),
                last_date=read.day(item, "last_date", where),
                volume=read.integer(item, "volume", where),
                sha256s=read.texts(item, "sha256s", where),
            )
        )
    inventory = Inventory(
        kind=read.choice(fields, "kind", "record", (kind.value for kind in InventoryKind)),
        institution=read.text(fields, "institution", "record"),
        from_unit=read.text(fields, "from_unit", "record"),
        to_unit=read.text(fields, "to_unit", "record"),
        made_on=read.day(fields, "made_on", "record"),
        items=tuple(items),
        table_version=read.optional_integer(fields, "table_version", "record"),
    )
    if inventory_record(inventory) != data:
        read.fail("record: not in RFC 8785 canonical form")
    return inventory


def inventory_csv(inv: Inventory) -> str:
    """The items as CSV for people, one a row, hashes joined by ``;``. Headers are the
    English field names (``INVENTORY_CSV_HEADER``): the service translates them. A text
    cell that a spreadsheet would run as a formula gets a leading ``'``."""
    return write_csv(INVENTORY_CSV_HEADER, (_item_row(item) for item in inv.items))


def _item_row(item: InventoryItem) -> tuple[str, ...]:
    return (
        str(item.number),
        _as_text(item.item_id),
        _as_text(item.series_code),
        _as_text(item.title),
        item.first_date.isoformat(),
        item.last_date.isoformat(),
        str(item.volume),
        ";".join(item.sha256s),
    )


def _as_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
