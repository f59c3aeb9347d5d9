"""The signing exception tree; drawn in the package docstring."""


class SigningError(Exception):
    """Root of every error raised by the signing package."""


class PkiError(SigningError):
    """The development PKI is missing, damaged or inconsistent."""


class WrongPin(SigningError):
    """The PIN did not unlock the key."""


class TokenError(SigningError):
    """A PKCS#11 library or token cannot be used: it does not load, its PIN is locked, or
    it failed while signing."""


class TokenNotFound(TokenError):
    """No token with that label is present in the PKCS#11 library's slots."""


class KeyNotFound(TokenError):
    """The token has no signing key with that label, or no certificate for it."""
