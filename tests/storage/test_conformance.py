"""What every ObjectStore promises; each test runs against the local store and S3."""

from __future__ import annotations

import hashlib
import io
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage import (
    IntegrityError,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectTooLarge,
    OperationNotAllowed,
    StorageError,
    StoredObject,
)
from tests.support.s3 import Tamper

MIB = 1024 * 1024


def random_bytes(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def put(store: ObjectStore, data: bytes) -> StoredObject:
    return store.put_stream(io.BytesIO(data))


def read_all(store: ObjectStore, key: str, chunk_size: int = MIB) -> bytes:
    return b"".join(store.iter_chunks(key, chunk_size))


def in_a_minute() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


def test_satisfies_the_protocol(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)
    assert store.name in ("local", "s3")
    assert store.capabilities.retention
    assert store.capabilities.legal_hold


# -- put and read back -------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [0, 1, 1000, MIB, 9 * MIB + 123],  # the last crosses chunk and multipart-part edges
    ids=["empty", "one-byte", "small", "one-mib", "multi-mib"],
)
def test_round_trip_is_byte_exact(store: ObjectStore, size: int) -> None:
    data = random_bytes(size, seed=size)
    stored = put(store, data)
    assert stored == StoredObject(key=sha256(data), sha256=sha256(data), size=size)
    assert read_all(store, stored.key) == data
    info = store.stat(stored.key)
    assert (info.key, info.size) == (stored.key, size)
    assert info.retain_until is None
    assert not info.legal_hold
    assert store.exists(stored.key)


def test_chunks_respect_the_requested_size(store: ObjectStore) -> None:
    data = random_bytes(3 * MIB + 5)
    key = put(store, data).key
    chunks = list(store.iter_chunks(key, chunk_size=64 * 1024))
    assert all(len(chunk) <= 64 * 1024 for chunk in chunks)
    assert b"".join(chunks) == data


def test_created_at_is_recent_and_aware(store: ObjectStore) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    info = store.stat(put(store, b"when").key)
    assert info.created_at.tzinfo is not None
    assert before <= info.created_at <= datetime.now(UTC) + timedelta(seconds=5)


def test_put_file_with_the_right_sha256(store: ObjectStore, tmp_path: Path) -> None:
    data = random_bytes(2 * MIB + 1)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    stored = store.put_file(path, sha256=sha256(data))
    assert stored.key == sha256(data)
    assert stored.size == len(data)
    assert read_all(store, stored.key) == data
    assert store.put_file(path, sha256=sha256(data).upper()).key == stored.key
    assert store.put_file(path).key == stored.key


def test_put_file_with_a_wrong_sha256_stores_nothing(store: ObjectStore, tmp_path: Path) -> None:
    data = b"the real content"
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    with pytest.raises(IntegrityError):
        store.put_file(path, sha256=sha256(b"what the client claimed"))
    assert not store.exists(sha256(data))
    assert list(store.list()) == []


def test_putting_the_same_bytes_again_is_idempotent(store: ObjectStore, tmp_path: Path) -> None:
    data = random_bytes(100_000)
    first = put(store, data)
    created = store.stat(first.key).created_at
    path = tmp_path / "again.bin"
    path.write_bytes(data)
    assert put(store, data) == first
    assert store.put_file(path) == first
    assert [info.key for info in store.list()] == [first.key]
    assert store.stat(first.key).created_at == created


def test_concurrent_puts_of_the_same_bytes_make_one_object(store: ObjectStore) -> None:
    data = random_bytes(300_000, seed=7)
    results: list[StoredObject] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(put(store, data))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert {stored.key for stored in results} == {sha256(data)}
    assert [info.key for info in store.list()] == [sha256(data)]
    store.delete(sha256(data))  # every copy goes, however many a race made
    assert not store.exists(sha256(data))


def test_max_size_is_inclusive(store: ObjectStore) -> None:
    data = random_bytes(1500)
    assert put_limited(store, data, max_size=1500).size == 1500


