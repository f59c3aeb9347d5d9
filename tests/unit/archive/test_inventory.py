"""The transfer inventory: its canonical record, read back strictly, and its CSV."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from archive.errors import ArchiveError
from archive.inventory import (
    Inventory,
    InventoryItem,
    InventoryKind,
    inventory_csv,
    inventory_from_record,
    inventory_record,
)
from transparency.leaves import canonical

A = "a" * 64
B = "0123456789abcdef" * 4
ITEMS = (
    InventoryItem(
        1, "dossier-17", "RES", "Resoluciones de adjudicación 2019", date(2019, 1, 3),
        date(2019, 12, 30), 42, (A, B),
    ),
    InventoryItem(
        2, "dossier-18", "CTRO", "=Contratación de obra pública", date(2020, 2, 29),
        date(2020, 2, 29), 0, (),
    ),
)  # fmt: skip
INVENTORY = Inventory(
    kind="primary",
    institution="Ministerio de Desarrollo Social",
    from_unit="Dirección de Asesoría Jurídica",
    to_unit="Archivo Central",
    made_on=date(2030, 6, 30),
    items=ITEMS,
    table_version=3,
)


def test_the_record_as_written() -> None:
    record = inventory_record(INVENTORY)
    assert json.loads(record) == {
        "type": "docsvc.archive.inventory",
        "version": 1,
        "kind": "primary",
        "institution": "Ministerio de Desarrollo Social",
        "from_unit": "Dirección de Asesoría Jurídica",
        "to_unit": "Archivo Central",
        "made_on": "2030-06-30",
        "table_version": 3,
        "items": [
            {
                "number": 1,
                "item_id": "dossier-17",
                "series_code": "RES",
                "title": "Resoluciones de adjudicación 2019",
                "first_date": "2019-01-03",
                "last_date": "2019-12-30",
                "volume": 42,
                "sha256s": [A, B],
            },
            {
                "number": 2,
                "item_id": "dossier-18",
                "series_code": "CTRO",
                "title": "=Contratación de obra pública",
                "first_date": "2020-02-29",
                "last_date": "2020-02-29",
                "volume": 0,
                "sha256s": [],
            },
        ],
    }
    assert record == canonical(json.loads(record))
    assert record.startswith(b'{"from_unit":"Direcci\xc3\xb3n de Asesor\xc3\xada Jur\xc3\xaddica"')


def test_the_record_reads_back_exactly() -> None:
    assert inventory_from_record(inventory_record(INVENTORY)) == INVENTORY
    assert INVENTORY.kind is InventoryKind.primary
    disposal = replace(INVENTORY, kind=InventoryKind.disposal, table_version=None, items=())
    assert inventory_from_record(inventory_record(disposal)) == disposal


def _record(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = json.loads(inventory_record(INVENTORY))
    fields.update(changes)
    return fields


def _item(**changes: Any) -> dict[str, Any]:
    return _record(items=[{**_record()["items"][0], **changes}])


@pytest.mark.parametrize(
    "fields",
    [
        _record(type="docsvc.archive.transfer"),
        _record(version=2),
        _record(version=True),
        _record(kind="loan"),
        _record(institution=""),
        _record(to_unit=None),
        _record(made_on="30/06/2030"),
        _record(made_on="20300630"),  # date.fromisoformat would take it
        _record(made_on="2030-02-30"),
        _record(table_version=0),
        _record(table_version="3"),
        _record(signed_by="x"),
        {key: value for key, value in _record().items() if key != "table_version"},
        _record(items=[_record()["items"][1]]),  # numbered 2 in first place
        _record(items={}),
        _item(number=0),
        _item(volume=-1),
        _item(volume=1.5),
        _item(title=" "),
        _item(first_date="2020-01-01", last_date="2019-12-31"),
        _item(sha256s=[A.upper()]),
        _item(sha256s=[A[:-1]]),
        _item(sha256s=A),
        _item(colour="red"),
    ],
)
def test_a_wrong_record_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ArchiveError) as caught:
        inventory_from_record(canonical(fields))
    assert caught.value.code == "bad_inventory"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"[]",
        b"\xff",
        json.dumps(_record(), indent=2).encode(),  # the same fields, not canonical
        json.dumps(_record(), sort_keys=True, separators=(",", ":")).encode(),  # \u escapes
        inventory_record(INVENTORY).replace(b'"version":1', b'"version":1.0'),
        inventory_record(INVENTORY).replace(b'{"from_unit"', b'{"kind":"primary","from_unit"'),
        b" " + inventory_record(INVENTORY),
    ],
)
def test_a_record_that_is_not_canonical_json_is_refused(data: bytes) -> None:
    with pytest.raises(ArchiveError) as caught:
        inventory_from_record(data)
    assert caught.value.code == "bad_inventory"


def test_items_are_numbered_in_order() -> None:
    with pytest.raises(ArchiveError) as caught:
        replace(INVENTORY, items=tuple(reversed(ITEMS)))
    assert caught.value.code == "bad_inventory"


def test_the_csv_for_people() -> None:
    assert inventory_csv(INVENTORY) == (
        "number,item_id,series_code,title,first_date,last_date,volume,sha256s\r\n"
        f"1,dossier-17,RES,Resoluciones de adjudicación 2019,2019-01-03,2019-12-30,42,{A};{B}\r\n"
        # A title a spreadsheet would run as a formula is shown as text.
        "2,dossier-18,CTRO,'=Contratación de obra pública,2020-02-29,2020-02-29,0,\r\n"
    )
