"""What a filled-in field's appearance must show: its new value, the page's own text aside,
and through a format action the value's letters and digits in order (pure logic of
``signing.form_changes``; the attack files exercise the rest)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from signing.form_changes import Field, _Change, _shown_text, _shows_value


def _change(
    value: str, *, formatted: bool = False, options: tuple[tuple[str, str], ...] = ()
) -> _Change:
    field = Field(
        name="Monto",
        kind="/Tx",
        value="digest",
        text=value,
        flags=0,
        formatted=formatted,
        options=list(options),
    )
    return _Change("Monto", None, field, value_changed=True, changed_widgets=())


def test_the_page_text_under_the_field_is_not_taken_for_the_value() -> None:
    assert _shown_text("Monto:", "Monto: USD 1.000,00") == "USD1.000,00"
    assert _shows_value(_change("USD 1.000,00"), "USD1.000,00")
    assert not _shows_value(_change("USD 1.000,00"), "USD999.999,00")


def test_a_format_action_may_decorate_the_value_but_not_change_it() -> None:
    assert _shows_value(_change("1234.5", formatted=True), "$1,234.50")
    assert not _shows_value(_change("1234.5", formatted=True), "$9,234.50")


def test_a_choice_shows_the_display_text_of_its_export_value() -> None:
    change = _change("q", options=[("q", "Quito"), ("g", "Guayaquil")])
    assert _shows_value(change, "Quito")
    assert not _shows_value(change, "Guayaquil")


@given(st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=40))
def test_any_value_shown_as_it_is_passes(value: str) -> None:
    assert _shows_value(_change(value), "".join(value.split()))
