"""A content-addressed, write-once object store in a local directory.

Layout under ``root``::

    objects/ab/cd/<sha256>             the bytes, read-only
    objects/ab/cd/<sha256>.meta.json   retention and legal hold, only once either is set
    temporary/<name>                   temporary objects (``put_temporary``), never locked
    tmp/                               writes in progress; never listed, safe to empty
    lock                               serialises retention, hold and delete

A put streams into ``tmp/`` (same filesystem) while hashing, fsyncs, links into place
(a rename that cannot replace) and fsyncs the directory, so after a crash an object is
wholly present or absent; a temporary object is renamed into place the same way, replacing
any of its name. Reads
are hash-checked. Retention and legal hold are enforced by this class only: anyone with
write access to the directory can still remove files, which is why S3 object lock is the
production choice.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from storage.errors import (
    IntegrityError,
    ObjectNotFound,
    OperationNotAllowed,
    StorageError,
    StoreUnavailable,
)
from storage.hashing import Digest, OverlappedSha256, copy_while_hashing
from storage.interface import (
    DEFAULT_CHUNK_SIZE,
    ObjectInfo,
    StoreCapabilities,
    StoredObject,
    TemporaryInfo,
)
from storage.keys import (
    checked_key,
    checked_temporary_name,
    is_key,
    is_key_prefix,
    is_temporary_name,
    is_temporary_prefix,
)
from storage.retention_dates import normalised_retention, retention_blocks_delete

META_SUFFIX = ".meta.json"
_MIN_FREE_BYTES = 16 * 1024 * 1024
_WRITE_BEHIND_WINDOW = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class _Lock:
    """What the sidecar file holds."""

    retain_until: datetime | None = None
    legal_hold: bool = False

    def to_json(self) -> str:
        until = self.retain_until.isoformat() if self.retain_until else None
        return json.dumps({"retain_until": until, "legal_hold": self.legal_hold})

    @classmethod
    def from_json(cls, text: str) -> _Lock:
        data = json.loads(text)
        until = data.get("retain_until")
        return cls(
            retain_until=datetime.fromisoformat(until) if until else None,
            legal_hold=data.get("legal_hold") is True,
        )


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._objects = self.root / "objects"
        self._tmp = self.root / "tmp"
        self._temporary = self.root / "temporary"

    @property
    def name(self) -> str:
        return "local"

    @property
    def capabilities(self) -> StoreCapabilities:
        return StoreCapabilities(versioning=False, retention=True, legal_hold=True)

    # -- writing -------------------------------------------------------------------------

    def put_stream(self, stream: BinaryIO, *, max_size: int | None = None) -> StoredObject:
        return self._put(stream, max_size=max_size, expected_sha256=None)

    def put_file(self, path: Path, *, sha256: str | None = None) -> StoredObject:
        # Copied, not linked: the store must own bytes nobody else can change.
        with Path(path).open("rb") as source:
            return self._put(source, max_size=None, expected_sha256=sha256)

    def _put(
        self, stream: BinaryIO, *, max_size: int | None, expected_sha256: str | None
    ) -> StoredObject:
        self._ensure_dirs()
        fd, tmp_name = tempfile.mkstemp(prefix="put-", dir=self._tmp)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                digest = copy_while_hashing(stream, _WriteBehind(out), max_size=max_size)
                _check_claim(digest, expected_sha256)
                out.flush()
                os.fchmod(out.fileno(), 0o400)  # write-once, the service's alone
                os.fsync(out.fileno())
            self._move_into_place(tmp, digest.sha256)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredObject(key=digest.sha256, sha256=digest.sha256, size=digest.size)

    def _move_into_place(self, tmp: Path, key: str) -> None:
        final = self._path(key)
        if not final.exists():
            self._make_parents(final.parent)
            # A link, unlike a rename, never replaces: even two racing puts of the same
            # bytes leave the first object (and its mtime) untouched.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, final)
                _fsync_dir(final.parent)
        tmp.unlink()

    def _make_parents(self, directory: Path) -> None:
        # Each new directory entry must reach the disk too, or a crash can lose the
        # renamed object along with the directory that named it.
        for parent in (directory.parent, directory):
            if not parent.is_dir():
                parent.mkdir(exist_ok=True)
                _fsync_dir(parent.parent)

    # -- reading -------------------------------------------------------------------------

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)  # before the first chunk, so callers can answer 404
        return _checked_chunks(path, key, chunk_size)

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            st = path.stat()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        lock = self._read_lock(key)
        return ObjectInfo(
            key=key,
            size=st.st_size,
            created_at=datetime.fromtimestamp(st.st_mtime, UTC),
            retain_until=lock.retain_until,
            legal_hold=lock.legal_hold,
        )

    def exists(self, key: str) -> bool:
        return is_key(key) and self._path(key).is_file()

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if not is_key_prefix(prefix) or not self._objects.is_dir():
            return
        # The two directory levels are the key's first four characters, so walking them
        # in sorted order yields keys in order and a prefix prunes whole directories.
        for first in _sorted_subdirs(self._objects, prefix[:2]):
            for second in _sorted_subdirs(first, prefix[2:4]):
                for name in sorted(os.listdir(second)):
                    if is_key(name) and name.startswith(prefix):
                        with contextlib.suppress(ObjectNotFound):  # deleted meanwhile
                            yield self.stat(name)

    # -- retention, hold, delete ---------------------------------------------------------

    def delete(self, key: str) -> None:
        with self._locked():
            info = self.stat(key)
            if info.legal_hold:
                raise OperationNotAllowed(f"object {key} is under legal hold")
            if retention_blocks_delete(info.retain_until):
                raise OperationNotAllowed(f"object {key} is retained until {info.retain_until}")
            path = self._path(key)
            # Bytes first, lock data second: a crash in between leaves a stale lock that
            # would protect a later re-put of the same bytes, never bytes without a lock.
            path.unlink()
            self._meta_path(key).unlink(missing_ok=True)
            _fsync_dir(path.parent)

    def set_retention(self, key: str, until: datetime) -> None:
        until = normalised_retention(until)
        with self._locked():
            lock = self._read_lock(self._existing(key))
            if lock.retain_until is not None and until < lock.retain_until:
                raise OperationNotAllowed(
                    f"object {key} is retained until {lock.retain_until}; "
                    "retention can be extended, never shortened"
                )
            self._write_lock(key, _Lock(until, lock.legal_hold))

    def set_legal_hold(self, key: str, on: bool) -> None:
        with self._locked():
            lock = self._read_lock(self._existing(key))
            self._write_lock(key, _Lock(lock.retain_until, on))

    # -- temporary objects ---------------------------------------------------------------

    def put_temporary(self, name: str, stream: BinaryIO, length: int) -> None:
        final = self._temporary_path(name)
        self._ensure_dirs()
        fd, tmp_name = tempfile.mkstemp(prefix="temporary-", dir=self._tmp)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                written = _copy_exactly(stream, out, length)
                if written != length:
                    raise StorageError(
                        f"temporary object {name}: {written} bytes arrived, not {length}"
                    )
                out.flush()
                os.fsync(out.fileno())
            try:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, final)
            except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
                # A name that is another's directory, or under another's file.
                raise StorageError(f"temporary object {name}: {exc}") from exc
            _fsync_dir(final.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def iter_temporary(self, name: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        path = self._temporary_path(name)
        if not path.is_file():
            raise ObjectNotFound(name)  # before the first chunk, as iter_chunks does
        return _temporary_chunks(path, name, chunk_size)

    def list_temporary(self, prefix: str = "") -> Iterator[TemporaryInfo]:
        if not is_temporary_prefix(prefix):
            return
        # Start from the deepest directory the prefix names whole, and walk only that.
        head, _, _ = prefix.rpartition("/")
        start = self._temporary / head if head else self._temporary
        found: list[tuple[str, Path]] = []
        for directory, _dirs, files in os.walk(start):
            for file_name in files:
                path = Path(directory) / file_name
                name = path.relative_to(self._temporary).as_posix()
                if name.startswith(prefix) and is_temporary_name(name):
                    found.append((name, path))
        for name, path in sorted(found):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # deleted meanwhile
            yield TemporaryInfo(
                name=name, size=st.st_size, modified_at=datetime.fromtimestamp(st.st_mtime, UTC)
            )

    def delete_temporary(self, name: str) -> None:
        path = self._temporary_path(name)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, NotADirectoryError):
            path.unlink()
            _fsync_dir(path.parent)

    # -- health and housekeeping ---------------------------------------------------------

    def check_ready(self) -> None:
        try:
            self._ensure_dirs()
            fd, probe_name = tempfile.mkstemp(prefix="ready-", dir=self._tmp)
            probe = Path(probe_name)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(b"ready")
                    os.fsync(out.fileno())
                if probe.read_bytes() != b"ready":
                    raise StoreUnavailable("the store directory does not read back its writes")
            finally:
                probe.unlink(missing_ok=True)
            free = shutil.disk_usage(self.root).free
        except OSError as exc:
            raise StoreUnavailable(f"store directory {self.root} unusable: {exc}") from exc
        if free < _MIN_FREE_BYTES:
            raise StoreUnavailable(f"less than 16 MiB free under {self.root}")

    def remove_stale_temp_files(self, older_than: timedelta) -> int:
        """Remove writes abandoned by a crashed process; returns how many were removed.
        A write still in progress is younger than any sensible ``older_than``."""
        if not self._tmp.is_dir():
            return 0
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for entry in self._tmp.iterdir():
            with contextlib.suppress(FileNotFoundError):
                if entry.is_file() and entry.stat().st_mtime < cutoff:
                    entry.unlink()
                    removed += 1
        return removed

    # -- internals -----------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        key = checked_key(key)
        return self._objects / key[:2] / key[2:4] / key

    def _temporary_path(self, name: str) -> Path:
        return self._temporary / checked_temporary_name(name)

    def _meta_path(self, key: str) -> Path:
        path = self._path(key)
        return path.with_name(path.name + META_SUFFIX)

    def _existing(self, key: str) -> str:
        if not self._path(key).is_file():
            raise ObjectNotFound(key)
        return key

    def _ensure_dirs(self) -> None:
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            self._tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create {self.root}: {exc}") from exc

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """An exclusive lock across processes, so that a delete cannot slip between a
        check and a new legal hold, and two sidecar updates cannot lose one another."""
        self._ensure_dirs()
        with (self.root / "lock").open("a") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _read_lock(self, key: str) -> _Lock:
        try:
            return _Lock.from_json(self._meta_path(key).read_text())
        except FileNotFoundError:
            return _Lock()
        except (ValueError, TypeError, AttributeError) as exc:
            # Failing closed: an unreadable sidecar must not make a held object deletable.
            raise StorageError(f"unreadable retention data for {key}: {exc}") from exc

    def _write_lock(self, key: str, lock: _Lock) -> None:
        target = self._meta_path(key)
        fd, tmp_name = tempfile.mkstemp(prefix="meta-", dir=self._tmp)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(lock.to_json())
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)


class _WriteBehind:
    """Starts the kernel writing each 16 MiB to disk as soon as it is written.

    Without it the closing fsync would wait for the whole object at once, after the
    copy; with it the disk works while the next chunks are read and hashed, and the fsync
    only waits for the tail. POSIX_FADV_DONTNEED starts that writeback (Linux) and lets
    the kernel drop the pages once clean, so a large upload does not crowd the page cache.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._written = 0
        self._advised = 0

    def write(self, data: bytes) -> int:
        written = self._out.write(data)
        self._written += written
        if self._written - self._advised >= _WRITE_BEHIND_WINDOW and _CAN_ADVISE:
            self._out.flush()
            os.posix_fadvise(
                self._out.fileno(),
                self._advised,
                self._written - self._advised,
                os.POSIX_FADV_DONTNEED,
            )
            self._advised = self._written
        return written


