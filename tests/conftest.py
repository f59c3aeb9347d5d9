"""Shared fixtures: the two real backends every API test runs against.

- ``sqlite-local``: the embedded default, a SQLite file and the local object store;
- ``postgres-s3``: PostgreSQL started from Debian's package and a SeaweedFS S3 server, both
  started by the harness on 127.0.0.1 for the test session.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from docsvc.app import create_app
from docsvc.config import Environment, Settings, StorageBackend
from docsvc.db.migrate import upgrade_to_head
from docsvc.demo.seed import DEMO_PASSWORD, seed_demo
from docsvc.organisation.service import ensure_institution
from docsvc.pki.service import ensure_dev_pki
from docsvc.services import Services, build_services
from storage import ObjectStore

if TYPE_CHECKING:
    from tests.harness.seaweedfs import S3Endpoint

BACKENDS = ("sqlite-local", "postgres-s3")
TEST_MAX_UPLOAD = 3 * 1024 * 1024
_counter = itertools.count()


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


@dataclass
class Backend:
    """A whole institution on one backend pair, seeded with the demo data."""

    name: str
    settings: Settings
    services: Services

    def client(self, *, raise_server_exceptions: bool = True) -> TestClient:
        return TestClient(
            create_app(self.settings, self.services),
            raise_server_exceptions=raise_server_exceptions,
        )

    def root_der(self) -> bytes:
        """The development PKI's root (DER): the trust anchor for verifying its signatures."""
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        pem = (self.settings.pki_dir / "root.pem").read_bytes()
        return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)

    def settings_env(self) -> dict[str, str]:
        """The environment that makes the CLI see this same institution."""
        env = {
            "DOCSVC_ENV": "test",
            "DOCSVC_DATA_DIR": str(self.settings.data_dir),
            "DOCSVC_DATABASE_URL": self.settings.database_url,
            "DOCSVC_STORAGE_BACKEND": self.settings.storage_backend.value,
            "DOCSVC_S3_ENDPOINT": self.settings.s3_endpoint,
            "DOCSVC_S3_BUCKET": self.settings.s3_bucket,
            "DOCSVC_S3_ACCESS_KEY": self.settings.s3_access_key.get_secret_value(),
            "DOCSVC_S3_SECRET_KEY": self.settings.s3_secret_key.get_secret_value(),
            "DOCSVC_SECRET_KEY": self.settings.secret_key.get_secret_value(),
        }
        return {k: v for k, v in env.items() if v}


def make_settings(
    data_dir: Path, database_url: str = "", s3: S3Endpoint | None = None, bucket: str = ""
) -> Settings:
    return Settings(
        env=Environment.test,
        data_dir=data_dir,
        database_url=database_url,
        storage_backend=StorageBackend.s3 if s3 else StorageBackend.local,
        s3_endpoint=s3.endpoint if s3 else "127.0.0.1:9",
        s3_bucket=bucket or "docsvc",
        s3_access_key=SecretStr(s3.access_key if s3 else ""),
        s3_secret_key=SecretStr(s3.secret_key if s3 else ""),
        max_upload_bytes=TEST_MAX_UPLOAD,
        max_pdf_pages=25,
        max_pdf_objects=1000,
        secret_key=SecretStr("test-secret-key-" + "x" * 32),
        # Every test logs in from the one address "testclient", and the lockout tests fail
        # dozens of logins a minute: far more than a person would (the default is 20).
        login_failures_per_minute=200,
    )


def build_backend(
    name: str,
    data_dir: Path,
    request: pytest.FixtureRequest,
    *,
    seed: bool = True,
    store: Callable[[ObjectStore], ObjectStore] | None = None,
    pki: bool = False,
) -> Backend:
    """``pki`` also creates the development PKI, before seeding, so that the demo officials
    get signing credentials (it costs a few seconds, so only signing tests ask for it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if name == "sqlite-local":
        settings = make_settings(data_dir)
    else:
        pg_url: str = request.getfixturevalue("postgres_url")
        s3: S3Endpoint = request.getfixturevalue("s3_endpoint")
        from tests.harness.postgres import create_database

        n = next(_counter)
        settings = make_settings(
            data_dir,
            create_database(pg_url, f"docsvc_{os.getpid()}_{n}"),
            s3,
            bucket=f"docsvc-{os.getpid()}-{n}",
        )
    services = build_services(settings)
    ensure_bucket = getattr(services.store, "ensure_bucket", None)
    if ensure_bucket is not None:
        ensure_bucket()
    if store is not None:
        services = Services(
            settings=services.settings,
            engine=services.engine,
            sessions=services.sessions,
            store=store(services.store),
        )
    upgrade_to_head(services.engine)
    with services.sessions() as db:
        ensure_institution(db, settings.institution_code, settings.institution_name)
        if pki:
            ensure_dev_pki(db, settings)
            db.commit()
        if seed:
            seed_demo(db, services.store, settings)
        db.commit()
    return Backend(name=name, settings=settings, services=services)


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


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def auth(client: TestClient) -> Callable[[str], dict[str, str]]:
    """Bearer headers per demo user, logged in once per module."""
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = login(client, username)
        return cache[username]

    return headers
