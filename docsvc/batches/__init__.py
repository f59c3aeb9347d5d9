"""Batch signing: one PIN entry, up to 500 documents, dossiers or signing lines."""
