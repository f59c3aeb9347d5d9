"""Store and read back one large object; compare with ``cp`` on the same disk.

    .venv/bin/python bench/storage_roundtrip.py [--size-mib N] [--s3] [--dir DIR]

For the local store (and, with ``--s3``, for a SeaweedFS server started through the test
harness on 127.0.0.1) it times put_file, get (iter_chunks, hash-checked) and put_stream,
and samples the process's RSS during each to report its peak growth. The baseline is
``cp`` of the same file in the same directory, once as is and once followed by fsync,
since every put fsyncs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage import LocalObjectStore, ObjectStore, S3ObjectStore
from tests.harness.seaweedfs import run_seaweedfs

MIB = 1024 * 1024
RSS_TARGET_MIB = 64
CP_RATIO_TARGET = 0.5


@dataclass(frozen=True, slots=True)
class Measurement:
    backend: str
    operation: str
    seconds: float
    size: int
    rss_growth: int
    median_seconds: float = 0.0

    @property
    def mib_per_second(self) -> float:
        return self.size / MIB / self.seconds

    @property
    def median_mib_per_second(self) -> float:
        return self.size / MIB / (self.median_seconds or self.seconds)


class PeakRss:
    """Samples this process's RSS every few milliseconds; ru_maxrss cannot be reset
    between measurements, a sampler can."""

    def __init__(self, interval: float = 0.002) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.baseline = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


def measure(backend: str, operation: str, size: int, action: Callable[[], object]) -> Measurement:
    with PeakRss() as rss:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    return Measurement(backend, operation, seconds, size, rss.growth)


def make_source(path: Path, size: int) -> None:
    """Incompressible bytes: every MiB block fresh from the OS's random source."""
    with path.open("wb") as out:
        remaining = size
        while remaining:
            block = os.urandom(min(MIB, remaining))
            out.write(block)
            remaining -= len(block)
        out.flush()
        os.fsync(out.fileno())


def best_of(runs: list[Measurement]) -> Measurement:
    """The fastest run (and the median), with the largest RSS growth seen in any run."""
    fastest = min(runs, key=lambda m: m.seconds)
    return Measurement(
        fastest.backend,
        fastest.operation,
        fastest.seconds,
        fastest.size,
        max(m.rss_growth for m in runs),
        statistics.median(m.seconds for m in runs),
    )


def cp_baselines(source: Path, workdir: Path, size: int, repeat: int) -> list[Measurement]:
    target = workdir / "cp-copy.bin"

    def cp() -> None:
        subprocess.run(["cp", str(source), str(target)], check=True)

    def cp_fsync() -> None:
        cp()
        subprocess.run(["sync", str(target)], check=True)

    runs: dict[str, list[Measurement]] = {"cp": [], "cp + fsync": []}
    for _ in range(repeat):
        for name, action in (("cp", cp), ("cp + fsync", cp_fsync)):
            target.unlink(missing_ok=True)
            runs[name].append(measure("baseline", name, size, action))
    target.unlink(missing_ok=True)
    return [best_of(found) for found in runs.values()]


def round_trip(
    backend: str, store: ObjectStore, source: Path, size: int, repeat: int
) -> list[Measurement]:
    runs: dict[str, list[Measurement]] = {"put_file": [], "get": [], "put_stream": []}
    keys: list[str] = []

    def put_file() -> None:
        keys.append(store.put_file(source).key)

    def get() -> None:
        for _ in store.iter_chunks(keys[-1]):
            pass

    def put_stream() -> None:
        with source.open("rb") as stream:
            keys.append(store.put_stream(stream).key)

    for _ in range(repeat):
        runs["put_file"].append(measure(backend, "put_file", size, put_file))
        runs["get"].append(measure(backend, "get", size, get))
        store.delete(keys[-1])  # a put of bytes already stored does nothing
        runs["put_stream"].append(measure(backend, "put_stream", size, put_stream))
        store.delete(keys[-1])
    return [best_of(found) for found in runs.values()]


@contextlib.contextmanager
def s3_store(workdir: Path) -> Iterator[S3ObjectStore]:
    with run_seaweedfs(workdir / "seaweedfs") as endpoint:
        store = S3ObjectStore(
            endpoint.endpoint,
            endpoint.access_key,
            endpoint.secret_key,
            "bench",
            region="us-east-1",
            spool_dir=workdir,
        )
        store.ensure_bucket()
        try:
            yield store
        finally:
            store.close()


def print_table(results: list[Measurement], cp: Measurement) -> None:
    header = (
        f"{'backend':<9} {'operation':<11} {'best s':>7} {'MiB/s':>7} {'median':>7} "
        f"{'RSS +MiB':>9} {'vs cp':>6}"
    )
    print(header)
    print("-" * len(header))
    for m in results:
        print(
            f"{m.backend:<9} {m.operation:<11} {m.seconds:>7.2f} {m.mib_per_second:>7.0f} "
            f"{m.median_mib_per_second:>7.0f} {m.rss_growth / MIB:>9.1f} "
            f"{cp.seconds / m.seconds:>6.0%}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--s3", action="store_true", help="also against SeaweedFS")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (one disk)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per operation; best kept")
    args = parser.parse_args()
    size = args.size_mib * MIB
    workdir = Path(tempfile.mkdtemp(prefix="docsvc-bench-", dir=args.dir))
    try:
        source = workdir / "source.bin"
        print(f"generating {args.size_mib} MiB in {workdir} ...", flush=True)
        make_source(source, size)
        results = cp_baselines(source, workdir, size, args.repeat)
        local = LocalObjectStore(workdir / "local")
        results += round_trip("local", local, source, size, args.repeat)
        if args.s3:
            with s3_store(workdir) as store:
                results += round_trip("s3", store, source, size, args.repeat)
        print_table(results, cp=results[0])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    worst_rss = max(m.rss_growth for m in results if m.backend != "baseline")
    cp, cp_fsync = results[0], results[1]
    local_put = next(m for m in results if (m.backend, m.operation) == ("local", "put_file"))
    print(
        f"\npeak RSS growth {worst_rss / MIB:.1f} MiB (target <= {RSS_TARGET_MIB}); "
        f"local put_file at {cp.seconds / local_put.seconds:.0%} of cp "
        f"(target >= {CP_RATIO_TARGET:.0%}) and {cp_fsync.seconds / local_put.seconds:.0%} "
        "of cp + fsync"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
