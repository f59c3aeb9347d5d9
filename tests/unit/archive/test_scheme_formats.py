"""The scheme's CSV and JSON: exact round trips (random schemes included), what is
tolerated from spreadsheets, and the line an error names."""

from __future__ import annotations

import pytest
from hypothesis import given

from archive.classification import (
    Level,
    Node,
    Scheme,
    build_scheme,
    scheme_from_csv,
    scheme_from_json,
    scheme_to_csv,
    scheme_to_json,
)
from archive.errors import SchemeError
from tests.unit.archive.strategies import schemes

SCHEME = build_scheme(
    [
        Node("MDS", "Ministerio de Desarrollo Social", Level.fonds),
        Node("DAJ", "Dirección de Asesoría Jurídica", Level.section, "MDS"),
        Node(
            "RES",
            'Resoluciones, acuerdos y "órdenes"',
            Level.series,
            "DAJ",
            ("resolución", "anexo"),
        ),
        Node("RESA", "Resoluciones\nadministrativas", Level.subseries, "RES"),
        Node("NIN", "Niñez y adolescencia", Level.section, "MDS"),
    ]
)


def test_csv_as_written() -> None:
    assert scheme_to_csv(SCHEME) == (
        "code,name,level,parent,document_types\r\n"
        "MDS,Ministerio de Desarrollo Social,fonds,,\r\n"
        "DAJ,Dirección de Asesoría Jurídica,section,MDS,\r\n"
        'RES,"Resoluciones, acuerdos y ""órdenes""",series,DAJ,resolución;anexo\r\n'
        'RESA,"Resoluciones\nadministrativas",subseries,RES,\r\n'
        "NIN,Niñez y adolescencia,section,MDS,\r\n"
    )


def test_csv_round_trip_is_exact() -> None:
    assert scheme_from_csv(scheme_to_csv(SCHEME)) == SCHEME
    assert scheme_to_csv(scheme_from_csv(scheme_to_csv(SCHEME))) == scheme_to_csv(SCHEME)


def test_csv_from_a_spreadsheet_is_tolerated() -> None:
    text = (
        "\ufeff Level , CODE,name ,document_types,parent\r\n"  # BOM, other order and case
        "\r\n"
        " FONDS ,MDS , Ministerio de Desarrollo Social ,,\r\n"
        "section,DAJ,Dirección de Asesoría Jurídica,, MDS\r\n"
        'Series,RES,"Resoluciones, acuerdos y ""órdenes""", resolución ; anexo ;,DAJ\r\n'
        'subseries,RESA,"Resoluciones\nadministrativas",,RES\r\n'
        "section,NIN,Niñez y adolescencia,,MDS\r\n"
        ",,,,\r\n"
        "\r\n"
        "   \n"
    )
    assert scheme_from_csv(text) == SCHEME


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", 1),
        ("code,name,level,parent\nMDS,M,fonds,\n", 1),  # a column missing from the header
        ("code,name,level,parent,document_types,notes\n", 1),  # an unknown column
        ("code,name,level,parent,document_types,code\n", 1),
        ("code,name,level,parent,document_types\nMDS,M,fonds,\n", 2),  # a short row
        ("code,name,level,parent,document_types\nMDS,M,fonds,,,\n", 2),  # a long row
        ("code,name,level,parent,document_types\n\nMDS,M,fonds,,\nX,X,folder,MDS,\n", 4),
        ('code,name,level,parent,document_types\nMDS,"M\nN",fonds,,\nX,X,carpeta,MDS,\n', 4),
        ('code,name,level,parent,document_types\nMDS,"M"x,fonds,,\n', 2),  # bad quoting
        ('code,name,level,parent,document_types\nMDS,"M,fonds,,\n', 2),  # never closed
    ],
)
def test_bad_csv_names_its_line(text: str, line: int) -> None:
    with pytest.raises(SchemeError) as caught:
        scheme_from_csv(text)
    assert caught.value.code == "bad_csv"
    assert caught.value.message.startswith(f"line {line}:")


