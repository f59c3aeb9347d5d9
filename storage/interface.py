"""The object-store interface every implementation satisfies.

Objects are content-addressed: the key of an object is the lowercase hex SHA-256 of its
bytes. Putting the same bytes twice is therefore idempotent and returns the same key, and a
reader can always check what it got against the key it asked for.

Beside them, a store keeps *temporary objects*: named, not content-addressed, under a
prefix of their own (``TEMPORARY_PREFIX``) that the content methods never see (``list``,
``stat``, ``delete`` take content keys only). They are for what every process of a
deployment must read for a short while (a file verified through the public page) and are
never under retention or legal hold: ``delete_temporary`` always removes them, every version
of them. Whoever puts them sweeps them (``list_temporary`` gives each one's modification
time).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

DEFAULT_CHUNK_SIZE = 1024 * 1024
# Where temporary objects live in a store (a key prefix on S3, a directory locally).
TEMPORARY_PREFIX = "tmp/"


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What a put returns: the key (== sha256 hex) and the size in bytes."""

    key: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What stat and list return about one stored object."""

    key: str
    size: int
    created_at: datetime
    retain_until: datetime | None = None
    legal_hold: bool = False


@dataclass(frozen=True, slots=True)
class TemporaryInfo:
    """What list_temporary returns about one temporary object: its name (without
    ``TEMPORARY_PREFIX``), size and when it was last written (aware, UTC)."""

    name: str
    size: int
    modified_at: datetime


@dataclass(frozen=True, slots=True)
class StoreCapabilities:
    versioning: bool
    retention: bool
    legal_hold: bool


@runtime_checkable
class ObjectStore(Protocol):
    """A write-once, content-addressed object store.

    Every method is synchronous and streams: no method holds a whole object in memory.
    """

    @property
    def name(self) -> str:
        """A short label for logs and health checks, e.g. ``local`` or ``s3``."""
        ...

    @property
    def capabilities(self) -> StoreCapabilities: ...

    def put_stream(self, stream: BinaryIO, *, max_size: int | None = None) -> StoredObject:
        """Store everything read from ``stream``; the key is the SHA-256 of the bytes.

        Raises ObjectTooLarge (storing nothing) when more than ``max_size`` bytes arrive.
        """
        ...

    def put_file(self, path: Path, *, sha256: str | None = None) -> StoredObject:
        """Store a local file. When ``sha256`` is given it is checked, not trusted."""
        ...

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the object's bytes; raises IntegrityError at the end if they do not hash
        to ``key`` (callers streaming to a client must treat that as a failed transfer)."""
        ...

    def stat(self, key: str) -> ObjectInfo: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every stored object whose key starts with ``prefix``, in key order."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object. Raises OperationNotAllowed under retention or legal hold."""
        ...

    def set_retention(self, key: str, until: datetime) -> None:
        """Forbid deleting the object before ``until`` (UTC). Retention can only grow."""
        ...

    def set_legal_hold(self, key: str, on: bool) -> None: ...

    # -- temporary objects -------------------------------------------------------------
    # Names are ``/``-separated segments of letters, digits, ``_``, ``-`` and ``.`` (no
    # segment starts with a dot), at most 512 characters; another name raises
    # ObjectNotFound, as a malformed content key does.

    def put_temporary(self, name: str, stream: BinaryIO, length: int) -> None:
        """Store the ``length`` bytes read from ``stream`` under ``name`` (replacing any
        object of that name), never under retention or legal hold. Raises StorageError,
        storing nothing, if the stream holds another number of bytes."""
        ...

    def iter_temporary(self, name: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Yield the temporary object's bytes; raises ObjectNotFound before the first chunk
        if there is none (callers check what they read: these bytes have no key to match)."""
        ...

    def list_temporary(self, prefix: str = "") -> Iterator[TemporaryInfo]:
        """Every temporary object whose name starts with ``prefix``, in name order."""
        ...

    def delete_temporary(self, name: str) -> None:
        """Remove the temporary object, every version of it; nothing to remove is no error
        (two sweeps may race)."""
        ...

    def check_ready(self) -> None:
        """Raise StoreUnavailable unless the store can be written and read now."""
        ...
