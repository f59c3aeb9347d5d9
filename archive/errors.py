"""The archive exception tree; drawn in the package docstring.

Every error carries a short machine ``code`` (``"unknown_parent"``) besides its message:
the service answers 4xx with the code, which its clients and translations key on, and
passes the English message on for people reading logs.
"""

from __future__ import annotations


class ArchiveError(ValueError):
    """Root of every error raised here: what was given breaks an archival rule.

    A ``ValueError`` because it is always about a value handed in (a scheme, a rule, a
    record), never about the machine.
    """

    code: str
    message: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __reduce__(self) -> tuple[type[ArchiveError], tuple[str, str]]:
        # The default pickles ``args`` (the message alone), which __init__ cannot take
        # back; errors cross process boundaries in the service's batch workers.
        return (type(self), (self.code, self.message))


class SchemeError(ArchiveError):
    """The classification scheme (cuadro de clasificación) or one of its files is invalid."""


class RetentionError(ArchiveError):
    """A retention rule (tabla de retención documental) or one of its files is invalid."""


class TransitionError(ArchiveError):
    """A state or phase change that the archive's life cycle does not allow."""
