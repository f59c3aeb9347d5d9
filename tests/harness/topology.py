"""The production topology on this machine, on 127.0.0.1 only: a SeaweedFS cluster, two
``docsvc serve`` processes on PostgreSQL and that cluster's S3 gateway, and HAProxy in
front of them with the committed deploy/haproxy/haproxy.cfg.

- ``run_seaweedfs_cluster(workdir)``: one ``weed master`` with ``-defaultReplication=001``
  (every object on two volume servers of one rack), two ``weed volume`` servers (each its
  own directory and ports, data center ``dc1``, rack ``rack1``) and ``weed filer`` with ``weed s3``
  (the S3 gateway, with the identities file of tests/harness/seaweedfs.py). Volume servers
  can be killed with SIGKILL and started again on the same directory and ports.
- ``run_app(...)``: ``python -m docsvc serve --proxy-headers`` with
  ``FORWARDED_ALLOW_IPS=127.0.0.1`` (HAProxy connects from there), its access log in a file.
- ``run_haproxy(...)``: Debian's ``haproxy`` with the committed configuration; the ports
  and limits are given in the environment, which HAProxy expands itself, so operators run
  the very same file. Missing ``haproxy`` fails with the apt-get line to run.

Every process runs in its own process group and is stopped (SIGTERM, then SIGKILL) when
its context ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.harness.seaweedfs import (
    LOOPBACK,
    S3Endpoint,
    _identities_json,
    _remove_grpc_sockets,
    _stop,
    _tail,
    _wait_until_ready,
    _write_private,
    free_ports,
    weed_binary,
)

ROOT = Path(__file__).resolve().parent.parent.parent
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY_MISSING = (
    "haproxy is not installed: run 'apt-get install -y haproxy' "
    "(or 'make deps' as root, which does it)"
)
DATA_CENTER = "dc1"
RACK = "rack1"
REPLICATION = "001"  # one extra copy on another server of the same rack
START_TIMEOUT = 60.0


class TopologyError(RuntimeError):
    """A part of the topology could not be started; the message carries its log's tail."""


@dataclass
class Managed:
    """A child process in its own process group, with its log file."""

    name: str
    command: list[str]
    log: Path
    env: dict[str, str]
    cwd: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole process group, as a crash or the OOM killer would."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            assert self.process is not None
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def tail(self) -> str:
        return f"--- {self.name} ({self.log}) ---\n{_tail(self.log)}"


@dataclass
class VolumeServer:
    managed: Managed
    port: int
    grpc_port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def dat_bytes(self) -> int:
        """Bytes in this server's volume files (.dat), which every write appends to."""
        return sum(path.stat().st_size for path in self.directory.glob("*.dat"))


@dataclass
class SeaweedCluster:
    master: Managed
    master_port: int
    volumes: list[VolumeServer]
    filer: Managed
    gateway: Managed
    s3: S3Endpoint

    @property
    def master_url(self) -> str:
        return f"http://{LOOPBACK}:{self.master_port}"

    def kill_volume(self, index: int) -> None:
        self.volumes[index].managed.kill()

    def restart_volume(self, index: int, timeout: float = 30.0) -> None:
        """Start a killed volume server again on its directory and ports, and wait until
        the master counts it again."""
        volume = self.volumes[index]
        volume.managed.start()
        deadline = time.monotonic() + timeout
        while volume.url not in self.data_nodes():
            if not volume.managed.running() or time.monotonic() > deadline:
                raise TopologyError(f"volume server did not rejoin:\n{volume.managed.tail()}")
            time.sleep(0.2)

    def topology(self) -> dict[str, Any]:
        response = httpx.get(f"{self.master_url}/dir/status", timeout=5)
        response.raise_for_status()
        topology: dict[str, Any] = response.json()["Topology"]
        return topology

    def data_nodes(self) -> set[str]:
        """The volume servers the master currently counts, as host:port."""
        return {
            node["Url"]
            for dc in self.topology().get("DataCenters") or []
            for rack in dc.get("Racks") or []
            for node in rack.get("DataNodes") or []
        }

    def volume_locations(self) -> dict[int, set[str]]:
        """Every volume id with the servers holding a copy of it (from each volume
        server's own status, not the master's bookkeeping)."""
        locations: dict[int, set[str]] = {}
        for volume in self.volumes:
            if not volume.managed.running():
                continue
            status = httpx.get(f"http://{volume.url}/status", timeout=5).json()
            for info in status.get("Volumes") or []:
                locations.setdefault(int(info["Id"]), set()).add(volume.url)
        return locations


