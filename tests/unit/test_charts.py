"""Server-drawn SVG charts: well-formed, proportional, and every text escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from docsvc.locale import translator
from docsvc.web import charts

SVG = "{http://www.w3.org/2000/svg}"
ES = translator("es")


def _parse(svg: object) -> Element:
    # Our own output, parsed to check that it is well-formed.
    return ElementTree.fromstring(str(svg))  # noqa: S314


def test_bars_are_proportional_and_labelled() -> None:
    svg = str(charts.horizontal_bars(ES, "Firmas", [("Ana", 10), ("Luis", 5), ("Eva", 0)]))
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Firmas"
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 1.0  # a zero still shows a sliver
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Ana", "10", "Luis", "5", "Eva", "0"]


def test_hostile_labels_are_text() -> None:
    hostile = '<script>alert(1)</script>" onload="x'
    svg = str(charts.horizontal_bars(ES, hostile, [(hostile, 1)]))
    assert "<script>" not in svg
    root = _parse(svg)  # still well-formed, and no attribute was injected
    assert root.get("aria-label") == hostile
    assert not any(element.get("onload") for element in root.iter())
    stacked = str(
        charts.stacked_columns(ES, hostile, ["2026-11"], [hostile], {(hostile, "2026-11"): 2})
    )
    assert "<script>" not in stacked
    _parse(stacked)


def test_columns_stack_per_month() -> None:
    svg = str(
        charts.stacked_columns(
            ES,
            "Registros",
            ["2026-10", "2026-11"],
            ["DAJ", "DRH"],
            {("DAJ", "2026-10"): 2, ("DRH", "2026-10"): 2, ("DAJ", "2026-11"): 1},
        )
    )
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = {r.find(f"{SVG}title").text: float(r.get("height", "0")) for r in bars}  # type: ignore[union-attr]
    assert heights["DAJ oct 2026: 2"] == heights["DRH oct 2026: 2"]
    assert heights["DAJ oct 2026: 2"] == 2 * heights["DAJ nov 2026: 1"]
    assert re.search(r">oct<.*>nov<", svg)  # the month on the axis, with its year in the title


def test_bars_write_figures_with_the_readers_separators() -> None:
    rows = [("DAJ", 1234.0), ("RRHH", 2.5)]
    spanish = charts.horizontal_bars(translator("es"), "Tiempo", rows, unit=" h")
    english = charts.horizontal_bars(translator("en"), "Time", rows, unit=" h")
    assert "1.234 h" in spanish and "2,5 h" in spanish
    assert "1,234 h" in english and "2.5 h" in english


def test_columns_name_their_months_in_the_readers_language() -> None:
    counts = {("DAJ", "2026-12"): 1500, ("RRHH", "2026-11"): 3}
    spanish = charts.stacked_columns(
        translator("es"), "Entradas", ["2026-11", "2026-12"], ["DAJ", "RRHH"], counts
    )
    assert ">nov<" in spanish and ">dic<" in spanish
    assert "dic 2026: 1.500" in spanish and ">1.500<" in spanish
    english = charts.stacked_columns(
        translator("en"), "Entries", ["2026-11", "2026-12"], ["DAJ", "RRHH"], counts
    )
    assert ">Dec<" in english and "Dec 2026: 1,500" in english
