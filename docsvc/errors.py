"""The one exception root of the docsvc domain; HTTP mapping lives in ``docsvc.http_errors``.

Exception tree::

    DomainError                  code, message; never shows a traceback to a user
    ├── InvalidInput        400  the request or uploaded file is malformed or refused
    │   ├── PayloadTooLarge 413  an upload exceeded a configured size limit
    │   └── Unprocessable   422  well-formed, but it could not be processed within the limits
    ├── NotAuthenticated    401  no valid token or session
    ├── PermissionDenied    403  the caller's role or department does not allow it
    ├── NotFound            404  no such object, or the caller may not know it exists
    ├── Conflict            409  the request contradicts the current state
    ├── Gone                410  it existed but has expired or been used up
    ├── Locked              423  too many wrong PINs: signing is locked for a while
    └── ServiceUnavailable  503  the database or the object store cannot be reached
"""

from __future__ import annotations


class DomainError(Exception):
    """Root of every error the service reports to a user.

    ``code`` is a stable, machine-readable snake_case identifier; ``message`` is a short
    English sentence that tells a user what was wrong.
    """

    status_code = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code


class InvalidInput(DomainError):
    status_code = 400
    default_code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    status_code = 413
    default_code = "payload_too_large"


class Unprocessable(InvalidInput):
    status_code = 422
    default_code = "unprocessable"


class NotAuthenticated(DomainError):
    status_code = 401
    default_code = "not_authenticated"


class PermissionDenied(DomainError):
    status_code = 403
    default_code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"


class Gone(DomainError):
    status_code = 410
    default_code = "gone"


class Locked(DomainError):
    status_code = 423
    default_code = "locked"


class ServiceUnavailable(DomainError):
    status_code = 503
    default_code = "service_unavailable"


class TooManyRequests(DomainError):
    status_code = 429
    default_code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
