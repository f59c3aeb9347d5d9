"""Colour contrast of the pages (WCAG 2.1, 1.4.3): every pair of text and background the
pages use reaches 4.5:1, read from the stylesheets themselves (the design system's custom
properties, docsvc's own layer and the default institution colour) so that a change of
colour is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from docsvc.config import Settings, contrast

STATIC = Path(__file__).parents[2] / "docsvc" / "web" / "static"
GOVUK: dict[str, str] = {}
# The first definitions are the root's; components redefine some later (the header's
# text is white, on its own dark background).
for _name, _value in re.findall(
    r"--govuk-([a-z-]+)-colour:\s*(#[0-9a-fA-F]{6})",
    (STATIC / "govuk" / "govuk-frontend.min.css").read_text(),
):
    GOVUK.setdefault(_name, _value)
OWN = (STATIC / "docsvc.css").read_text()


def _background(selector: str) -> str:
    """The background colour docsvc.css gives a verdict's notice."""
    found = re.search(re.escape(selector) + r"[^{]*\{[^}]*background:\s*(#[0-9a-fA-F]{6})", OWN)
    assert found, selector
    return found.group(1)


BRAND = str(Settings.model_fields["brand_colour"].default)
PAIRS = [
    (GOVUK["text"], GOVUK["body-background"], "body text"),
    ("#ffffff", BRAND, "the header in the default institution colour"),
    (GOVUK["link"], GOVUK["body-background"], "links"),
    (GOVUK["link"], GOVUK["template-background"], "links in the menu and footer"),
    (GOVUK["secondary-text"], GOVUK["body-background"], "hints and annulled entries"),
    (GOVUK["error"], GOVUK["body-background"], "errors and overdue items"),
    (GOVUK["text"], _background(".notice-valid"), "a valid verdict"),
    (GOVUK["text"], _background(".notice-indeterminate"), "an indeterminate verdict"),
    (GOVUK["text"], _background(".notice-invalid"), "an invalid verdict"),
    (GOVUK["link"], _background(".notice-valid"), "a link in a valid verdict"),
]


@pytest.mark.parametrize(("text", "background", "where"), PAIRS)
def test_text_reaches_4_5_to_1(text: str, background: str, where: str) -> None:
    ratio = contrast(text, background)
    assert ratio >= 4.5, f"{where}: {ratio:.2f}:1"


def test_the_formula_matches_wcags_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("colour", ["#ffdd00", "#f0f0f0", "#4c9ad9"])
def test_an_institution_colour_too_light_for_white_text_is_refused(colour: str) -> None:
    with pytest.raises(ValueError, match=r"4\.5:1"):
        Settings(brand_colour=colour)
