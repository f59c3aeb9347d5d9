"""Documents and their immutable versions."""