_CAN_ADVISE = hasattr(os, "posix_fadvise")


def _check_claim(digest: Digest, expected_sha256: str | None) -> None:
    if expected_sha256 is not None and digest.sha256 != expected_sha256.lower():
        raise IntegrityError(f"the bytes hash to {digest.sha256}, not to {expected_sha256}")


def _copy_exactly(stream: BinaryIO, out: BinaryIO, length: int) -> int:
    """Copy up to ``length`` bytes and one more (to notice a longer stream); return how
    many were read."""
    written = 0
    while written <= length:
        chunk = stream.read(min(DEFAULT_CHUNK_SIZE, length + 1 - written))
        if not chunk:
            break
        out.write(chunk)
        written += len(chunk)
    return written


def _temporary_chunks(path: Path, name: str, chunk_size: int) -> Iterator[bytes]:
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:  # deleted since the check
        raise ObjectNotFound(name) from exc
    with handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def _checked_chunks(path: Path, key: str, chunk_size: int) -> Iterator[bytes]:
    try:
        handle = path.open("rb")
    except FileNotFoundError as exc:
        raise ObjectNotFound(key) from exc
    with handle, OverlappedSha256() as digest:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
            yield chunk
        actual = digest.hexdigest()
    if actual != key:
        raise IntegrityError(f"object {key} no longer matches its hash")


def _sorted_subdirs(parent: Path, name_prefix: str) -> list[Path]:
    try:
        names = os.listdir(parent)
    except FileNotFoundError:
        return []
    return [
        parent / name
        for name in sorted(names)
        if len(name) == 2 and name.startswith(name_prefix) and (parent / name).is_dir()
    ]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
