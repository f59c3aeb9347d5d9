"""Object stores for docsvc: one small interface, a local directory and S3.

Only this package imports ``minio``. It knows nothing of the service: it takes and
returns bytes, streams and frozen dataclasses. Objects are content-addressed; beside them,
named temporary objects (``put_temporary`` and its kin) are never locked.

Exception tree (every error raised here derives from :class:`StorageError`)::

    StorageError
    ├── ObjectNotFound        no object under that key
    ├── IntegrityError        the bytes read back do not hash to their key
    ├── ObjectTooLarge        a put went over its max_size
    ├── OperationNotAllowed   delete under retention or legal hold, or on a write-once key
    ├── NotSupported          this store lacks retention, legal hold or versioning
    └── StoreUnavailable      the backend cannot be reached
"""

from storage.errors import (
    IntegrityError,
    NotSupported,
    ObjectNotFound,
    ObjectTooLarge,
    OperationNotAllowed,
    StorageError,
    StoreUnavailable,
)
from storage.interface import (
    TEMPORARY_PREFIX,
    ObjectInfo,
    ObjectStore,
    StoreCapabilities,
    StoredObject,
    TemporaryInfo,
)
from storage.local import LocalObjectStore
from storage.s3 import S3ObjectStore

__all__ = [
    "TEMPORARY_PREFIX",
    "IntegrityError",
    "LocalObjectStore",
    "NotSupported",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectStore",
    "ObjectTooLarge",
    "OperationNotAllowed",
    "S3ObjectStore",
    "StorageError",
    "StoreCapabilities",
    "StoreUnavailable",
    "StoredObject",
    "TemporaryInfo",
]
