"""Debian's Chromium, driven by Playwright (never a downloaded browser), against the
service served by uvicorn on 127.0.0.1 in a thread of the test process.

Screenshots go to ``test-artifacts/screenshots/`` (``DOCSVC_TEST_ARTIFACTS`` to move it).
Every page records the requests it makes, so that a test can show that nothing is loaded
from outside the service.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from docsvc.app import create_app
from tests.conftest import Backend

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def serve(backend: Backend) -> Iterator[LiveServer]:
    port = _free_port()
    settings = backend.settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    app = create_app(settings, backend.services)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", server, thread)
    finally:
        server.should_exit = True
        thread.join(30)


# Module scope, not session: while sync Playwright runs, its event loop is the running loop
# of this thread, and code under test that calls asyncio.run (pyHanko) would fail in every
# later module the worker runs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is installed by make test")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM is not None
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


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
