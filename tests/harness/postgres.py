"""A throwaway PostgreSQL server for the test session, from Debian's package.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is created
and started as the ``postgres`` system user; otherwise as the current user. It listens on
127.0.0.1 only, on a free port, with durability switched off for speed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

START_TIMEOUT = 30.0
SUPERUSER = "docsvc_test"


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
    )
    if versions:
        return Path(versions[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError(
        "PostgreSQL is not installed: run 'apt-get install -y postgresql' (make test does it "
        "when run as root)"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@contextlib.contextmanager
def run_postgres(workdir: Path) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh database on a fresh cluster, and stop it after."""
    bindir = _bindir()
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    sockets = workdir / "sockets"
    log = workdir / "postgres.log"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        # The postgres user must own its directories and reach them from /.
        for path in (workdir, sockets):
            shutil.chown(path, "postgres", "postgres")
        workdir.chmod(0o755)
        for parent in workdir.parents:
            if parent != Path("/") and parent.stat().st_mode & 0o001 == 0:
                parent.chmod(parent.stat().st_mode | 0o001)
    init = subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed:\n{init.stdout}\n{init.stderr}")
    port = _free_port()
    options = (
        f"-h 127.0.0.1 -p {port} -k {sockets} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    start = subprocess.run(
        _as_server_user(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                options,
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "start",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode != 0:
        raise RuntimeError(f"PostgreSQL did not start:\n{start.stderr}\n{_tail(log)}")
    try:
        admin_url = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
        _wait_until_accepting(admin_url, log)
        yield create_database(
            f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres", "docsvc"
        )
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


def _wait_until_accepting(url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL does not accept connections:\n{_tail(log)}"
                ) from None
            time.sleep(0.1)


def create_database(url: str, name: str) -> str:
    """Create an empty database in the cluster of ``url``; return its SQLAlchemy URL."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"unsafe database name {name!r}")
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    base, _, _ = plain.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