def stop_all(parts: Iterable[Managed]) -> None:
    """SIGTERM to every part at once (volume servers take 10 s to stop), then wait."""
    parts = list(parts)
    for part in parts:
        if part.running():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(part.pid, signal.SIGTERM)
    for part in parts:
        part.stop()


def _address(port: int, grpc_port: int) -> str:
    """SeaweedFS's ``host:port.grpcPort`` form, for grpc ports not at port + 10000."""
    return f"{LOOPBACK}:{port}.{grpc_port}"


def _weed_env(home: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "S3_", "WEED_"))  # weed reads these as settings
    }
    env["HOME"] = str(home)
    return env


def _wait_http(url: str, managed: Managed, timeout: float, ok: Any = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if not managed.running():
            raise TopologyError(f"{managed.name} exited:\n{managed.tail()}")
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200 and (ok is None or ok(response)):
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TopologyError(f"{url} did not answer in {timeout:.0f} s:\n{managed.tail()}")
        time.sleep(0.2)


@contextlib.contextmanager
def run_seaweedfs_cluster(workdir: Path) -> Iterator[SeaweedCluster]:
    """Master, two volume servers and filer + S3 gateway; yields the running cluster."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_dir = workdir / "config"  # empty: no stray /etc/seaweedfs/*.toml gets loaded
    home = workdir / "home"
    for directory in (config_dir, home):
        directory.mkdir(exist_ok=True)
    credentials = S3Endpoint(
        endpoint=f"{LOOPBACK}:1",
        access_key="docsvc" + secrets.token_hex(6),
        secret_key=secrets.token_urlsafe(24),
    )
    s3_config = workdir / "s3-identities.json"
    _write_private(s3_config, _identities_json(credentials))
    ports = free_ports(12)
    master_port, master_grpc, filer_port, filer_grpc, s3_port, s3_grpc = ports[:6]
    master = _address(master_port, master_grpc)
    weed = [str(weed_binary()), "-logtostderr", f"-config_dir={config_dir}"]
    env = _weed_env(home)
    # Unix socket paths are limited to ~107 bytes, and workdirs can be long.
    sockets = Path(tempfile.mkdtemp(prefix="weed-"))

    def managed(name: str, *args: str) -> Managed:
        return Managed(name, [*weed, *args], workdir / f"{name}.log", env, workdir)

    master_dir = workdir / "master"
    master_dir.mkdir(exist_ok=True)
    master_process = managed(
        "master",
        "master",
        f"-mdir={master_dir}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-port={master_port}",
        f"-port.grpc={master_grpc}",
        f"-defaultReplication={REPLICATION}",
        # Every bucket is its own collection with its own volumes: keep them small.
        "-volumeSizeLimitMB=64",
        "-telemetry=false",
    )
    volumes = []
    for n, (port, grpc_port) in enumerate(((ports[6], ports[7]), (ports[8], ports[9])), 1):
        directory = workdir / f"volume{n}"
        directory.mkdir(exist_ok=True)
        volumes.append(
            VolumeServer(
                managed(
                    f"volume{n}",
                    "volume",
                    f"-dir={directory}",
                    f"-ip={LOOPBACK}",
                    f"-ip.bind={LOOPBACK}",
                    f"-port={port}",
                    f"-port.grpc={grpc_port}",
                    f"-master={master}",
                    f"-dataCenter={DATA_CENTER}",
                    f"-rack={RACK}",
                    "-max=300",
                ),
                port,
                grpc_port,
                directory,
            )
        )
    filer_dir = workdir / "filer"
    filer_dir.mkdir(exist_ok=True)
    filer = managed(
        "filer",
        "filer",
        f"-master={master}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-port={filer_port}",
        f"-port.grpc={filer_grpc}",
        f"-defaultStoreDir={filer_dir}",
        f"-localSocket={sockets / 'filer.sock'}",
        "-webdav=false",
    )
    # The S3 gateway in its own process, as compose.yaml runs it (``weed filer -s3``
    # starts none in 4.48 when the master runs apart).
    gateway = managed(
        "s3",
        "s3",
        f"-filer={_address(filer_port, filer_grpc)}",
        f"-ip={LOOPBACK}",
        f"-ip.bind={LOOPBACK}",
        f"-port={s3_port}",
        f"-port.grpc={s3_grpc}",
        f"-config={s3_config}",
        f"-localSocket={sockets / 's3.sock'}",
        "-iam=false",
        "-autoCreateBucket=false",
        "-allowDeleteBucketNotEmpty=false",
        "-port.iceberg=0",
        "-port.lance=0",
    )
    endpoint = S3Endpoint(
        endpoint=f"{LOOPBACK}:{s3_port}",
        access_key=credentials.access_key,
        secret_key=credentials.secret_key,
    )
    cluster = SeaweedCluster(master_process, master_port, volumes, filer, gateway, endpoint)
    started = [master_process, *(v.managed for v in volumes), filer, gateway]
    try:
        master_process.start()
        _wait_http(f"{cluster.master_url}/cluster/status", master_process, START_TIMEOUT)
        for volume in volumes:
            volume.managed.start()
        deadline = time.monotonic() + START_TIMEOUT
        while cluster.data_nodes() != {v.url for v in volumes}:
            if time.monotonic() > deadline:
                raise TopologyError(
                    "volume servers did not join:\n" + "\n".join(v.managed.tail() for v in volumes)
                )
            time.sleep(0.2)
        filer.start()
        _wait_http(f"http://{LOOPBACK}:{filer_port}/healthz", filer, START_TIMEOUT)
        gateway.start()
        assert gateway.process is not None
        try:
            _wait_until_ready(endpoint, gateway.process, gateway.log, START_TIMEOUT)
        except Exception as exc:
            raise TopologyError(f"{exc}\n{filer.tail()}") from exc
        yield cluster
    finally:
        stop_all(reversed(started))
        shutil.rmtree(sockets, ignore_errors=True)
        _remove_grpc_sockets(ports)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or next(
        (str(p) for p in (Path("/usr/sbin/haproxy"),) if p.is_file()), None
    )
    if found is None:
        raise TopologyError(HAPROXY_MISSING)
    return found


def haproxy_environment(
    bind: str,
    apps: tuple[str, str],
    public_requests_per_minute: int,
    trusted_proxies: str = LOOPBACK,
) -> dict[str, str]:
    """The variables deploy/haproxy/haproxy.cfg reads (see its header)."""
    return {
        "HAPROXY_BIND": bind,
        "DOCSVC_APP_1": apps[0],
        "DOCSVC_APP_2": apps[1],
        "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": str(public_requests_per_minute),
        "HAPROXY_TRUSTED_PROXIES": trusted_proxies,
    }


@contextlib.contextmanager
def run_haproxy(workdir: Path, variables: Mapping[str, str]) -> Iterator[Managed]:
    """HAProxy with the committed configuration, checked first (``haproxy -c``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    binary = haproxy_binary()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith("HAPROXY_")
    } | dict(variables)
    checked = subprocess.run(
        [binary, "-c", "-f", str(HAPROXY_CONFIG)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if checked.returncode != 0:
        raise TopologyError(f"haproxy -c refused the configuration:\n{checked.stdout}")
    # -W: master-worker, so that the process group is stopped as one; -db: foreground.
    proxy = Managed(
        "haproxy",
        [binary, "-W", "-db", "-f", str(HAPROXY_CONFIG)],
        workdir / "haproxy.log",
        env,
        workdir,
    )
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@dataclass
class App:
    managed: Managed
    port: int

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def access_log_requests(self, marker: str) -> int:
        """Lines of this process's log that mention ``marker`` (e.g. a path)."""
        return sum(marker in line for line in self.managed.log.read_text().splitlines())


@contextlib.contextmanager
def run_app(
    workdir: Path, name: str, port: int, settings_env: Mapping[str, str], public_url: str
) -> Iterator[App]:
    """``python -m docsvc serve --proxy-headers`` on 127.0.0.1:``port``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    env |= dict(settings_env) | {
        "DOCSVC_PUBLIC_URL": public_url,
        "FORWARDED_ALLOW_IPS": LOOPBACK,  # HAProxy's address: believe its X-Forwarded-For
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "docsvc", "serve", "--host", LOOPBACK]
    managed = Managed(
        name, [*command, "--port", str(port), "--proxy-headers"], workdir / f"{name}.log", env, ROOT
    )
    app = App(managed, port)
    managed.start()
    try:
        _wait_http(f"{app.base}/healthz", managed, START_TIMEOUT)
        yield app
    finally:
        managed.stop()


def _worker_env(settings_env: Mapping[str, str], public_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    return env | dict(settings_env) | {"DOCSVC_PUBLIC_URL": public_url, "PYTHONUNBUFFERED": "1"}


def start_worker(
    workdir: Path, name: str, settings_env: Mapping[str, str], public_url: str
) -> Managed:
    """``python -m docsvc worker``, started, waited for until it serves its queues."""
    worker = Managed(
        name,
        [sys.executable, "-m", "docsvc", "worker"],
        workdir / f"{name}.log",
        _worker_env(settings_env, public_url),
        ROOT,
    )
    worker.start()
    deadline = time.monotonic() + START_TIMEOUT
    while " serves " not in worker.log.read_text(errors="replace"):
        if not worker.running() or time.monotonic() > deadline:
            worker.stop()
            raise TopologyError(f"{name} did not start\n{worker.tail()}")
        time.sleep(0.1)
    return worker


@contextlib.contextmanager
def run_worker(
    workdir: Path, name: str, settings_env: Mapping[str, str], public_url: str
) -> Iterator[Managed]:
    worker = start_worker(workdir, name, settings_env, public_url)
    try:
        yield worker
    finally:
        worker.stop()


@dataclass
class Topology:
    cluster: SeaweedCluster
    apps: list[App]
    haproxy: Managed
    base: str  # the load balancer
    # ``docsvc worker`` processes (the job queue's; none unless asked for).
    workers: list[Managed] = field(default_factory=list)
    settings_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = Path()

    def restart_app(self, index: int) -> App:
        """Start ``apps[index]`` again on its port (after a kill), until it answers."""
        app = self.apps[index]
        app.managed.stop()
        app.managed.start()
        _wait_http(f"{app.base}/healthz", app.managed, START_TIMEOUT)
        return app

    def restart_worker(self, index: int = 0) -> Managed:
        """A new worker in place of ``workers[index]`` (killed, or stopped)."""
        old = self.workers[index]
        old.stop()
        self.workers[index] = start_worker(
            self.workdir, f"{old.name}-{time.monotonic_ns()}", self.settings_env, self.base
        )
        return self.workers[index]

    def wait_for_servers_up(self, count: int, timeout: float = 15.0) -> None:
        """Until ``count`` app processes answer their own health check."""
        deadline = time.monotonic() + timeout
        while sum(_answers(app.base) for app in self.apps) != count:
            if time.monotonic() > deadline:
                raise TopologyError(f"expected {count} app processes up")
            time.sleep(0.2)


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextlib.contextmanager
def run_topology(
    workdir: Path,
    settings_env_for: Any,
    *,
    public_requests_per_minute: int,
    workers: int = 0,
) -> Iterator[Topology]:
    """The whole topology. ``settings_env_for(s3)`` prepares the institution (database
    migrated and seeded, bucket made) on the cluster's S3 endpoint and returns the
    environment for ``docsvc serve``."""
    if shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").is_file():
        raise TopologyError(HAPROXY_MISSING)  # before minutes of setup, not after
    with contextlib.ExitStack() as stack:
        cluster = stack.enter_context(run_seaweedfs_cluster(workdir / "seaweedfs"))
        settings_env = settings_env_for(cluster.s3)
        # Chosen late: the cluster's own connections take ephemeral ports meanwhile.
        lb_port, port1, port2 = free_ports(3)
        base = f"http://{LOOPBACK}:{lb_port}"
        apps = [
            stack.enter_context(run_app(workdir, f"app{n}", port, settings_env, base))
            for n, port in ((1, port1), (2, port2))
        ]
        variables = haproxy_environment(
            f"{LOOPBACK}:{lb_port}",
            (f"{LOOPBACK}:{port1}", f"{LOOPBACK}:{port2}"),
            public_requests_per_minute,
        )
        proxy = stack.enter_context(run_haproxy(workdir, variables))
        _wait_http(
            f"{base}/healthz",
            proxy,
            START_TIMEOUT,
        )
        started = [
            stack.enter_context(run_worker(workdir, f"worker{n}", settings_env, base))
            for n in range(1, workers + 1)
        ]
        topology = Topology(cluster, apps, proxy, base, started, dict(settings_env), workdir)
        try:
            yield topology
        finally:
            for worker in topology.workers:  # restarted ones too
                worker.stop()
