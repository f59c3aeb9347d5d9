"""Temporary objects: named, never locked, listed with their modification times, deleted
with every version. Each test that takes ``store`` runs against the local store and S3."""

from __future__ import annotations

import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio.commonconfig import GOVERNANCE
from minio.objectlockconfig import DAYS, ObjectLockConfig

from storage import (
    TEMPORARY_PREFIX,
    LocalObjectStore,
    NotSupported,
    ObjectNotFound,
    ObjectStore,
    StorageError,
)
from storage.keys import is_temporary_name, is_temporary_prefix
from tests.harness.seaweedfs import S3Endpoint
from tests.support.s3 import raw_client, s3_store


def put(store: ObjectStore, name: str, data: bytes) -> None:
    store.put_temporary(name, io.BytesIO(data), len(data))


def read(store: ObjectStore, name: str, chunk_size: int = 1024 * 1024) -> bytes:
    return b"".join(store.iter_temporary(name, chunk_size))


def names(store: ObjectStore, prefix: str = "") -> list[str]:
    return [info.name for info in store.list_temporary(prefix)]


def test_round_trip_and_replace(store: ObjectStore) -> None:
    data = bytes(range(256)) * 40
    put(store, "verificaciones/abc.pdf", data)
    assert read(store, "verificaciones/abc.pdf") == data
    assert [len(c) for c in store.iter_temporary("verificaciones/abc.pdf", 4096)] == [
        4096,
        4096,
        2048,
    ]
    put(store, "verificaciones/abc.pdf", b"again")
    assert read(store, "verificaciones/abc.pdf") == b"again"
    put(store, "empty", b"")
    assert read(store, "empty") == b""


