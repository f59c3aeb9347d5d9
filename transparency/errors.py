"""The transparency exception tree; drawn in the package docstring."""


class TransparencyError(ValueError):
    """Root of every error raised here: what was given cannot be what it claims to be."""


class ProofError(TransparencyError):
    """A proof does not prove what it claims, or its request makes no sense."""


class NoteError(TransparencyError):
    """The note is malformed, or a signature on it does not verify."""
