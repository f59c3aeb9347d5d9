"""The signing exception tree; drawn in the package docstring."""


class SigningError(Exception):
    """Root of every error raised by the signing package."""


class PkiError(SigningError):
    """The development PKI is missing, damaged or inconsistent."""


class WrongPin(SigningError):
    """The PIN did not unlock the key."""