def test_list_is_in_name_order_with_size_and_modification_time(store: ObjectStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    for name in ("v/b.json", "v/a.pdf", "v/a.json", "w/x", "v2/c"):
        put(store, name, name.encode())
    infos = list(store.list_temporary("v/"))
    assert [info.name for info in infos] == ["v/a.json", "v/a.pdf", "v/b.json"]
    assert [info.size for info in infos] == [8, 7, 8]
    for info in infos:
        assert info.modified_at.tzinfo is not None
        assert before <= info.modified_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert names(store, "v") == ["v/a.json", "v/a.pdf", "v/b.json", "v2/c"]
    assert names(store, "v/a") == ["v/a.json", "v/a.pdf"]
    assert names(store) == ["v/a.json", "v/a.pdf", "v/b.json", "v2/c", "w/x"]
    assert names(store, "nothing/") == []


def test_temporary_objects_are_not_content_objects(store: ObjectStore) -> None:
    content = store.put_stream(io.BytesIO(b"a document")).key
    put(store, "verificaciones/t.pdf", b"a document")
    assert [info.key for info in store.list()] == [content]
    assert names(store) == ["verificaciones/t.pdf"]
    store.delete(content)
    assert read(store, "verificaciones/t.pdf") == b"a document"
    for name in ("verificaciones/t.pdf", TEMPORARY_PREFIX + "verificaciones/t.pdf"):
        assert not store.exists(name)
        with pytest.raises(ObjectNotFound):
            store.delete(name)
        with pytest.raises(ObjectNotFound):
            store.set_retention(name, datetime.now(UTC) + timedelta(minutes=1))
        with pytest.raises(ObjectNotFound):
            store.set_legal_hold(name, True)


def test_delete_removes_and_is_idempotent(store: ObjectStore) -> None:
    put(store, "v/a.pdf", b"one")
    put(store, "v/a.pdf", b"two")  # a second version on S3
    put(store, "v/b.pdf", b"kept")
    store.delete_temporary("v/a.pdf")
    store.delete_temporary("v/a.pdf")
    store.delete_temporary("v/never-there")
    assert names(store) == ["v/b.pdf"]
    with pytest.raises(ObjectNotFound):
        store.iter_temporary("v/a.pdf")


def test_a_missing_object_is_not_found_before_the_first_chunk(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        store.iter_temporary("v/missing.pdf")
    put(store, "v/dir/file", b"x")
    with pytest.raises(ObjectNotFound):
        store.iter_temporary("v/dir")


def test_local_names_that_clash_with_directories_are_refused(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    put(store, "v/dir/file", b"x")
    with pytest.raises(StorageError):
        put(store, "v/dir", b"y")
    with pytest.raises(StorageError):
        put(store, "v/dir/file/under", b"z")
    assert names(store) == ["v/dir/file"]
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/abs",
        "../escape",
        "v/../escape",
        "v/./x",
        ".hidden",
        "v/",
        "v//x",
        "v\\x",
        "v/x y",
        "ünïcode",
        "x" * 513,
    ],
)
def test_malformed_names_name_no_object(store: ObjectStore, name: str) -> None:
    assert not is_temporary_name(name)
    with pytest.raises(ObjectNotFound):
        put(store, name, b"x")
    with pytest.raises(ObjectNotFound):
        store.iter_temporary(name)
    with pytest.raises(ObjectNotFound):
        store.delete_temporary(name)


def test_malformed_prefixes_list_nothing(store: ObjectStore) -> None:
    put(store, "v/a", b"x")
    for prefix in ("../", "/v", "v/../", ".", "v//"):
        assert not is_temporary_prefix(prefix)
        assert names(store, prefix) == []


def test_a_stream_of_another_length_stores_nothing(store: ObjectStore) -> None:
    with pytest.raises(StorageError):
        store.put_temporary("v/long", io.BytesIO(b"longer than said"), 4)
    assert names(store) == []


def test_expired_objects_can_be_found_by_their_time(store: ObjectStore) -> None:
    # S3 servers may keep modification times in whole seconds: a second apart either way.
    put(store, "v/old", b"old")
    time.sleep(2.5)
    cutoff = datetime.now(UTC) - timedelta(seconds=1)
    put(store, "v/new", b"new")
    old = [info.name for info in store.list_temporary("v/") if info.modified_at < cutoff]
    assert old == ["v/old"]


# -- local -------------------------------------------------------------------------------


def test_local_temporary_objects_live_apart_from_writes_in_progress(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    put(store, "verificaciones/t.pdf", b"kept")
    assert (tmp_path / "temporary" / "verificaciones" / "t.pdf").read_bytes() == b"kept"
    assert list((tmp_path / "tmp").iterdir()) == []
    # Emptying the writes in progress leaves them alone.
    assert store.remove_stale_temp_files(timedelta(0)) == 0
    assert read(store, "verificaciones/t.pdf") == b"kept"


# -- S3 ----------------------------------------------------------------------------------


@pytest.mark.s3
def test_s3_temporary_objects_are_under_tmp_unlocked_and_leave_no_version(
    storage_s3: S3Endpoint, tmp_path: Path
) -> None:
    with s3_store(storage_s3, tmp_path) as store:
        put(store, "verificaciones/t.pdf", b"one")
        put(store, "verificaciones/t.pdf", b"two")
        with raw_client(storage_s3) as client:
            versions = list(client.list_objects(store.bucket, include_version=True, recursive=True))
            assert {v.object_name for v in versions} == {"tmp/verificaciones/t.pdf"}
            assert len(versions) == 2
            for version in versions:
                head = client.stat_object(
                    store.bucket, "tmp/verificaciones/t.pdf", version_id=version.version_id
                )
                headers = {k.lower(): v for k, v in head.metadata.items()} if head.metadata else {}
                assert "x-amz-object-lock-retain-until-date" not in headers
                assert headers.get("x-amz-object-lock-legal-hold", "OFF").upper() != "ON"
        store.delete_temporary("verificaciones/t.pdf")
        with raw_client(storage_s3) as client:
            assert (
                list(client.list_objects(store.bucket, include_version=True, recursive=True)) == []
            )


@pytest.mark.s3
def test_ensure_bucket_refuses_a_default_retention(storage_s3: S3Endpoint, tmp_path: Path) -> None:
    """A default retention would lock every new object, temporary ones and the readiness
    probe too, which must stay deletable."""
    with s3_store(storage_s3, tmp_path) as store:
        with raw_client(storage_s3) as client:
            client.set_object_lock_config(store.bucket, ObjectLockConfig(GOVERNANCE, 1, DAYS))
        with pytest.raises(NotSupported, match="default retention"):
            store.ensure_bucket()
