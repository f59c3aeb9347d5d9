"""What only the local directory store has to get right: its files on disk."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from storage import (
    IntegrityError,
    LocalObjectStore,
    ObjectNotFound,
    ObjectTooLarge,
    StorageError,
    StoreUnavailable,
)
from storage.keys import is_key, is_key_prefix


def object_path(store: LocalObjectStore, key: str) -> Path:
    return store.root / "objects" / key[:2] / key[2:4] / key


def test_objects_are_read_only_files_named_by_their_hash(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    key = store.put_stream(io.BytesIO(b"layout")).key
    path = object_path(store, key)
    assert path.read_bytes() == b"layout"
    assert stat.S_IMODE(path.stat().st_mode) == 0o400
    assert list((tmp_path / "tmp").iterdir()) == []


def test_corrupted_file_on_disk_fails_the_read(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    key = store.put_stream(io.BytesIO(b"x" * 3_000_000)).key
    path = object_path(store, key)
    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.seek(1_234_567)
        handle.write(b"y")
    with pytest.raises(IntegrityError):
        b"".join(store.iter_chunks(key))


def test_leftovers_of_a_crash_are_never_listed(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    key = store.put_stream(io.BytesIO(b"real")).key
    # What a process killed mid-write leaves: a temp file, and stray names beside objects.
    (tmp_path / "tmp" / "put-abandoned").write_bytes(b"half an upload")
    object_path(store, key).with_name(".tmp-put-123").write_bytes(b"junk")
    object_path(store, key).with_name(key[:63]).write_bytes(b"junk")
    assert [info.key for info in store.list()] == [key]


def test_stale_temp_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.check_ready()
    stale = tmp_path / "tmp" / "put-stale"
    fresh = tmp_path / "tmp" / "put-fresh"
    stale.write_bytes(b"old")
    fresh.write_bytes(b"new")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    assert store.remove_stale_temp_files(older_than=timedelta(minutes=10)) == 1
    assert not stale.exists()
    assert fresh.exists()


def test_too_large_put_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    with pytest.raises(ObjectTooLarge):
        store.put_stream(io.BytesIO(b"z" * 5000), max_size=4096)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert list((tmp_path / "objects").rglob("*")) == []


def test_failing_source_leaves_no_temp_file(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError("disk gone")

    store = LocalObjectStore(tmp_path)
    with pytest.raises(OSError, match="disk gone"):
        store.put_stream(io.BufferedReader(Broken()))
    assert list((tmp_path / "tmp").iterdir()) == []


def test_unreadable_lock_data_fails_closed(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    key = store.put_stream(io.BytesIO(b"held")).key
    store.set_legal_hold(key, True)
    object_path(store, key).with_name(key + ".meta.json").write_text("{not json")
    with pytest.raises(StorageError):
        store.delete(key)
    assert store.exists(key)


def test_traversal_keys_touch_nothing_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "store"
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    store = LocalObjectStore(root)
    for key in ("../victim", "../../victim", str(victim), "objects/../../victim"):
        assert not store.exists(key)
        with pytest.raises(ObjectNotFound):
            store.delete(key)
    assert victim.read_bytes() == b"precious"


def test_not_ready_when_the_root_is_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    with pytest.raises(StoreUnavailable):
        LocalObjectStore(blocker / "store").check_ready()


def test_put_file_copies_so_later_changes_do_not_leak_in(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "store")
    source = tmp_path / "upload.bin"
    source.write_bytes(b"original")
    key = store.put_file(source).key
    source.write_bytes(b"changed!")
    assert b"".join(store.iter_chunks(key)) == b"original"


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=70_000), chunk_size=st.integers(min_value=1, max_value=20_000))
def test_any_bytes_round_trip_under_their_hash(data: bytes, chunk_size: int) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = LocalObjectStore(Path(root))
        stored = store.put_stream(io.BytesIO(data))
        assert stored.key == hashlib.sha256(data).hexdigest()
        assert is_key(stored.key)
        assert b"".join(store.iter_chunks(stored.key, chunk_size)) == data
        assert [info.key for info in store.list(stored.key[:3])] == [stored.key]


@settings(max_examples=200, deadline=None)
@given(key=st.text(max_size=80) | st.from_regex(r"[0-9a-fA-F./]{60,68}", fullmatch=True))
def test_any_string_is_a_key_or_names_nothing(key: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        store = LocalObjectStore(Path(root))
        store.put_stream(io.BytesIO(b"something"))
        if is_key(key):
            assert not store.exists(key) or key == hashlib.sha256(b"something").hexdigest()
            return
        assert not store.exists(key)
        with pytest.raises(ObjectNotFound):
            store.stat(key)
        with pytest.raises(ObjectNotFound):
            store.delete(key)
        if not is_key_prefix(key):
            assert list(store.list(key)) == []
