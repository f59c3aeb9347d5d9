"""Dossiers: ordered groups of documents."""
