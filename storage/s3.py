"""A content-addressed, write-once object store in an S3 bucket, through ``minio``.

The bucket has versioning and object lock on (``ensure_bucket`` creates it so). Semantics
callers may rely on, the same as the local store's:

- ``exists``, ``stat`` and ``list`` see the current version of a key.
- ``delete`` removes every version of the key permanently (by version id), not just adds
  a delete marker: "deleted" means the bytes are gone, as it does for the local store,
  and object lock gets to refuse it. It is checked against retention and legal hold
  first, so a refusal changes nothing.
- Retention and legal hold apply to the current version. A put of bytes already stored
  uploads nothing, so a key normally has one version; only racing puts of the same bytes
  can make more, and delete removes them all.
- Temporary objects are under ``tmp/`` (``TEMPORARY_PREFIX``), beside the content keys
  and never among them (a content key has no ``/``). They are put with no retention or
  legal hold, and ``ensure_bucket`` refuses a bucket whose default retention would lock
  them (and every other object) anyway; ``delete_temporary`` removes every version.

Retention uses COMPLIANCE mode by default, which SeaweedFS, MinIO, Ceph RGW and AWS all
enforce: nobody, not even the bucket owner or the root account, can shorten or remove it
before it runs out. GOVERNANCE (``retention_mode="GOVERNANCE"``) can be bypassed by anyone
granted s3:BypassGovernanceRetention; an institution that needs a way out of a mistaken
retention chooses it knowingly, since a record that the law says to keep then depends on
who holds that permission.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED, GOVERNANCE
from minio.datatypes import Object
from minio.error import S3Error
from minio.helpers import check_bucket_name
from minio.retention import Retention
from minio.versioningconfig import VersioningConfig

from storage.errors import (
    IntegrityError,
    NotSupported,
    ObjectNotFound,
    OperationNotAllowed,
    StorageError,
    StoreUnavailable,
)
from storage.hashing import (
    Digest,
    HashingReader,
    OverlappedSha256,
    copy_while_hashing,
    digest_of,
)
from storage.interface import (
    DEFAULT_CHUNK_SIZE,
    TEMPORARY_PREFIX,
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
from storage.s3_errors import mapped_errors

# Multipart uploads keep at most (parallel parts + 1) parts in memory: 3 x 8 MiB.
PART_SIZE = 8 * 1024 * 1024
PARALLEL_PARTS = 2
# Not a content key, so list() never shows it and no put can collide with it.
READY_PROBE_NAME = "docsvc-ready-probe"
_READY_PROBE = b"docsvc readiness probe\n"


def _http_client() -> urllib3.PoolManager:
    # minio's default waits 5 minutes to connect and retries 5 times; a store that is down
    # must fail a readiness check in seconds, not minutes.
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5.0, read=60.0),
        maxsize=10,
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(500, 502, 503, 504)),
    )


class S3ObjectStore:
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str | None = None,
        object_lock: bool = True,
        spool_dir: Path | None = None,
        retention_mode: str = COMPLIANCE,
    ) -> None:
        """``spool_dir`` holds put_stream's temporary copies (default: the system's temp
        directory); it needs room for the largest object put at once."""
        check_bucket_name(bucket)  # a bad name is a configuration error: fail at start
        if retention_mode not in (COMPLIANCE, GOVERNANCE):
            raise StorageError(f"retention mode {retention_mode!r} is not COMPLIANCE or GOVERNANCE")
        self._retention_mode = retention_mode
        self.bucket = bucket
        self._object_lock = object_lock
        self._region = region
        self._spool_dir = spool_dir
        self._http = _http_client()
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=self._http,
        )

    @property
    def name(self) -> str:
        return "s3"

    @property
    def capabilities(self) -> StoreCapabilities:
        return StoreCapabilities(
            versioning=True, retention=self._object_lock, legal_hold=self._object_lock
        )

    def close(self) -> None:
        """Close pooled connections (the store stays usable and reconnects on demand)."""
        self._http.clear()

    # -- bucket --------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        """Create the bucket with versioning (and object lock) if missing; refuse a bucket
        that exists without object lock when this store was asked for it."""
        with mapped_errors(f"bucket {self.bucket}"):
            if not self._client.bucket_exists(self.bucket):
                with contextlib.suppress(_AlreadyCreated):
                    self._make_bucket()
            versioning = self._client.get_bucket_versioning(self.bucket)
            if versioning.status != ENABLED:
                self._client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        if self._object_lock:
            with mapped_errors(f"bucket {self.bucket}", locking=True):
                try:
                    lock = self._client.get_object_lock_config(self.bucket)
                except S3Error as exc:
                    if exc.code == "ObjectLockConfigurationNotFoundError":
                        raise NotSupported(
                            f"bucket {self.bucket} exists without object lock, which cannot "
                            "be turned on later: use a new bucket"
                        ) from exc
                    raise
            if lock.mode is not None:
                # docsvc sets retention object by object; a bucket default would lock its
                # temporary objects and readiness probes too, which must stay deletable.
                raise NotSupported(
                    f"bucket {self.bucket} has a default retention ({lock.mode}, "
                    f"{lock.duration} {lock.duration_unit}): remove it"
                )

    def _make_bucket(self) -> None:
        try:
            # Object lock turns versioning on as well.
            self._client.make_bucket(
                self.bucket, location=self._region, object_lock=self._object_lock
            )
        except S3Error as exc:
            if exc.code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise _AlreadyCreated from exc
            raise

    # -- writing -------------------------------------------------------------------------

    def put_stream(self, stream: BinaryIO, *, max_size: int | None = None) -> StoredObject:
        # The key is the hash of all the bytes, so they must all have arrived before the
        # upload can start: spool them to disk, never to memory.
        with tempfile.TemporaryFile(prefix="docsvc-put-", dir=self._spool_dir) as spool:
            digest = copy_while_hashing(stream, spool, max_size=max_size)
            spool.seek(0)
            self._upload(spool, digest, recheck=False)
        return StoredObject(key=digest.sha256, sha256=digest.sha256, size=digest.size)

    def put_file(self, path: Path, *, sha256: str | None = None) -> StoredObject:
        with Path(path).open("rb") as source:
            digest = digest_of(source)
            if sha256 is not None and digest.sha256 != sha256.lower():
                raise IntegrityError(f"the file hashes to {digest.sha256}, not to {sha256}")
            source.seek(0)
            # Read twice instead of copied: hashed again on the way up, in case the file
            # changed in between.
            self._upload(source, digest, recheck=True)
        return StoredObject(key=digest.sha256, sha256=digest.sha256, size=digest.size)

    def _upload(self, source: BinaryIO, digest: Digest, *, recheck: bool) -> None:
        key = digest.sha256
        if self.exists(key):
            return  # write-once: the same bytes are already stored
        reader = HashingReader(source)
        with mapped_errors(f"object {key}"):
            result = self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, reader),  # minio only ever calls read()
                length=digest.size,
                part_size=PART_SIZE,
                num_parallel_uploads=PARALLEL_PARTS,
            )
        if recheck and reader.digest() != digest:
            with mapped_errors(f"object {key}"):
                self._client.remove_object(self.bucket, key, version_id=result.version_id)
            raise IntegrityError(f"the file changed while object {key} was being stored")

    # -- reading -------------------------------------------------------------------------

    def iter_chunks(self, key: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        # Checked now, so that a caller can answer "not found" before sending anything;
        # the GET itself waits for the first chunk, so an unread iterator holds no
        # connection.
        head = self._head(key)
        return self._checked_download(key, head.version_id, chunk_size)

    def _checked_download(
        self, key: str, version_id: str | None, chunk_size: int
    ) -> Iterator[bytes]:
        with mapped_errors(f"object {key}"):
            response = self._client.get_object(self.bucket, key, version_id=version_id)
            try:
                with OverlappedSha256() as digest:
                    for chunk in response.stream(chunk_size):
                        digest.update(chunk)
                        yield chunk
                    actual = digest.hexdigest()
            finally:
                response.close()
                response.release_conn()
        if actual != key:
            raise IntegrityError(f"object {key} no longer matches its hash")

    def stat(self, key: str) -> ObjectInfo:
        return _object_info(key, self._head(key))

    def exists(self, key: str) -> bool:
        if not is_key(key):
            return False
        try:
            self._head(key)
        except ObjectNotFound:
            return False
        return True

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if not is_key_prefix(prefix):
            return
        with mapped_errors(f"listing {prefix!r}"):
            for entry in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
                name = entry.object_name
                if name is None or not is_key(name):
                    continue
                if not self._object_lock:
                    yield _object_info(name, entry)
                    continue
                # A listing does not carry retention or legal hold; a HEAD per object
                # keeps list() telling the truth about what can be deleted.
                with contextlib.suppress(ObjectNotFound):  # deleted meanwhile
                    yield self.stat(name)

    # -- retention, hold, delete ---------------------------------------------------------

    def delete(self, key: str) -> None:
        info = self.stat(key)
        if info.legal_hold:
            raise OperationNotAllowed(f"object {key} is under legal hold")
        if retention_blocks_delete(info.retain_until):
            raise OperationNotAllowed(f"object {key} is retained until {info.retain_until}")
        with mapped_errors(f"object {key}", locking=True):
            versions = [
                entry
                for entry in self._client.list_objects(
                    self.bucket, prefix=key, include_version=True
                )
                if entry.object_name == key
            ]
            # Older versions first: if any of them is locked, the object is still whole.
            for entry in sorted(versions, key=lambda entry: str(entry.is_latest).lower() == "true"):
                self._client.remove_object(self.bucket, key, version_id=entry.version_id)

    def set_retention(self, key: str, until: datetime) -> None:
        self._require_object_lock("retention")
        until = normalised_retention(until)
        head = self._head(key)
        current = _object_info(key, head).retain_until
        if current is not None and until < current:
            raise OperationNotAllowed(
                f"object {key} is retained until {current}; "
                "retention can be extended, never shortened"
            )
        if current == until:
            return
        with mapped_errors(f"object {key}", locking=True):
            self._client.set_object_retention(
                self.bucket,
                key,
                Retention(self._retention_mode, until),
                version_id=head.version_id,
            )

    def set_legal_hold(self, key: str, on: bool) -> None:
        self._require_object_lock("legal hold")
        head = self._head(key)
        with mapped_errors(f"object {key}", locking=True):
            if on:
                self._client.enable_object_legal_hold(self.bucket, key, head.version_id)
            else:
                self._client.disable_object_legal_hold(self.bucket, key, head.version_id)

    # -- temporary objects ---------------------------------------------------------------

    def put_temporary(self, name: str, stream: BinaryIO, length: int) -> None:
        object_name = _temporary_object(name)
        reader = _CountingReader(stream)
        with mapped_errors(f"temporary object {name}"):
            # No retention and no legal hold: this object must stay deletable.
            result = self._client.put_object(
                self.bucket,
                object_name,
                cast(BinaryIO, reader),
                length=length,
                part_size=PART_SIZE,
                num_parallel_uploads=PARALLEL_PARTS,
            )
        if reader.count != length or stream.read(1):
            with mapped_errors(f"temporary object {name}", locking=True):
                self._client.remove_object(self.bucket, object_name, version_id=result.version_id)
            raise StorageError(f"temporary object {name}: the stream did not hold {length} bytes")

    def iter_temporary(self, name: str, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        object_name = _temporary_object(name)
        with mapped_errors(f"temporary object {name}"):
            head = self._client.stat_object(self.bucket, object_name)
        return self._temporary_download(name, object_name, head.version_id, chunk_size)

    def _temporary_download(
        self, name: str, object_name: str, version_id: str | None, chunk_size: int
    ) -> Iterator[bytes]:
        with mapped_errors(f"temporary object {name}"):
            response = self._client.get_object(self.bucket, object_name, version_id=version_id)
            try:
                yield from response.stream(chunk_size)
            finally:
                response.close()
                response.release_conn()

    def list_temporary(self, prefix: str = "") -> Iterator[TemporaryInfo]:
        if not is_temporary_prefix(prefix):
            return
        with mapped_errors(f"listing temporary {prefix!r}"):
            for entry in self._client.list_objects(
                self.bucket, prefix=TEMPORARY_PREFIX + prefix, recursive=True
            ):
                object_name = entry.object_name or ""
                name = object_name.removeprefix(TEMPORARY_PREFIX)
                if not object_name.startswith(TEMPORARY_PREFIX) or not is_temporary_name(name):
                    continue
                modified = entry.last_modified or datetime.now(UTC)
                yield TemporaryInfo(
                    name=name, size=entry.size or 0, modified_at=modified.astimezone(UTC)
                )

    def delete_temporary(self, name: str) -> None:
        object_name = _temporary_object(name)
        with mapped_errors(f"temporary object {name}", locking=True):
            # Every version and delete marker, so that nothing of it stays in the bucket.
            for entry in self._client.list_objects(
                self.bucket, prefix=object_name, include_version=True
            ):
                if entry.object_name == object_name:
                    self._client.remove_object(
                        self.bucket, object_name, version_id=entry.version_id
                    )

    # -- health --------------------------------------------------------------------------

    def check_ready(self) -> None:
        try:
            self._probe()
        except StoreUnavailable:
            raise
        except StorageError as exc:
            raise StoreUnavailable(f"S3 store not ready: {exc}") from exc

    def _probe(self) -> None:
        with mapped_errors(f"readiness probe in {self.bucket}"):
            written = self._client.put_object(
                self.bucket, READY_PROBE_NAME, io.BytesIO(_READY_PROBE), len(_READY_PROBE)
            )
            response = self._client.get_object(
                self.bucket, READY_PROBE_NAME, version_id=written.version_id
            )
            try:
                read_back = response.read()
            finally:
                response.close()
                response.release_conn()
            # Removing the version, not adding a delete marker, keeps a frequently
            # polled readiness check from growing the bucket.
            self._client.remove_object(self.bucket, READY_PROBE_NAME, version_id=written.version_id)
        if read_back != _READY_PROBE:
            raise StoreUnavailable("the bucket does not read back what was written")

    # -- internals -----------------------------------------------------------------------

    def _head(self, key: str) -> Object:
        key = checked_key(key)
        with mapped_errors(f"object {key}"):
            return self._client.stat_object(self.bucket, key)

    def _require_object_lock(self, what: str) -> None:
        if not self._object_lock:
            raise NotSupported(f"{what} needs object lock, which this store was built without")


class _CountingReader:
    """Counts the bytes minio reads, to check a stream held what its length said."""

    def __init__(self, inner: BinaryIO) -> None:
        self._inner = inner
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._inner.read(size)
        self.count += len(chunk)
        return chunk


class _AlreadyCreated(Exception):
    """Someone else created the bucket between our check and our create."""


def _temporary_object(name: str) -> str:
    return TEMPORARY_PREFIX + checked_temporary_name(name)


def _object_info(key: str, entry: Object) -> ObjectInfo:
    headers: Any = entry.metadata or {}
    until = headers.get("x-amz-object-lock-retain-until-date")
    modified = entry.last_modified or datetime.now(UTC)
    return ObjectInfo(
        key=key,
        size=entry.size or 0,
        created_at=modified.astimezone(UTC),
        retain_until=datetime.fromisoformat(until).astimezone(UTC) if until else None,
        legal_hold=str(headers.get("x-amz-object-lock-legal-hold", "")).upper() == "ON",
    )
