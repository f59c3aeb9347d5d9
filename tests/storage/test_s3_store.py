"""What only the S3 store (and the SeaweedFS harness) has to get right."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import pytest
from minio.error import S3Error

from storage import NotSupported, S3ObjectStore, StorageError, StoreUnavailable
from tests.harness.seaweedfs import LOOPBACK, S3Endpoint, refuse_non_loopback
from tests.support.s3 import new_bucket_name, raw_client, s3_store

pytestmark = pytest.mark.s3


def versions_of(endpoint: S3Endpoint, bucket: str) -> list[tuple[str, bool]]:
    with raw_client(endpoint) as client:
        return [
            (entry.object_name, bool(entry.is_delete_marker))
            for entry in client.list_objects(bucket, include_version=True, recursive=True)
        ]


def test_delete_leaves_no_version_and_no_delete_marker(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    with s3_store(storage_s3, tmp_path) as store:
        key = store.put_stream(io.BytesIO(b"to be disposed of")).key
        store.set_legal_hold(key, True)
        store.set_legal_hold(key, False)
        store.delete(key)
        assert versions_of(storage_s3, store.bucket) == []


def test_readiness_probe_leaves_nothing_behind(storage_s3: S3Endpoint, tmp_path: Path) -> None:
    with s3_store(storage_s3, tmp_path) as store:
        for _ in range(3):
            store.check_ready()
        assert versions_of(storage_s3, store.bucket) == []


def test_a_large_put_is_a_multipart_upload_of_the_spooled_file(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    data = bytes(range(256)) * (4 * 20_000 + 7)  # ~20 MiB, three parts
    with s3_store(storage_s3, spool) as store:
        stored = store.put_stream(io.BytesIO(data))
        assert list(spool.iterdir()) == []  # the spool file is gone
        with raw_client(storage_s3) as client:
            etag = client.stat_object(store.bucket, stored.key).etag
        assert etag is not None
        assert etag.endswith("-3")  # S3's mark of a three-part upload
        assert b"".join(store.iter_chunks(stored.key)) == data


def test_ensure_bucket_is_idempotent(storage_s3: S3Endpoint, tmp_path: Path) -> None:
    with s3_store(storage_s3, tmp_path) as store:
        store.ensure_bucket()
        store.ensure_bucket()
        store.check_ready()


def test_ensure_bucket_refuses_a_bucket_without_object_lock(storage_s3: S3Endpoint) -> None:
    bucket = new_bucket_name()
    with raw_client(storage_s3) as client:
        client.make_bucket(bucket)
    store = S3ObjectStore(storage_s3.endpoint, storage_s3.access_key, storage_s3.secret_key, bucket)
    try:
        with pytest.raises(NotSupported):
            store.ensure_bucket()
    finally:
        store.close()


def test_without_object_lock_retention_and_hold_are_not_supported(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    with s3_store(storage_s3, tmp_path, object_lock=False) as store:
        assert not store.capabilities.retention
        assert not store.capabilities.legal_hold
        assert store.capabilities.versioning
        key = store.put_stream(io.BytesIO(b"unlocked")).key
        with pytest.raises(NotSupported):
            store.set_retention(key, datetime.now(UTC) + timedelta(days=1))
        with pytest.raises(NotSupported):
            store.set_legal_hold(key, True)
        assert [info.key for info in store.list()] == [key]
        store.delete(key)
        assert not store.exists(key)


def test_retention_is_compliance_mode(storage_s3: S3Endpoint, tmp_path: Path) -> None:
    with s3_store(storage_s3, tmp_path) as store:
        key = store.put_stream(io.BytesIO(b"kept by law")).key
        store.set_retention(key, datetime.now(UTC) + timedelta(minutes=1))
        with raw_client(storage_s3) as client:
            retention = client.get_object_retention(store.bucket, key)
        assert retention is not None
        assert retention.mode == "COMPLIANCE"


def test_governance_mode_is_chosen_knowingly_and_still_enforced(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    """DOCSVC_S3_RETENTION_MODE=GOVERNANCE: the server records it, and a delete without the
    bypass permission is still refused."""
    with s3_store(storage_s3, tmp_path, retention_mode="GOVERNANCE") as store:
        key = store.put_stream(io.BytesIO(b"kept, with a way out")).key
        store.set_retention(key, datetime.now(UTC) + timedelta(minutes=1))
        with raw_client(storage_s3) as client:
            retention = client.get_object_retention(store.bucket, key)
            assert retention is not None and retention.mode == "GOVERNANCE"
            version = client.stat_object(store.bucket, key).version_id
            with pytest.raises(S3Error, match="AccessDenied"):
                client.remove_object(store.bucket, key, version_id=version)
        assert store.exists(key)
    with pytest.raises(StorageError):
        S3ObjectStore(storage_s3.endpoint, "k" * 8, "s" * 16, "b" * 8, retention_mode="LAX")


def test_the_server_itself_enforces_retention_and_hold(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    """Not only our pre-check: a client going around the store is refused too."""
    with s3_store(storage_s3, tmp_path) as store:
        retained = store.put_stream(io.BytesIO(b"retained")).key
        held = store.put_stream(io.BytesIO(b"held")).key
        store.set_retention(retained, datetime.now(UTC) + timedelta(minutes=1))
        store.set_legal_hold(held, True)
        with raw_client(storage_s3) as client:
            for key in (retained, held):
                version = client.stat_object(store.bucket, key).version_id
                with pytest.raises(S3Error, match="AccessDenied"):
                    client.remove_object(store.bucket, key, version_id=version)
        assert store.exists(retained)
        assert store.exists(held)


def test_an_unreachable_endpoint_is_unavailable_quickly() -> None:
    store = S3ObjectStore(f"{LOOPBACK}:9", "k" * 8, "s" * 16, "nothing")
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable):
            store.check_ready()
        with pytest.raises(StoreUnavailable):
            store.stat("0" * 64)
    finally:
        store.close()
    assert time.monotonic() - started < 10


def test_wrong_credentials_are_unavailable(storage_s3: S3Endpoint, tmp_path: Path) -> None:
    with s3_store(storage_s3, tmp_path) as good:
        bad = S3ObjectStore(
            storage_s3.endpoint,
            storage_s3.access_key,
            "not-the-secret",
            good.bucket,
            region="us-east-1",
        )
        try:
            with pytest.raises(StoreUnavailable):
                bad.check_ready()
        finally:
            bad.close()


def test_missing_bucket_is_unavailable(storage_s3: S3Endpoint) -> None:
    store = S3ObjectStore(
        storage_s3.endpoint,
        storage_s3.access_key,
        storage_s3.secret_key,
        new_bucket_name(),
        region="us-east-1",
    )
    try:
        with pytest.raises(StoreUnavailable):
            store.check_ready()
    finally:
        store.close()


@pytest.mark.parametrize(
    "endpoint",
    ["localhost:8333", "0.0.0.0:8333", "10.0.0.5:9000", "s3.amazonaws.com:443", "127.0.0.1"],
)
def test_the_harness_refuses_anything_but_loopback(endpoint: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        refuse_non_loopback(endpoint)
    with pytest.raises(ValueError, match=r"127\.0\.0\.1"):
        S3Endpoint(endpoint=endpoint, access_key="a", secret_key="b")


def test_seaweedfs_listens_on_loopback_only(storage_s3: S3Endpoint) -> None:
    port = int(storage_s3.endpoint.rpartition(":")[2])
    owners = {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port
    }
    assert len(owners) == 1
    (pid,) = owners
    assert pid is not None
    listening = [
        conn.laddr
        for conn in psutil.Process(pid).net_connections(kind="inet")
        if conn.status == psutil.CONN_LISTEN
    ]
    assert len(listening) >= 8  # master, volume, filer, S3 and their gRPC ports, admin
    assert {address.ip for address in listening} == {LOOPBACK}
