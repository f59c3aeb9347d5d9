"""Hashing while bytes move, so no object is ever read twice or held in memory."""

from __future__ import annotations

import hashlib
import queue
import threading
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from storage.errors import ObjectTooLarge
from storage.interface import DEFAULT_CHUNK_SIZE


@dataclass(frozen=True, slots=True)
class Digest:
    """The SHA-256 (lowercase hex, which is also the object key) and size of some bytes."""

    sha256: str
    size: int


class Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


def copy_while_hashing(
    source: BinaryIO,
    target: Writable,
    *,
    max_size: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Digest:
    """Copy ``source`` to ``target`` chunk by chunk, hashing on the way.

    Raises ObjectTooLarge as soon as more than ``max_size`` bytes have arrived; the caller
    owns ``target`` and must discard it then.
    """
    size = 0
    with OverlappedSha256() as digest:
        while chunk := source.read(chunk_size):
            size += len(chunk)
            if max_size is not None and size > max_size:
                raise ObjectTooLarge(f"more than the allowed {max_size} bytes")
            digest.update(chunk)
            target.write(chunk)
        return Digest(sha256=digest.hexdigest(), size=size)


def digest_of(source: BinaryIO, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Digest:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(chunk_size):
        size += len(chunk)
        digest.update(chunk)
    return Digest(sha256=digest.hexdigest(), size=size)


class HashingReader:
    """A read-only file wrapper that hashes what passes through it, so that bytes handed to
    an uploader can be checked afterwards against the hash they were named by."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self._digest = hashlib.sha256()
        self._size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self._digest.update(chunk)
        self._size += len(chunk)
        return chunk

    def digest(self) -> Digest:
        return Digest(sha256=self._digest.hexdigest(), size=self._size)


class OverlappedSha256:
    """SHA-256 computed on a helper thread, overlapping the caller's reads and writes.

    SHA-256 runs at well under 1 GB/s on one core while a page-cache copy runs at
    several, so hashing inline would halve a put. hashlib releases the GIL for large
    buffers, so a second thread really runs in parallel. Small objects never start the
    thread: the first ``inline_bytes`` are hashed inline. At most ``depth`` chunks wait
    in the queue, which bounds the memory it adds. Use as a context manager so that the
    thread is stopped however the caller leaves.
    """

    def __init__(self, *, inline_bytes: int = 4 * 1024 * 1024, depth: int = 4) -> None:
        self._digest = hashlib.sha256()
        self._inline_left = inline_bytes
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def update(self, chunk: bytes) -> None:
        if self._thread is None:
            if len(chunk) <= self._inline_left:
                self._inline_left -= len(chunk)
                self._digest.update(chunk)
                return
            self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
            self._thread.start()
        self._queue.put(bytes(chunk))  # a private copy: callers may reuse their buffer

    def hexdigest(self) -> str:
        self._finish()
        if self._failure is not None:
            raise self._failure
        return self._digest.hexdigest()

    def _run(self) -> None:
        # Keeps draining after a failure, so that the producer never blocks on a full queue.
        while (chunk := self._queue.get()) is not None:
            if self._failure is None:
                try:
                    self._digest.update(chunk)
                except BaseException as exc:  # handed to the caller by hexdigest()
                    self._failure = exc

    def _finish(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def __enter__(self) -> OverlappedSha256:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._finish()
