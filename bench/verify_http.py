"""Public verification over HTTP (issues 6 and 18): verifications per second of a one-page
signed PDF posted to ``POST /api/v1/verify`` of ``docsvc serve --workers 2``, with p50 and
p99 latency, against the same verifier in process, one thread, in the same run.

    .venv/bin/python bench/verify_http.py [--requests 1000] [--rounds 3] [--concurrency 4]
        [--workers 2] [--baseline-runs 300] [--client lean|httpx] [--server-env NAME=VALUE]

The institution is made with ``docsvc init --demo`` in a temporary data dir (SQLite, the
local store, the development PKI); the PDF is signed at B-B by a demo official with
``docsvc sign``. Per-client limits are lifted for the run, and each client connects from an
address of its own (``127.0.0.2``, ``127.0.0.3``, ...), since the fair share admits one
verification per address and process at a time.

- **Baseline**: ``signing.verification.verify`` of the same file, one call after another
  on one thread, under the policy the service builds for an upload
  (``docsvc.verification.service.verification_policy``: the same trust anchors, the
  institution's current CRL, the same decompression limits), in a process of its own that
  imports the verifier and nothing else, as a verifier worker does. It runs before the
  first round and after each, with every process of the server stopped (SIGSTOP) meanwhile.
- **Rounds** (``--rounds``): each is one HTTP run between two baseline passes; its ratio is
  the HTTP rate over the faster of those two, and the figure is the median of the rounds'
  ratios, so that a busy moment of a shared machine moves one round, not the result.
- **HTTP**: ``--concurrency`` clients, each with one keep-alive connection, post the file
  one request after another. By default they run in a separate lean process
  (``bench/lean_client.py``: the standard library, asyncio, one thread); ``--client httpx``
  runs them as threads of this process with httpx instead.

Besides the rates and their ratio it prints the CPU time per request of the server's
processes (the app processes, and their children: the verifier workers), of the client and,
for comparison, of one in-process verification; the load average before and after; and,
as the ceiling no server can pass here, the rate of ``--workers`` baseline processes run
side by side (the same verifier, nothing shared, no HTTP).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import psutil

from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.demo.sample_pdfs import demo_documents
from docsvc.verification.service import verification_policy

HERE = Path(__file__).resolve().parent
LIFTED = {
    "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": "100000",
    "DOCSVC_PUBLIC_VERIFY_SECONDS_PER_MINUTE": "3600",
    "DOCSVC_PUBLIC_VERIFICATIONS_IN_FLIGHT": "64",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# The baseline's own process: the verifier and nothing else imported, as in a verifier
# worker, so that neither the bench's imports nor its threads slow it down.
_BASELINE = """
import pickle, sys, time
from pathlib import Path
from signing.verification import verify
signed, policy_file, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
policy = pickle.loads(policy_file.read_bytes())
for _ in range(5):
    assert verify(signed, policy).report.verdict == "valid"
cpu, start = time.process_time(), time.perf_counter()
for _ in range(runs):
    assert verify(signed, policy).report.verdict == "valid"
wall = time.perf_counter() - start
print(runs / wall, (time.process_time() - cpu) / runs)
"""


def _baselines(signed: Path, policy_file: Path, runs: int, at_once: int) -> list[float]:
    """Each process's verifications per second and CPU seconds per verification, for
    ``at_once`` baseline processes run side by side."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _BASELINE, str(signed), str(policy_file), str(runs)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(at_once)
    ]
    found: list[float] = []
    for process in started:
        out, _ = process.communicate()
        if process.returncode:
            raise SystemExit(f"the baseline failed ({process.returncode})")
        found.extend(float(x) for x in out.split())
    return found


def _baseline(signed: Path, policy_file: Path, runs: int) -> tuple[float, float]:
    """Verifications per second, one after another on one thread of a process of their
    own, and the CPU seconds of each."""
    rate, cpu = _baselines(signed, policy_file, runs, 1)
    return rate, cpu


def _tree_cpu(server: psutil.Process) -> dict[int, tuple[int, float]]:
    """CPU seconds (user and system) of the server's processes, by pid, with their depth
    below the server (1: an app process, 2: one of its workers)."""
    found: dict[int, tuple[int, float]] = {}

    def walk(process: psutil.Process, depth: int) -> None:
        try:
            times = process.cpu_times()
            found[process.pid] = (depth, times.user + times.system)
            for child in process.children():
                walk(child, depth + 1)
        except psutil.Error:
            pass

    walk(server, 0)
    return found