@pytest.mark.parametrize("size", [1501, 3 * MIB])
def test_over_max_size_raises_and_stores_nothing(store: ObjectStore, size: int) -> None:
    data = random_bytes(size)
    with pytest.raises(ObjectTooLarge):
        put_limited(store, data, max_size=1500)
    assert not store.exists(sha256(data))
    assert list(store.list()) == []


def put_limited(store: ObjectStore, data: bytes, max_size: int) -> StoredObject:
    return store.put_stream(io.BytesIO(data), max_size=max_size)


# -- stat, exists, list ------------------------------------------------------------------


def test_list_is_in_key_order_and_filters_by_prefix(store: ObjectStore) -> None:
    assert list(store.list()) == []
    keys = sorted(put(store, f"object {n}".encode()).key for n in range(12))
    listed = list(store.list())
    assert [info.key for info in listed] == keys
    assert all(isinstance(info, ObjectInfo) for info in listed)
    assert {info.size for info in listed} == {len(b"object 1"), len(b"object 10")}
    for prefix in ("", keys[0][:1], keys[3][:2], keys[5][:3], keys[7][:5], keys[9]):
        expected = [key for key in keys if key.startswith(prefix)]
        assert [info.key for info in store.list(prefix)] == expected
    assert list(store.list("zz")) == []
    assert list(store.list("../")) == []
    assert list(store.list("F")) == []


def test_list_reports_retention_and_hold(store: ObjectStore) -> None:
    held = put(store, b"held").key
    retained = put(store, b"retained").key
    plain = put(store, b"plain").key
    until = in_a_minute()
    store.set_legal_hold(held, True)
    store.set_retention(retained, until)
    infos = {info.key: info for info in store.list()}
    assert infos[held].legal_hold
    assert infos[retained].retain_until == until
    assert not infos[plain].legal_hold
    assert infos[plain].retain_until is None


# -- delete, retention, legal hold -------------------------------------------------------


def test_delete_removes_the_object(store: ObjectStore) -> None:
    kept = put(store, b"kept").key
    gone = put(store, b"gone").key
    store.delete(gone)
    assert not store.exists(gone)
    with pytest.raises(ObjectNotFound):
        store.stat(gone)
    with pytest.raises(ObjectNotFound):
        store.iter_chunks(gone)
    with pytest.raises(ObjectNotFound):
        store.delete(gone)
    assert [info.key for info in store.list()] == [kept]
    assert put(store, b"gone").key == gone  # the same bytes can be stored again
    assert read_all(store, gone) == b"gone"


def test_retention_refuses_delete(store: ObjectStore) -> None:
    key = put(store, b"a resolution").key
    until = in_a_minute()
    store.set_retention(key, until)
    assert store.stat(key).retain_until == until
    with pytest.raises(OperationNotAllowed):
        store.delete(key)
    assert store.exists(key)
    assert read_all(store, key) == b"a resolution"


def test_retention_can_be_extended_but_never_shortened(store: ObjectStore) -> None:
    key = put(store, b"a dossier index").key
    until = in_a_minute()
    store.set_retention(key, until)
    with pytest.raises(OperationNotAllowed):
        store.set_retention(key, until - timedelta(seconds=30))
    assert store.stat(key).retain_until == until
    store.set_retention(key, until)  # the same date again is fine
    store.set_retention(key, until + timedelta(minutes=1))
    assert store.stat(key).retain_until == until + timedelta(minutes=1)


def test_retention_is_kept_in_whole_seconds_rounded_up(store: ObjectStore) -> None:
    key = put(store, b"precise").key
    until = in_a_minute() + timedelta(microseconds=250_000)
    store.set_retention(key, until)
    assert store.stat(key).retain_until == until.replace(microsecond=0) + timedelta(seconds=1)


def test_retention_needs_an_aware_date(store: ObjectStore) -> None:
    key = put(store, b"naive").key
    with pytest.raises(StorageError):
        store.set_retention(key, datetime.now() + timedelta(days=1))


def test_delete_is_allowed_once_retention_has_run_out(store: ObjectStore) -> None:
    key = put(store, b"short-lived").key
    until = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    store.set_retention(key, until)
    with pytest.raises(OperationNotAllowed):
        store.delete(key)
    time.sleep(max(0.0, (until - datetime.now(UTC)).total_seconds()) + 1.1)
    store.delete(key)
    assert not store.exists(key)


