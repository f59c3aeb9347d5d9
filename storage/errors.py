"""The storage exception tree; drawn in the package docstring."""


class StorageError(Exception):
    """Root of every error raised by an object store."""


class ObjectNotFound(StorageError):
    """No object is stored under the requested key."""


class IntegrityError(StorageError):
    """The bytes read back do not hash to the key they are stored under."""


class ObjectTooLarge(StorageError):
    """A put exceeded the max_size it was given; nothing was stored."""


class OperationNotAllowed(StorageError):
    """The object is under retention or legal hold, so it cannot be deleted."""


class NotSupported(StorageError):
    """The store does not offer this capability (retention, legal hold)."""


class StoreUnavailable(StorageError):
    """The backend could not be reached or answered with a server error."""
