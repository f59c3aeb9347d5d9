"""Fixtures for the storage conformance suite: every test that takes ``store`` runs once
against the local directory store and once against a real S3 server (SeaweedFS, started
once per session on 127.0.0.1), each time on a fresh, empty store."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.harness.seaweedfs import S3Endpoint, run_seaweedfs
from tests.support.s3 import Tamper, raw_client, s3_store


@dataclass(frozen=True, slots=True)
class StoreUnderTest:
    store: ObjectStore
    tamper: Tamper


@pytest.fixture(scope="session")
def storage_s3(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[S3Endpoint]:
    """The session's SeaweedFS: the one tests/conftest.py starts for the API tests when
    that fixture exists, so a full run starts one server, not two; else our own."""
    try:
        endpoint: S3Endpoint = request.getfixturevalue("s3_endpoint")
    except pytest.FixtureLookupError:
        with run_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as endpoint:
            yield endpoint
        return
    yield endpoint


def _tamper_local(store: LocalObjectStore) -> Tamper:
    def tamper(key: str, data: bytes) -> None:
        path = store.root / "objects" / key[:2] / key[2:4] / key
        path.chmod(0o644)
        path.write_bytes(data)

    return tamper


def _tamper_s3(endpoint: S3Endpoint, store: S3ObjectStore) -> Tamper:
    def tamper(key: str, data: bytes) -> None:
        # A new version with other bytes becomes the current one.
        with raw_client(endpoint) as client:
            client.put_object(store.bucket, key, io.BytesIO(data), len(data))

    return tamper


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def under_test(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreUnderTest]:
    if request.param == "local":
        local = LocalObjectStore(tmp_path / "store")
        yield StoreUnderTest(local, _tamper_local(local))
        return
    endpoint: S3Endpoint = request.getfixturevalue("storage_s3")
    with s3_store(endpoint, tmp_path) as remote:
        yield StoreUnderTest(remote, _tamper_s3(endpoint, remote))


@pytest.fixture
def store(under_test: StoreUnderTest) -> ObjectStore:
    return under_test.store


@pytest.fixture
def tamper(under_test: StoreUnderTest) -> Tamper:
    return under_test.tamper
