"""A throwaway PostgreSQL cluster for tests and benchmarks, from Debian's package.

``run_postgres(workdir)`` creates a cluster with ``initdb``, starts ``postgres`` on a free
port of 127.0.0.1 (trust authentication, and only from 127.0.0.1 and the cluster's own
socket directory), with durability switched off for speed, creates the ``docsvc``
database and yields its SQLAlchemy URL. On exit it stops the server (``pg_ctl stop -m
fast``) and removes the cluster. ``create_database(url, name)`` makes one more empty
database in the same cluster, so that each test module or worker can have its own.

PostgreSQL refuses to run as root. When the tests run as root, every server program runs
as Debian's ``postgres`` system user instead (the child switches user before exec, as
``runuser`` would, but without a wrapper process between us and the server), and the
cluster lives where that user can reach it: in ``workdir`` when every directory above it
is traversable, otherwise in a fresh private directory under /tmp. Directories we did not
create are never chmod-ed. Run as anyone else, everything runs as the current user.

Everything the programs print goes to ``workdir/postgres.log``, which is kept after exit;
a failure to start raises ``PostgresHarnessError`` carrying the tail of that log.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

LOOPBACK = "127.0.0.1"
SUPERUSER = "docsvc_test"
DATABASE = "docsvc"
SERVER_SYSTEM_USER = "postgres"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
_START_ATTEMPTS = 3
_LOG_TAIL_LINES = 40
_REQUIRED_PROGRAMS = ("initdb", "postgres", "pg_ctl")
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_PORT_TAKEN = ("could not bind", "Address already in use")
# Speed over durability: a crashed test cluster is thrown away anyway.
_SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
)
# Trust is acceptable only because the server listens on loopback and a private socket
# directory; nothing else may connect at all.
_PG_HBA = "local all all trust\nhost all all 127.0.0.1/32 trust\n"


class PostgresHarnessError(RuntimeError):
    """The cluster could not be created or started; the message carries the log's tail."""


@dataclass(frozen=True, slots=True)
class _ServerAccount:
    """Who runs the server programs: ``uid is None`` means the current user."""

    uid: int | None
    gid: int | None

    @property
    def switches_user(self) -> bool:
        return self.uid is not None

    def give(self, path: Path) -> None:
        """Make ``path`` the server account's own."""
        if self.uid is not None and self.gid is not None:
            os.chown(path, self.uid, self.gid)


@dataclass(frozen=True, slots=True)
class _Cluster:
    bindir: Path
    account: _ServerAccount
    root: Path  # removed on exit
    data: Path
    sockets: Path
    log: Path


def postgres_bindir() -> Path:
    """The directory holding initdb, postgres and pg_ctl: ``pg_config --bindir``, else the
    newest /usr/lib/postgresql/*/bin, else wherever ``initdb`` is on PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    candidates.extend(
        sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major_version, reverse=True)
    )
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for candidate in candidates:
        if all((candidate / program).is_file() for program in _REQUIRED_PROGRAMS):
            return candidate
    raise PostgresHarnessError(
        "the PostgreSQL server is not installed (no initdb, postgres and pg_ctl found): "
        "run 'apt-get install -y postgresql', or 'make test' as root, which does it"
    )


def _major_version(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bindir.parent.name.split(".") if part.isdigit())


@contextlib.contextmanager
def run_postgres(workdir: Path) -> Iterator[str]:
    """Start a fresh cluster, yield the SQLAlchemy URL of its empty ``docsvc`` database,
    then stop the server and remove the cluster (the log stays in ``workdir``)."""
    bindir = postgres_bindir()
    account = _server_account()
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        cluster = _make_cluster(bindir, account, workdir)
        stack.callback(shutil.rmtree, cluster.root, ignore_errors=True)
        _initdb(cluster)
        process, port = _start(cluster)
        stack.callback(_stop, cluster, process)
        admin_url = URL.create(
            "postgresql+psycopg", username=SUPERUSER, host=LOOPBACK, port=port, database="postgres"
        )
        yield create_database(admin_url.render_as_string(hide_password=False), DATABASE)


# A server a test kills: every acknowledged commit must survive the crash (the OS keeps
# what was written, so fsync may stay off; an asynchronous commit would not be written).
CRASH_SAFE_SETTINGS = tuple(
    setting for setting in _SERVER_SETTINGS if not setting.startswith("synchronous_commit")
)


@dataclass
class PostgresServer:
    """A cluster of its own that a test may ``kill -9`` and start again on the same port."""

    cluster: _Cluster
    process: subprocess.Popen[bytes]
    port: int
    settings: tuple[str, ...]

    @property
    def admin_url(self) -> str:
        return URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            host=LOOPBACK,
            port=self.port,
            database="postgres",
        ).render_as_string(hide_password=False)

    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the postmaster, as the OOM killer would; its backends notice and
        exit on their own."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)

    def restart(self, timeout: float = 60.0) -> None:
        """Start again on the same port (crash recovery runs first). Until the killed
        server's backends are gone, its shared memory is still in use: tried again."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.process, _ = _start(self.cluster, self.port, self.settings)
                return
            except PostgresHarnessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        _stop(self.cluster, self.process)


