"""The long-lived parts of a running service, built once from Settings.

``Services`` is the one registry of them, handed to routes by dependency (``deps``) and to
commands and periodic tasks as an argument. Its types come from the kernel below the
features; what features add (checks that a document was sent for signature) is wired in
by the composition root, ``docsvc.composition``, which is what callers use to build it."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from docsvc.actors.actor import Actor
from docsvc.config import Settings, StorageBackend
from docsvc.db.engine import make_engine, make_session_factory
from docsvc.runtime.keyring import Keyring
from docsvc.runtime.signing import SigningRuntime
from docsvc.runtime.verifiers import build_verifier
from docsvc.throttles import Throttles
from signing.isolation import IsolatedVerifier
from storage import LocalObjectStore, ObjectStore, S3ObjectStore

# Whether something now asks this actor to sign this document (a step of a signing line
# waiting for her, a transfer for signature her department has not answered). Features
# above ``signatures`` provide them; ``signatures`` only asks.
SignatureRequestCheck = Callable[[Session, Actor, uuid.UUID], bool]


class Closeable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=Closeable)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    store: ObjectStore
    # Per-client rate limits and concurrency gates; an application built on these services
    # gets fresh ones (``docsvc.app.create_app``).
    limits: Throttles
    signature_requests: tuple[SignatureRequestCheck, ...] = ()
    # Unlocked keys and the pool that runs pyHanko, and the verifier processes for
    # untrusted uploads: built lazily, since most CLI commands neither sign nor verify.
    # (Lists, so that a copy made with ``dataclasses.replace`` shares them.)
    _signing: list[SigningRuntime] = field(default_factory=list, repr=False)
    # By (processes, memory): copies with other settings get a pool of their own.
    _verifiers: dict[tuple[int, int], IsolatedVerifier] = field(default_factory=dict, repr=False)
    # The keys opened so far, by the settings that locate them (a copy made with other
    # settings opens its own).
    _keyrings: list[Keyring] = field(default_factory=list, repr=False)
    # Long-lived parts a feature starts on first use (a job runner's warm signing
    # processes), by name; closed with the services.
    _shared: dict[str, Closeable] = field(default_factory=dict, repr=False)
    _lazy_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def shared(self, name: str, build: Callable[[], C]) -> C:
        """The part called ``name``, built by ``build`` the first time it is asked for and
        kept (and shared by copies of these services) until ``close``."""
        with self._lazy_lock:
            found = self._shared.get(name)
            if found is None:
                found = self._shared[name] = build()
            return cast(C, found)

    @property
    def keys(self) -> Keyring:
        """The PKI, the seal, the register's checkpoint key and the key pepper, each
        opened at first use and held for the life of these services."""
        with self._lazy_lock:
            for ring in self._keyrings:
                if ring.settings is self.settings:
                    return ring
            ring = Keyring(self.settings)
            self._keyrings.append(ring)
            return ring

    @property
    def verifier(self) -> IsolatedVerifier:
        key = (self.settings.verifier_processes, self.settings.verify_memory_mb)
        with self._lazy_lock:
            found = self._verifiers.get(key)
            if found is None:
                found = self._verifiers[key] = build_verifier(self.settings)
            return found

    @property
    def signing(self) -> SigningRuntime:
        with self._lazy_lock:
            if not self._signing:
                self._signing.append(
                    SigningRuntime(
                        self.settings.signing_workers,
                        timedelta(minutes=self.settings.signing_session_minutes),
                    )
                )
            return self._signing[0]

    def close(self) -> None:
        """Stop the signing and verifier processes (shared with every copy of these
        services) and the database connections. They are forgotten too: a copy that is
        still in use starts new ones at its next signature or verification, instead of
        calling into a pool that was shut down."""
        with self._lazy_lock:
            runtimes, verifiers = list(self._signing), list(self._verifiers.values())
            shared = list(self._shared.values())
            self._signing.clear()
            self._verifiers.clear()
            self._shared.clear()
        for part in shared:
            part.close()
        for runtime in runtimes:
            runtime.close()
        for verifier in verifiers:
            verifier.close()
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
            retention_mode=settings.s3_retention_mode,
        )
    return LocalObjectStore(settings.local_store_dir)


def build_services(
    settings: Settings,
    store: ObjectStore | None = None,
    *,
    signature_requests: tuple[SignatureRequestCheck, ...] = (),
) -> Services:
    """The kernel's part; use ``docsvc.composition.build_services``, which adds the
    features' parts. ``store`` overrides the configured one; tests use it to inject faults
    beside a real store."""
    engine = make_engine(settings.effective_database_url, settings.db_pool_size)
    return Services(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        store=store if store is not None else build_store(settings),
        limits=Throttles.for_settings(settings),
        signature_requests=signature_requests,
    )