def test_legal_hold_refuses_delete_until_removed(store: ObjectStore) -> None:
    key = put(store, b"evidence").key
    store.set_legal_hold(key, True)
    assert store.stat(key).legal_hold
    with pytest.raises(OperationNotAllowed):
        store.delete(key)
    assert read_all(store, key) == b"evidence"
    store.set_legal_hold(key, False)
    assert not store.stat(key).legal_hold
    store.delete(key)
    assert not store.exists(key)


def test_hold_and_retention_are_independent(store: ObjectStore) -> None:
    key = put(store, b"both").key
    until = in_a_minute()
    store.set_retention(key, until)
    store.set_legal_hold(key, True)
    store.set_legal_hold(key, False)
    info = store.stat(key)
    assert (info.retain_until, info.legal_hold) == (until, False)
    with pytest.raises(OperationNotAllowed):
        store.delete(key)


# -- missing and malformed keys ----------------------------------------------------------

MISSING = sha256(b"never stored")


def test_a_missing_key_is_not_found(store: ObjectStore) -> None:
    assert not store.exists(MISSING)
    with pytest.raises(ObjectNotFound):
        store.stat(MISSING)
    with pytest.raises(ObjectNotFound):
        store.iter_chunks(MISSING)  # raised at the call, before any chunk
    with pytest.raises(ObjectNotFound):
        store.delete(MISSING)
    with pytest.raises(ObjectNotFound):
        store.set_retention(MISSING, in_a_minute())
    with pytest.raises(ObjectNotFound):
        store.set_legal_hold(MISSING, True)


BAD_KEYS = [
    "../../etc/passwd",
    "../" * 20 + "etc/passwd",
    "/etc/passwd",
    MISSING.upper(),
    MISSING[:63],
    MISSING + "0",
    MISSING[:62] + "/x",
    MISSING[:60] + "/../",
    "",
    " " + MISSING[1:],
    MISSING[:63] + "\x00",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_malformed_keys_are_rejected(store: ObjectStore, key: str) -> None:
    assert not store.exists(key)
    for operation in (
        lambda: store.stat(key),
        lambda: store.iter_chunks(key),
        lambda: store.delete(key),
        lambda: store.set_retention(key, in_a_minute()),
        lambda: store.set_legal_hold(key, True),
    ):
        with pytest.raises((ObjectNotFound, ValueError)) as caught:
            operation()
        assert isinstance(caught.value, StorageError)


def test_uppercase_key_does_not_find_a_stored_object(store: ObjectStore) -> None:
    key = put(store, b"case matters").key
    assert not store.exists(key.upper())
    with pytest.raises(ObjectNotFound):
        store.stat(key.upper())


# -- integrity ---------------------------------------------------------------------------


def test_tampered_bytes_fail_the_read(store: ObjectStore, tamper: Tamper) -> None:
    data = random_bytes(2 * MIB + 17)
    key = put(store, data).key
    tamper(key, data[:-1] + bytes([data[-1] ^ 1]))
    chunks = store.iter_chunks(key)
    with pytest.raises(IntegrityError):
        for _ in chunks:
            pass


def test_truncated_bytes_fail_the_read(store: ObjectStore, tamper: Tamper) -> None:
    key = put(store, b"a letter from the state attorney").key
    tamper(key, b"a letter")
    with pytest.raises(IntegrityError):
        read_all(store, key)


def test_an_abandoned_read_releases_its_resources(store: ObjectStore) -> None:
    data = random_bytes(3 * MIB)
    key = put(store, data).key
    unread = store.iter_chunks(key)
    chunks = store.iter_chunks(key)
    assert next(chunks) == data[:MIB]
    chunks.close()  # type: ignore[attr-defined]
    del unread
    assert read_all(store, key) == data  # the store is still fine afterwards


# -- readiness ---------------------------------------------------------------------------


def test_check_ready(store: ObjectStore) -> None:
    store.check_ready()
    store.check_ready()
    assert list(store.list()) == []  # the probe is not an object
