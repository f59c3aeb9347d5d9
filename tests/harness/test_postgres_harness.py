"""The PostgreSQL harness starts a real server on 127.0.0.1 and leaves nothing running."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.harness.postgres import LOOPBACK, create_database, run_postgres


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _port_is_closed(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1):
            return False
    except OSError:
        return True


@pytest.mark.postgres
def test_a_cluster_starts_answers_makes_databases_and_stops(tmp_path: Path) -> None:
    # tmp_path sits under pytest's private (0700) directory: run as root, this also checks
    # that the cluster moves where the postgres user can reach it.
    workdir = tmp_path / "pg"
    with run_postgres(workdir) as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == LOOPBACK
        assert parsed.database == "docsvc"
        assert parsed.port is not None
        with psycopg.connect(_libpq(url)) as conn:
            row = conn.execute("select version()").fetchone()
            assert row is not None
            assert row[0].startswith("PostgreSQL ")
            listen = conn.execute("show listen_addresses").fetchone()
            assert listen == (LOOPBACK,)
            fsync = conn.execute("show fsync").fetchone()
            assert fsync == ("off",)
            data_row = conn.execute("show data_directory").fetchone()
            assert data_row is not None
            data_directory = Path(data_row[0])
            if os.geteuid() == 0:
                # Run as root, the server belongs to the postgres system user.
                assert data_directory.stat().st_uid == pwd.getpwnam("postgres").pw_uid

        second = create_database(url, "harness_second")
        assert make_url(second).database == "harness_second"
        with psycopg.connect(_libpq(second)) as conn:
            assert conn.execute("select current_database()").fetchone() == ("harness_second",)
            conn.execute("create table probe (id int primary key)")
            conn.execute("insert into probe values (1)")
            conn.commit()
        with psycopg.connect(_libpq(url)) as conn:
            # A new database is empty: nothing leaked from the other one.
            tables = conn.execute(
                "select count(*) from pg_tables where schemaname = 'public'"
            ).fetchone()
            assert tables == (0,)

    assert _port_is_closed(parsed.port)
    assert not data_directory.exists()
    # Only the log is left behind, for post-mortems.
    assert sorted(p.name for p in workdir.iterdir()) == ["postgres.log"]
    assert "database system is shut down" in (workdir / "postgres.log").read_text()


@pytest.mark.parametrize(
    "name", ["", "Upper", "has-dash", 'quote"', "semi;colon", "1starts_with_digit", "x" * 64]
)
def test_create_database_refuses_names_that_are_not_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="identifiers"):
        create_database("postgresql+psycopg://u@127.0.0.1:1/postgres", name)


@pytest.mark.parametrize("host", ["localhost", "10.0.0.5", "db.example.org"])
def test_create_database_refuses_clusters_off_loopback(host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        create_database(f"postgresql+psycopg://u@{host}:5432/postgres", "fine_name")
