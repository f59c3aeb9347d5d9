"""How minio and urllib3 failures become storage errors.

Only codes that mean the same thing on every S3 server we support are mapped to a specific
error; anything else keeps the server's code in a plain StorageError message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import urllib3
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from storage.errors import (
    NotSupported,
    ObjectNotFound,
    OperationNotAllowed,
    StorageError,
    StoreUnavailable,
)

_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchVersion", "NoSuchObjectLegalHold"})
_UNREACHABLE = frozenset(
    {
        "NoSuchBucket",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ServiceUnavailable",
        "SlowDown",
        "InternalError",
        "RequestTimeout",
    }
)
# What servers answer when object lock is off for the bucket or the object.
_LOCK_MISSING = frozenset({"ObjectLockConfigurationNotFoundError", "InvalidRequest"})


@contextlib.contextmanager
def mapped_errors(subject: str, *, locking: bool = False) -> Iterator[None]:
    """Translate client errors raised inside the block.

    ``locking`` marks calls that change or are gated by object lock (delete, retention,
    legal hold): there an AccessDenied means the lock said no, not that we lack rights.
    """
    try:
        yield
    except StorageError:
        raise
    except S3Error as exc:
        raise storage_error(exc, subject, locking=locking) from exc
    except (ServerError, InvalidResponseError) as exc:
        raise StoreUnavailable(f"S3 server error for {subject}: {exc}") from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise StoreUnavailable(f"S3 endpoint unreachable for {subject}: {exc}") from exc
    except MinioException as exc:
        raise StorageError(f"S3 client error for {subject}: {exc}") from exc


def storage_error(exc: S3Error, subject: str, *, locking: bool) -> StorageError:
    code = exc.code or ""
    message = f"{subject}: {code} {exc.message or ''}".strip()
    if code in _NOT_FOUND:
        return ObjectNotFound(message)
    if code == "AccessDenied":
        return OperationNotAllowed(message) if locking else StoreUnavailable(message)
    if code in _UNREACHABLE:
        return StoreUnavailable(message)
    if locking and code in _LOCK_MISSING:
        return NotSupported(f"object lock is not enabled: {message}")
    return StorageError(message)
