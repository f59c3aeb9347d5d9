"""The everyday load against the production topology (issue 18): Locust users of
bench/load/locustfile.py (officials opening their inbox and documents and signing, clerks
registering and sending, the public verifying) through HAProxy to two app processes, with
one ``docsvc worker``, on a PostgreSQL cluster and a SeaweedFS cluster (one master, two
volume servers keeping two copies, a filer with S3), all started here on 127.0.0.1 by the
test harness.

    .venv/bin/python bench/load_topology.py [--users 50] [--seconds 300]

First the baseline in the same run: one user of each kind alone for --baseline-seconds, so
each request's latency without load is known; then --users users for --seconds. Reported:
requests per second, p50/p95/p99 per request and the errors, the ratio of each p99 under
load to its p50 alone, and the targets (no error; p99 ≤ 1 s for pages and reads, ≤ 2 s for
signing).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.harness.load import TARGET_P99_MS, LoadReport, signed_sample, start_load
from tests.harness.postgres import create_database, run_postgres_server
from tests.harness.seaweedfs import S3Endpoint
from tests.harness.topology import run_topology
from tests.support.backends import Backend, build_backend_on

PUBLIC_PER_MINUTE = 600


def _machine() -> str:
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    return f"{os.cpu_count()} cores (nproc), {model or platform.processor()}"


def _compare(alone: LoadReport, loaded: LoadReport) -> list[str]:
    by_name = {row.name: row for row in alone.rows}
    lines = [f"{'request':32} {'p50 alone':>10} {'p99 loaded':>11} {'ratio':>6}"]
    for row in loaded.rows:
        base = by_name.get(row.name)
        if base is None or base.p50 <= 0:
            continue
        lines.append(f"{row.name:32} {base.p50:10.0f} {row.p99:11.0f} {row.p99 / base.p50:6.1f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--spawn-rate", type=float, default=5.0)
    parser.add_argument("--baseline-seconds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-load-") as tmp:
        workdir = Path(tmp)
        backends: list[Backend] = []
        with run_postgres_server(workdir / "postgres") as postgres:
            url = create_database(postgres.admin_url, "docsvc_load")

            def prepare(s3: S3Endpoint) -> dict[str, str]:
                backend = build_backend_on(workdir / "data", url, s3, pki=True)
                backends.append(backend)
                return backend.settings_env() | {
                    "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": str(PUBLIC_PER_MINUTE),
                }

            try:
                with run_topology(
                    workdir, prepare, public_requests_per_minute=PUBLIC_PER_MINUTE, workers=1
                ) as topology:
                    signed = signed_sample(topology.base, workdir / "firmado.pdf")
                    print(f"machine: {_machine()}", flush=True)
                    print(
                        f"baseline: 3 users (one of each kind) for {args.baseline_seconds} s",
                        flush=True,
                    )
                    alone = start_load(
                        topology.base,
                        workdir / "alone",
                        users=3,
                        seconds=args.baseline_seconds,
                        spawn_rate=3,
                        signed_pdf=signed,
                    ).wait()
                    print(alone.table(), flush=True)
                    print(
                        f"\nload: {args.users} users for {args.seconds} s "
                        f"(spawn {args.spawn_rate}/s), load average before "
                        f"{os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                    loaded = start_load(
                        topology.base,
                        workdir / "loaded",
                        users=args.users,
                        seconds=args.seconds,
                        spawn_rate=args.spawn_rate,
                        signed_pdf=signed,
                        record=workdir / "answered.jsonl",
                    ).wait(timeout=args.seconds + 300)
                    print(loaded.table())
                    print()
                    print("\n".join(_compare(alone, loaded)))
                    total = loaded.total
                    print(
                        f"\ntotal: {total.rps:.1f} requests/s, {total.failures} errors "
                        f"of {total.requests}; load average after {os.getloadavg()[0]:.1f}"
                    )
                    over = loaded.over_target()
                    targets = ", ".join(f"{k} p99 ≤ {v:.0f} ms" for k, v in TARGET_P99_MS.items())
                    print(f"targets ({targets}, no error): ", end="")
                    print("met" if not over and not total.failures else "NOT met")
                    for line in over:
                        print(f"  {line}")
            finally:
                for backend in backends:
                    backend.services.close()


if __name__ == "__main__":
    main()
