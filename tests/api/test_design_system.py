"""The pages are dressed by the vendored design system (GOV.UK Frontend, with Noto Sans),
served by docsvc itself, in the institution's colour; nothing comes from elsewhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

import docsvc.web
from docsvc.app import create_app
from docsvc.config import Settings
from tests.support.backends import Backend, build_backend

STATIC = Path(docsvc.web.__file__).parent / "static" / "govuk"


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("design"), request)
    yield built
    built.services.close()


def test_every_asset_a_page_names_is_served_here(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"brand_colour": "#6a1b4d"})
    with TestClient(create_app(settings, backend.services)) as anonymous:
        page = anonymous.get("/login").text
        assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|svg|ico))"', page)
        assert "/static/govuk/govuk-frontend.min.css" in assets and "/marca.css" in assets
        assert not re.search(r'(?:href|src)="(?:https?:)?//', page)
        for asset in assets:
            assert anonymous.get(asset).status_code == 200, asset
        brand = anonymous.get("/marca.css")
        assert brand.headers["content-type"].startswith("text/css")
        assert "--govuk-brand-colour:#6a1b4d" in brand.text
        css = anonymous.get("/static/govuk/govuk-frontend.min.css").text
        fonts = re.findall(r'url\("?(/static/govuk/fonts/[^")]+)"?\)', css)
        assert len(fonts) == 2
        for font in fonts:
            served = anonymous.get(font)
            assert served.status_code == 200 and served.content[:4] == b"wOF2", font
        # GOV.UK's typeface is reserved to GOV.UK: the build must not name it.
        assert "GDS Transport" not in css and '"Noto Sans"' in css
        assert 'class="govuk-template' in page and "govuk-button" in page


def test_the_vendored_build_says_what_it_is() -> None:
    for name in ("VERSION", "LICENSE-govuk-frontend.txt", "update.sh", "docsvc-govuk.scss"):
        assert (STATIC / name).is_file(), name
    assert (STATIC / "fonts" / "LICENSE-noto-sans.txt").is_file()
    assert re.search(r"^govuk-frontend \d+\.\d+\.\d+$", (STATIC / "VERSION").read_text(), re.M)


@pytest.mark.parametrize("colour", ["blue", "#12345", "#1234567", "red;}body{x:y"])
def test_the_brand_colour_is_a_hex_colour(colour: str) -> None:
    with pytest.raises(ValidationError):
        Settings(brand_colour=colour)
