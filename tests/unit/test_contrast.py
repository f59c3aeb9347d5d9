"""Colour contrast of the pages (WCAG 2.1, 1.4.3): every pair of text and background the
stylesheet uses reaches 4.5:1, read from the stylesheet itself so that a change of colour
is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).parents[2] / "docsvc" / "web" / "static" / "docsvc.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def _luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _colour(name: str) -> str:
    return VARIABLES[name] if not name.startswith("#") else name


PAIRS = [
    ("fg", "bg", "body text"),
    ("#ffffff", "accent", "header text and buttons"),
    ("accent", "#ffffff", "secondary buttons, links in cards"),
    ("valid", "valid-bg", "a valid verdict"),
    ("amber", "amber-bg", "an indeterminate verdict"),
    ("error", "invalid-bg", "an invalid verdict"),
    ("error", "bg", "errors and overdue items"),
    ("#444444", "bg", "hints"),
    ("#555555", "bg", "annulled entries"),
]


@pytest.mark.parametrize(("text", "background", "where"), PAIRS)
def test_text_reaches_4_5_to_1(text: str, background: str, where: str) -> None:
    ratio = contrast(_colour(text), _colour(background))
    assert ratio >= 4.5, f"{where}: {ratio:.2f}:1"


def test_the_formula_matches_wcags_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
