"""Shared fixtures: the two real backends every API test runs against (the helpers that
build them are in tests/support/backends.py).

- ``sqlite-local``: the embedded default, a SQLite file and the local object store;
- ``postgres-s3``: PostgreSQL started from Debian's package and a SeaweedFS S3 server, both
  started by the harness on 127.0.0.1 for the test session.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend

if TYPE_CHECKING:
    from tests.harness.seaweedfs import S3Endpoint


@pytest.fixture(scope="session")
def session_workdir() -> Iterator[Path]:
    # Under /tmp so that the postgres system user can reach it when tests run as root.
    with tempfile.TemporaryDirectory(prefix="docsvc-tests-") as tmp:
        path = Path(tmp)
        path.chmod(0o755)
        yield path


@pytest.fixture(scope="session")
def postgres_url(session_workdir: Path) -> Iterator[str]:
    from tests.harness.postgres import run_postgres

    with run_postgres(session_workdir / "pg") as url:
        yield url


@pytest.fixture(scope="session")
def s3_endpoint(session_workdir: Path) -> Iterator[S3Endpoint]:
    from tests.harness.seaweedfs import run_seaweedfs

    with run_seaweedfs(session_workdir / "seaweedfs") as endpoint:
        yield endpoint


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """One seeded institution per test module and backend."""
    built = build_backend(request.param, tmp_path_factory.mktemp(request.param), request)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def client(backend: Backend) -> Iterator[TestClient]:
    with backend.client() as test_client:
        yield test_client


@pytest.fixture(scope="module")
def auth(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Bearer headers per demo user, logged in once per module."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return headers
