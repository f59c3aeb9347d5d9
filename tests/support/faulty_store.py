"""Fault injection beside a real store: the real write happens, then it is cut off."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from storage import ObjectInfo, ObjectStore, StoreCapabilities, StoredObject, TemporaryInfo


class _ReaderThatDies:
    """A file reader that raises an I/O error after ``limit`` bytes, as a failing disk or a
    dropped connection would, while the real store is in the middle of writing."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.read_so_far = 0

    def read(self, size: int = -1) -> bytes:
        if self.read_so_far >= self.limit:
            raise OSError(errno.EIO, "simulated I/O failure in the middle of a write")
        want = (
            self.limit - self.read_so_far if size < 0 else min(size, self.limit - self.read_so_far)
        )
        chunk = self.inner.read(want)
        self.read_so_far += len(chunk)
        return chunk


class FaultyStore:
    """Delegates to a real store; ``mode`` picks the fault for the next puts."""

    def __init__(self, real: ObjectStore) -> None:
        self.real = real
        self.mode = "none"  # "none" | "mid_write" | "after_write"

    @property
    def name(self) -> str:
        return f"faulty({self.real.name})"

    @property
    def capabilities(self) -> StoreCapabilities:
        return self.real.capabilities

    def put_stream(self, stream: BinaryIO, *, max_size: int | None = None) -> StoredObject:
        return self.real.put_stream(stream, max_size=max_size)

    def put_file(self, path: Path, *, sha256: str | None = None) -> StoredObject:
        if self.mode == "mid_write":
            with path.open("rb") as handle:
                return self.real.put_stream(_ReaderThatDies(handle, path.stat().st_size // 2))  # type: ignore[arg-type]
        stored = self.real.put_file(path, sha256=sha256)
        if self.mode == "after_write":
            # The bytes are safely stored; the process "dies" before the row is committed.
            raise RuntimeError("simulated crash between the store write and the commit")
        return stored

    def iter_chunks(self, key: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        return self.real.iter_chunks(key, chunk_size)

    def stat(self, key: str) -> ObjectInfo:
        return self.real.stat(key)

    def exists(self, key: str) -> bool:
        return self.real.exists(key)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.real.list(prefix)

    def delete(self, key: str) -> None:
        self.real.delete(key)

    def set_retention(self, key: str, until: datetime) -> None:
        self.real.set_retention(key, until)

    def set_legal_hold(self, key: str, on: bool) -> None:
        self.real.set_legal_hold(key, on)

    def put_temporary(self, name: str, stream: BinaryIO, length: int) -> None:
        self.real.put_temporary(name, stream, length)

    def iter_temporary(self, name: str, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
        return self.real.iter_temporary(name, chunk_size)

    def list_temporary(self, prefix: str = "") -> Iterator[TemporaryInfo]:
        return self.real.list_temporary(prefix)

    def delete_temporary(self, name: str) -> None:
        self.real.delete_temporary(name)

    def check_ready(self) -> None:
        self.real.check_ready()
