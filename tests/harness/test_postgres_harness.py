"""The PostgreSQL harness starts a real server on 127.0.0.1."""

from __future__ import annotations

import psycopg

from tests.harness.postgres import create_database


def test_the_server_answers_and_makes_databases(postgres_url: str) -> None:
    assert "@127.0.0.1:" in postgres_url
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        version = conn.execute("select version()").fetchone()
    assert version is not None
    assert "PostgreSQL" in version[0]
    other = create_database(postgres_url, "harness_second")
    with psycopg.connect(other.replace("postgresql+psycopg://", "postgresql://")) as conn:
        assert conn.execute("select current_database()").fetchone() == ("harness_second",)
