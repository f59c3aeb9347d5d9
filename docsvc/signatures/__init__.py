"""Signing documents through the service: officials' credentials, unlocked signing
sessions, the worker pool, and each signature as a new document version."""