def test_a_csv_tree_error_keeps_its_code() -> None:
    text = "code,name,level,parent,document_types\nMDS,M,fonds,,\nX,X,series,NADA,\n"
    with pytest.raises(SchemeError) as caught:
        scheme_from_csv(text)
    assert caught.value.code == "unknown_parent"


def test_json_as_written() -> None:
    scheme = build_scheme(SCHEME.nodes[:3])
    assert (
        scheme_to_json(scheme)
        == (
            '{"nodes":['
            '{"code":"MDS","document_types":[],"level":"fonds",'
            '"name":"Ministerio de Desarrollo Social","parent":null},'
            '{"code":"DAJ","document_types":[],"level":"section",'
            '"name":"Dirección de Asesoría Jurídica","parent":"MDS"},'
            '{"code":"RES","document_types":["resolución","anexo"],"level":"series",'
            '"name":"Resoluciones, acuerdos y \\"órdenes\\"","parent":"DAJ"}'
            "]}"
        ).encode()
    )


def test_json_round_trip_is_exact() -> None:
    data = scheme_to_json(SCHEME)
    assert scheme_from_json(data) == SCHEME
    assert scheme_from_json(data.decode()) == SCHEME
    assert scheme_to_json(scheme_from_json(data)) == data


def test_json_may_leave_out_the_parent_of_a_root_and_empty_types() -> None:
    data = '\ufeff{"nodes": [{"code": "MDS", "name": "Ministerio", "level": "fonds"}]}'
    assert scheme_from_json(data) == build_scheme([Node("MDS", "Ministerio", Level.fonds)])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"{",
        b"\xff\xfe",
        b"[]",
        b'{"nodes": {}}',
        b'{"nodes": [], "version": 2}',
        b'{"nodes": [], "nodes": []}',
        b'{"nodes": [1]}',
        b'{"nodes": [{"code": "MDS", "name": "M"}]}',
        b'{"nodes": [{"code": "MDS", "name": "M", "level": "folder"}]}',
        b'{"nodes": [{"code": 1, "name": "M", "level": "fonds"}]}',
        b'{"nodes": [{"code": "MDS", "name": "M", "level": "fonds", "parent": 3}]}',
        b'{"nodes": [{"code": "MDS", "name": "M", "level": "fonds", "colour": "red"}]}',
        b'{"nodes": [{"code": "S", "name": "S", "level": "series", "document_types": "a"}]}',
        b'{"nodes": [{"code": "S", "name": "S", "level": "series", "document_types": [1]}]}',
        b'{"nodes": [{"code": "MDS", "name": NaN, "level": "fonds"}]}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_json_is_refused(data: bytes) -> None:
    with pytest.raises(SchemeError) as caught:
        scheme_from_json(data)
    assert caught.value.code == "bad_json"


def test_json_errors_name_the_line() -> None:
    with pytest.raises(SchemeError) as caught:
        scheme_from_json('{\n  "nodes": [\n    {"code": "MDS",}\n  ]\n}')
    assert caught.value.message.startswith("line 3 ")


def test_a_json_tree_error_keeps_its_code() -> None:
    with pytest.raises(SchemeError) as caught:
        scheme_from_json('{"nodes": [{"code": "S", "name": "S", "level": "section"}]}')
    assert caught.value.code == "root_not_fonds"


@given(schemes())
def test_any_valid_scheme_round_trips_through_csv(scheme: Scheme) -> None:
    text = scheme_to_csv(scheme)
    assert scheme_from_csv(text) == scheme
    assert scheme_from_csv("\ufeff" + text + "\r\n \n") == scheme


@given(schemes())
def test_any_valid_scheme_round_trips_through_json(scheme: Scheme) -> None:
    data = scheme_to_json(scheme)
    assert scheme_from_json(data) == scheme
    assert scheme_to_json(scheme_from_json(data)) == data
