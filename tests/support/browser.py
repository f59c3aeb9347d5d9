"""Debian's Chromium, driven by Playwright (never a downloaded browser): whether it is
installed, a phone's viewport, browser contexts that record every request, and screenshots.

Screenshots go to ``test-artifacts/screenshots/`` (``DOCSVC_TEST_ARTIFACTS`` to move it).
Every page records the requests it makes, so that a test can show that nothing is loaded
from outside the service.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from docsvc.demo.seed import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
requires_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is installed by make test"
)
ARTIFACTS = Path(os.environ.get("DOCSVC_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
# A phone: the public page must work on one (Pixel 7's viewport).
PHONE = {
    "viewport": {"width": 412, "height": 915},
    "device_scale_factor": 2.625,
    "is_mobile": True,
    "has_touch": True,
}


@dataclass
class Recorded:
    """A browser context and every URL its pages asked for."""

    context: BrowserContext
    requests: list[str] = field(default_factory=list)

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("request", lambda request: self.requests.append(request.url))
        return page


def recorded(browser: Browser, **options: object) -> Recorded:
    context = browser.new_context(accept_downloads=True, locale="es-EC", **options)  # type: ignore[arg-type]
    return Recorded(context)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def signed_in(browser: Browser, url: str, username: str) -> tuple[Recorded, Page]:
    """A recorded context of ``username`` (a demo account), signed in at ``url``."""
    session = recorded(browser)
    page = session.page()
    page.goto(f"{url}/login")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url("**/bandeja")
    return session, page
