"""A whole institution on one of the two real backend pairs every API test runs against.

- ``sqlite-local``: the embedded default, a SQLite file and the local object store;
- ``postgres-s3``: PostgreSQL started from Debian's package and a SeaweedFS S3 server, both
  started by the harness on 127.0.0.1 for the test session (the ``postgres_url`` and
  ``s3_endpoint`` fixtures of tests/conftest.py).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from docsvc.app import create_app
from docsvc.composition import build_services
from docsvc.config import Environment, Settings, StorageBackend
from docsvc.db.migrate import upgrade_to_head
from docsvc.demo.seed import seed_demo
from docsvc.organisation.service import ensure_institution
from docsvc.pki.service import ensure_dev_pki
from docsvc.services import Services
from storage import ObjectStore

if TYPE_CHECKING:
    from tests.harness.seaweedfs import S3Endpoint

BACKENDS = ("sqlite-local", "postgres-s3")
TEST_MAX_UPLOAD = 3 * 1024 * 1024
_counter = itertools.count()


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
        # Every test app runs the job queue itself, on PostgreSQL too, as the embedded
        # default does; `docsvc worker` has tests of its own.
        jobs_in_app=True,
        # Hundreds of test apps start and stop: their signing processes start at their
        # first batch only.
        job_warm_start=False,
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
        services = dataclasses.replace(services, store=store(services.store))
    upgrade_to_head(services.engine)
    with services.sessions() as db:
        ensure_institution(db, settings.institution_code, settings.institution_name)
        if pki:
            ensure_dev_pki(db, settings)
            db.commit()
        if seed:
            seed_demo(db, services)
        db.commit()
    return Backend(name=name, settings=settings, services=services)


def build_backend_on(
    data_dir: Path,
    database_url: str,
    s3: S3Endpoint,
    *,
    bucket: str = "docsvc",
    seed: bool = True,
    pki: bool = False,
) -> Backend:
    """Like ``build_backend("postgres-s3", ...)``, on a given database and S3 endpoint
    (e.g. the SeaweedFS cluster of tests/harness/topology.py) rather than the session's:
    the bucket made, the database migrated, the institution (and with ``pki`` its
    development PKI) and the demo data created."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = make_settings(data_dir, database_url, s3, bucket=bucket)
    services = build_services(settings)
    ensure_bucket = getattr(services.store, "ensure_bucket", None)
    if ensure_bucket is not None:
        ensure_bucket()
    upgrade_to_head(services.engine)
    with services.sessions() as db:
        ensure_institution(db, settings.institution_code, settings.institution_name)
        if pki:
            ensure_dev_pki(db, settings)
            db.commit()
        if seed:
            seed_demo(db, services)
        db.commit()
    return Backend(name="postgres-s3", settings=settings, services=services)