def _cpu_by_depth(
    before: dict[int, tuple[int, float]], after: dict[int, tuple[int, float]]
) -> dict[int, float]:
    spent: dict[int, float] = {}
    for pid, (depth, seconds) in after.items():
        spent[min(depth, 2)] = spent.get(min(depth, 2), 0.0) + seconds - before.get(pid, (0, 0))[1]
    return spent


def _lean_run(port: int, pdf_path: Path, requests: int, concurrency: int) -> dict[str, object]:
    done = subprocess.run(
        [
            sys.executable,
            str(HERE / "lean_client.py"),
            "--port",
            str(port),
            "--file",
            str(pdf_path),
            "--requests",
            str(requests),
            "--concurrency",
            str(concurrency),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _httpx_run(base: str, pdf: bytes, requests: int, concurrency: int) -> dict[str, object]:
    """The same load from threads of this process, one httpx client (and address) each."""
    latencies: list[float] = []
    left = [requests]
    lock = threading.Lock()
    failures: list[str] = []

    def client(i: int) -> None:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{2 + i}")
        with httpx.Client(timeout=60, transport=transport) as session:
            while True:
                with lock:
                    if left[0] <= 0 or failures:
                        return
                    left[0] -= 1
                started = time.perf_counter()
                response = session.post(
                    f"{base}/api/v1/verify", files={"file": ("f.pdf", pdf, "application/pdf")}
                )
                took = time.perf_counter() - started
                if response.status_code != 200 or response.json()["verdict"] != "valid":
                    failures.append(f"HTTP {response.status_code}: {response.text[:300]}")
                    return
                with lock:
                    latencies.append(took)

    cpu = time.process_time()
    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    if failures:
        raise SystemExit(failures[0])
    return {
        "requests": len(latencies),
        "wall": wall,
        "latencies": latencies,
        "cpu": time.process_time() - cpu,
    }


@dataclass
class Round:
    """One HTTP run and the baselines just before and after it."""

    baseline_before: float
    baseline_after: float
    rate: float
    p50: float
    p99: float
    app_cpu: float  # seconds a request, the app processes
    worker_cpu: float  # seconds a request, their children (the verifier workers)
    client_cpu: float  # seconds a request
    load: str

    @property
    def baseline(self) -> float:
        return max(self.baseline_before, self.baseline_after)

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline


@contextmanager
def _frozen(tree: psutil.Process) -> Iterator[None]:
    """The server's processes stopped (SIGSTOP) for the block, so that the baseline has the
    machine to itself: an idle server still wakes up (its periodic work, its job runner)."""
    processes = [tree, *tree.children(recursive=True)]
    for process in processes:
        process.suspend()
    try:
        yield
    finally:
        for process in reversed(processes):
            with suppress(psutil.Error):
                process.resume()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1000, help="HTTP requests a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--baseline-runs", type=int, default=300, help="verifications a baseline pass"
    )
    parser.add_argument("--client", choices=["lean", "httpx"], default="lean")
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the server only (repeatable), to measure a setting",
    )
    args = parser.parse_args()
    load_at_start = _load()
    rounds: list[Round] = []
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-verify-") as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
            "DOCSVC_DATA_DIR": str(data_dir),
            **LIFTED,
        }
        docsvc = [sys.executable, "-m", "docsvc"]
        subprocess.run([*docsvc, "init", "--demo"], env=env, check=True, capture_output=True)
        unsigned = data_dir / "resolucion.pdf"
        unsigned.write_bytes(demo_documents()[1].pdf)
        signed = data_dir / "firmada.pdf"
        subprocess.run(
            [*docsvc, "sign", str(unsigned), "-o", str(signed), "--level", "B-B"],
            env=env,
            check=True,
            capture_output=True,
        )
        pdf = signed.read_bytes()

        # The policy the service builds for an upload, from the same data dir.
        services = build_services(Settings(data_dir=data_dir))
        try:
            with services.sessions() as db:
                policy = verification_policy(db, services, etsi=False)
        finally:
            services.close()
        policy_file = data_dir / "policy.pickle"
        policy_file.write_bytes(pickle.dumps(policy))

        port = _free_port()
        log = (data_dir / "serve.log").open("w")
        server = subprocess.Popen(
            [*docsvc, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env | dict(item.split("=", 1) for item in args.server_env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit((data_dir / "serve.log").read_text())
                time.sleep(0.2)
            run: Callable[[int], dict[str, object]]
            if args.client == "lean":

                def run(n: int) -> dict[str, object]:
                    return _lean_run(port, signed, n, args.concurrency)
            else:

                def run(n: int) -> dict[str, object]:
                    return _httpx_run(base, pdf, n, args.concurrency)

            run(10 * args.workers * args.concurrency)  # every worker has run a few
            tree = psutil.Process(server.pid)
            with _frozen(tree):
                baseline, baseline_cpu = _baseline(signed, policy_file, args.baseline_runs)
                # What the machine gives processes that share nothing: the ratio's ceiling.
                side_by_side = _baselines(signed, policy_file, args.baseline_runs, args.workers)
            for _ in range(args.rounds):
                cpu_before = _tree_cpu(tree)
                result = run(args.requests)
                cpu_after = _tree_cpu(tree)
                load = _load()
                with _frozen(tree):
                    after, after_cpu = _baseline(signed, policy_file, args.baseline_runs)
                baseline_cpu = min(baseline_cpu, after_cpu)
                count = int(str(result["requests"]))
                latencies = [float(x) for x in result["latencies"]]  # type: ignore[attr-defined]
                spent = _cpu_by_depth(cpu_before, cpu_after)
                rounds.append(
                    Round(
                        baseline_before=baseline,
                        baseline_after=after,
                        rate=count / float(str(result["wall"])),
                        p50=statistics.median(latencies),
                        p99=_percentile(latencies, 0.99),
                        app_cpu=(spent.get(1, 0.0) + spent.get(0, 0.0)) / count,
                        worker_cpu=spent.get(2, 0.0) / count,
                        client_cpu=float(str(result["cpu"])) / count,
                        load=load,
                    )
                )
                baseline = after
        finally:
            server.terminate()
            server.wait(30)
            log.close()

    cores = len(os.sched_getaffinity(0))
    client = (
        "a separate lean process (bench/lean_client.py)"
        if args.client == "lean"
        else "threads of the bench process (httpx)"
    )
    settings = "".join(f" with {item}" for item in args.server_env)
    print(f"machine: {cores} cores, {_cpu_model()}; load average at start: {load_at_start}")
    print(
        f"file: one page, B-B, {len(pdf)} bytes; policy: {len(policy.trust_roots)} trust "
        f"root(s), {len(policy.crls)} CRL(s); HTTP: docsvc serve --workers {args.workers}"
        f"{settings}, {args.concurrency} clients in {client}, {args.requests} requests a round"
    )
    print(
        f"baseline: the same verifier in a process of its own, one thread, {args.baseline_runs} "
        f"verifications a pass, the server stopped meanwhile "
        f"({1000 * baseline_cpu:.2f} ms CPU a verification at best)"
    )
    print(
        "round | baseline before / after /s | HTTP /s | p50 ms | p99 ms | CPU ms a request: "
        "app, verifier workers, client | load average | ratio"
    )
    for number, one in enumerate(rounds, 1):
        print(
            f"{number} | {one.baseline_before:.1f} / {one.baseline_after:.1f} | {one.rate:.1f} | "
            f"{1000 * one.p50:.1f} | {1000 * one.p99:.1f} | {1000 * one.app_cpu:.2f}, "
            f"{1000 * one.worker_cpu:.2f}, {1000 * one.client_cpu:.2f} | {one.load} | "
            f"{one.ratio:.2f}x"
        )
    side = side_by_side[::2]
    print(
        f"{args.workers} baseline processes side by side (no HTTP, the ceiling): "
        f"{sum(side):.1f} verifications/s in all, {sum(side) / rounds[0].baseline_before:.2f}x "
        "the baseline before round 1"
    )
    median = statistics.median(one.ratio for one in rounds)
    print(
        f"HTTP {statistics.median(one.rate for one in rounds):.1f}/s, baseline "
        f"{statistics.median(one.baseline for one in rounds):.1f}/s (medians of the rounds); "
        f"ratio HTTP/baseline, the median of the rounds' ratios: {median:.2f}x"
    )


if __name__ == "__main__":
    main()
