"""The long-lived parts of a running service, built once from Settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docsvc.config import Settings, StorageBackend
from docsvc.db.engine import make_engine, make_session_factory
from docsvc.signatures.runtime import SigningRuntime
from storage import LocalObjectStore, ObjectStore, S3ObjectStore

_signing_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    # Unlocked keys and the pool that runs pyHanko; built lazily, since most CLI commands
    # never sign.
    _signing: list[SigningRuntime] = field(default_factory=list, repr=False)

    @property
    def signing(self) -> SigningRuntime:
        with _signing_lock:
            if not self._signing:
                self._signing.append(
                    SigningRuntime(
                        self.settings.signing_workers,
                        timedelta(minutes=self.settings.signing_session_minutes),
                    )
                )
            return self._signing[0]

    def close(self) -> None:
        for runtime in self._signing:
            runtime.close()
        self.engine.dispose()


def build_store(settings: Settings) -> ObjectStore:
    if settings.storage_backend is StorageBackend.s3:
        return S3ObjectStore(
            endpoint=settings.s3_endpoint,
            access_key=settings.s3_access_key.get_secret_value(),
            secret_key=settings.s3_secret_key.get_secret_value(),
            bucket=settings.s3_bucket,
            secure=settings.s3_secure,
            region=settings.s3_region,
            spool_dir=settings.upload_tmp_dir,
        )
    return LocalObjectStore(settings.local_store_dir)


def build_services(settings: Settings, store: ObjectStore | None = None) -> Services:
    """``store`` overrides the configured one; tests use it to inject faults beside a real
    store."""
    engine = make_engine(settings.effective_database_url, settings.db_pool_size)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        store=store if store is not None else build_store(settings),
    )
