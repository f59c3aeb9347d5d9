"""Fixtures for the page tests: a browser-like client per user, logged in through the
login form (its own cookies), against the module's ``backend``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD
from tests.support.backends import Backend
from tests.support.pages import csrf_of


@pytest.fixture
def browser_as(backend: Backend) -> Iterator[Callable[[str], TestClient]]:
    opened: list[TestClient] = []

    def open_as(username: str) -> TestClient:
        client = TestClient(create_app(backend.settings, backend.services))
        client.__enter__()
        opened.append(client)
        form = client.get("/login")
        done = client.post(
            "/login",
            data={
                "username": username,
                "password": DEMO_PASSWORD,
                "csrf_token": csrf_of(form.text),
            },
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/bandeja", done.text
        return client

    yield open_as
    for client in opened:
        client.__exit__(None, None, None)
