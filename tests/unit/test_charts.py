"""Server-drawn SVG charts: well-formed, proportional, and every text escaped."""

from __future__ import annotations

import re
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from docsvc.web import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: object) -> Element:
    # Our own output, parsed to check that it is well-formed.
    return ElementTree.fromstring(str(svg))  # noqa: S314


def test_bars_are_proportional_and_labelled() -> None:
    svg = str(charts.horizontal_bars("Firmas", [("Ana", 10), ("Luis", 5), ("Eva", 0)]))
    root = _parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "Firmas"
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 1.0  # a zero still shows a sliver
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Ana", "10", "Luis", "5", "Eva", "0"]


def test_hostile_labels_are_text() -> None:
    hostile = '<script>alert(1)</script>" onload="x'
    svg = str(charts.horizontal_bars(hostile, [(hostile, 1)]))
    assert "<script>" not in svg
    root = _parse(svg)  # still well-formed, and no attribute was injected
    assert root.get("aria-label") == hostile
    assert not any(element.get("onload") for element in root.iter())
    stacked = str(
        charts.stacked_columns(hostile, ["2026-11"], [hostile], {(hostile, "2026-11"): 2})
    )
    assert "<script>" not in stacked
    _parse(stacked)


def test_columns_stack_per_month() -> None:
    svg = str(
        charts.stacked_columns(
            "Registros",
            ["2026-10", "2026-11"],
            ["DAJ", "DRH"],
            {("DAJ", "2026-10"): 2, ("DRH", "2026-10"): 2, ("DAJ", "2026-11"): 1},
        )
    )
    root = _parse(svg)
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    heights = {r.find(f"{SVG}title").text: float(r.get("height", "0")) for r in bars}  # type: ignore[union-attr]
    assert heights["DAJ 2026-10: 2"] == heights["DRH 2026-10: 2"] == 2 * heights["DAJ 2026-11: 1"]
    assert re.search(r">10/26<.*>11/26<", svg)  # month/year
