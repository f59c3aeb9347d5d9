"""Debian's Chromium, driven by Playwright (never a downloaded browser), against the
service served by uvicorn on 127.0.0.1 in a thread of the test process. The helpers
(``serve``, ``recorded``, ``screenshot``...) are in tests/support/live_server.py and
tests/support/browser.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.backends import Backend
from tests.support.browser import CHROMIUM
from tests.support.live_server import LiveServer, serve


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


@pytest.fixture(scope="module")
def live(backend: Backend) -> Iterator[LiveServer]:
    """The module's institution (its ``backend`` fixture), served on 127.0.0.1."""
    yield from serve(backend)
