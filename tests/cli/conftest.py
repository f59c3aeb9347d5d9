"""Fixtures for the CLI tests: a running ``docsvc serve`` with its development PKI, for
outside validators (tests/support/served.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.served import Served, serving


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("served-pki")) as running:
        yield running
