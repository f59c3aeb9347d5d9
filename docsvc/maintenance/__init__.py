"""Periodic jobs that keep the database and the object store in agreement."""