@contextlib.contextmanager
def run_postgres_server(
    workdir: Path, settings: Sequence[str] = CRASH_SAFE_SETTINGS
) -> Iterator[PostgresServer]:
    """Like :func:`run_postgres`, yielding the server itself, to kill and restart."""
    bindir = postgres_bindir()
    account = _server_account()
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        cluster = _make_cluster(bindir, account, workdir)
        stack.callback(shutil.rmtree, cluster.root, ignore_errors=True)
        _initdb(cluster)
        process, port = _start(cluster, settings=settings)
        server = PostgresServer(cluster, process, port, tuple(settings))
        stack.callback(lambda: server.stop())
        yield server


def create_database(url: str, name: str) -> str:
    """Create the empty database ``name`` in the cluster that ``url`` points to, and return
    its SQLAlchemy URL. Only a cluster on 127.0.0.1 is accepted."""
    if not _DATABASE_NAME.fullmatch(name):
        raise ValueError(f"database names here are lower-case identifiers, not {name!r}")
    target = make_url(url)
    if target.host != LOOPBACK:
        raise ValueError(f"test databases are created on {LOOPBACK} only, not {target.host!r}")
    with psycopg.connect(_libpq_url(target.set(database="postgres")), autocommit=True) as conn:
        # template0 rather than template1: concurrent creations from template1 fail while
        # anyone else is connected to it.
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
    return target.set(database=name).render_as_string(hide_password=False)


