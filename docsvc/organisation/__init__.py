"""Institutions, departments, positions and user accounts."""
