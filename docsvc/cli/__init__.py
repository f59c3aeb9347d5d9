"""The ``docsvc`` command."""
