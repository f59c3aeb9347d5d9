"""Control boards: the institution's figures, aggregated (no titles or contents)."""