def _libpq_url(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


# -- accounts and directories ---------------------------------------------------------------


def _server_account() -> _ServerAccount:
    if os.geteuid() != 0:
        return _ServerAccount(uid=None, gid=None)
    try:
        entry = pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        raise PostgresHarnessError(
            f"PostgreSQL refuses to run as root and there is no {SERVER_SYSTEM_USER!r} user "
            "to run it as: install Debian's postgresql package, or run the tests as a "
            "normal user"
        ) from None
    return _ServerAccount(uid=entry.pw_uid, gid=entry.pw_gid)


def _others_can_traverse(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _make_cluster(bindir: Path, account: _ServerAccount, workdir: Path) -> _Cluster:
    if not account.switches_user or _others_can_traverse(workdir):
        root = workdir / "cluster"
        root.mkdir()
    else:
        tmp = Path(tempfile.gettempdir())
        root = Path(
            tempfile.mkdtemp(prefix="docsvc-pg-", dir=tmp if _others_can_traverse(tmp) else "/tmp")
        )
    root.chmod(0o700)
    sockets = root / "sockets"
    sockets.mkdir(mode=0o700)
    account.give(root)
    account.give(sockets)
    return _Cluster(
        bindir=bindir,
        account=account,
        root=root,
        data=root / "data",
        sockets=sockets,
        log=workdir / "postgres.log",
    )


# -- running the server programs ------------------------------------------------------------


def _server_env(cluster: _Cluster) -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT, PGHOST...) would redirect the programs elsewhere.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(HOME=str(cluster.root), LC_ALL="C", LANG="C")
    return env


def _spawn(cluster: _Cluster, argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start one of the cluster's programs as the server account, output to the log."""
    with cluster.log.open("ab") as log:
        return subprocess.Popen(
            argv,
            cwd=cluster.root,
            env=_server_env(cluster),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            user=cluster.account.uid,
            group=cluster.account.gid,
            extra_groups=[] if cluster.account.switches_user else None,
            # Its own session: a Ctrl-C at the terminal reaches pytest, which then stops
            # the server in order, instead of killing the server under a running test.
            start_new_session=True,
        )


def _run(cluster: _Cluster, argv: Sequence[str], timeout: float) -> int:
    process = _spawn(cluster, argv)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def _initdb(cluster: _Cluster) -> None:
    status = _run(
        cluster,
        [
            str(cluster.bindir / "initdb"),
            "--pgdata",
            str(cluster.data),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
            "--no-instructions",
        ],
        timeout=120,
    )
    if status != 0:
        raise PostgresHarnessError(
            f"initdb failed with status {status}; {cluster.log}:\n{_tail(cluster.log)}"
        )
    hba = cluster.data / "pg_hba.conf"
    hba.write_text(_PG_HBA)
    cluster.account.give(hba)


def _start(
    cluster: _Cluster, port: int | None = None, settings: Sequence[str] = _SERVER_SETTINGS
) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server on ``port``, or on a free one (tried again if it is taken)."""
    for attempt in range(_START_ATTEMPTS):
        chosen = port or _free_port()
        log_offset = cluster.log.stat().st_size
        argv = [
            str(cluster.bindir / "postgres"),
            "-D",
            str(cluster.data),
            "-h",
            LOOPBACK,
            "-p",
            str(chosen),
            "-k",
            str(cluster.sockets),
        ]
        for setting in settings:
            argv += ["-c", setting]
        process = _spawn(cluster, argv)
        try:
            _wait_until_accepting(cluster, process, chosen)
        except PostgresHarnessError:
            _stop(cluster, process)
            # A port picked free can be taken before the server binds it: try another.
            said = cluster.log.read_bytes()[log_offset:].decode(errors="replace")
            if (
                port is None
                and attempt + 1 < _START_ATTEMPTS
                and any(s in said for s in _PORT_TAKEN)
            ):
                continue
            raise
        except BaseException:
            _stop(cluster, process)
            raise
        return process, chosen
    raise AssertionError("unreachable")


def _wait_until_accepting(cluster: _Cluster, process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    conninfo = f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/postgres"
    while True:
        if process.poll() is not None:
            raise PostgresHarnessError(
                f"postgres exited with status {process.returncode}; {cluster.log}:\n"
                f"{_tail(cluster.log)}"
            )
        try:
            with psycopg.connect(conninfo, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise PostgresHarnessError(
                    f"postgres did not accept connections within {START_TIMEOUT:.0f} s; "
                    f"{cluster.log}:\n{_tail(cluster.log)}"
                ) from None
            time.sleep(0.05)


def _stop(cluster: _Cluster, process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        _run(
            cluster,
            [str(cluster.bindir / "pg_ctl"), "stop", "-D", str(cluster.data), "-m", "fast", "-w"],
            timeout=STOP_TIMEOUT,
        )
    # pg_ctl finds the server through postmaster.pid, which a server that failed early
    # may not have written: then fast shutdown is asked for directly (it is SIGINT).
    with contextlib.suppress(ProcessLookupError):
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(lines[-_LOG_TAIL_LINES:])
