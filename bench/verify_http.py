"""Public verification over HTTP (issue 6): requests per second for a one-page signed PDF,
with ``docsvc serve --workers 2``, and p50/p99 latency; the baseline in the same run is the
same verification in process, one after another.

    .venv/bin/python bench/verify_http.py [--requests 400] [--concurrency 4]

The institution is made with ``docsvc init`` in a temporary data dir (SQLite, the local
store, the development PKI); the PDF is signed at B-B by a demo official with
``docsvc sign``. The per-client limit is lifted for the run.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from docsvc.demo.sample_pdfs import demo_documents
from signing.verification import VerificationPolicy, verify


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-verify-") as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
            "DOCSVC_DATA_DIR": str(data_dir),
            "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": "100000",
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

        # Baseline: the same verification in this process, one after another.
        root = (data_dir / "pki" / "root.pem").read_bytes()
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        root_der = x509.load_pem_x509_certificate(root).public_bytes(Encoding.DER)
        policy = VerificationPolicy([root_der])
        verify(signed, policy)
        start = time.perf_counter()
        baseline_runs = 50
        for _ in range(baseline_runs):
            assert verify(signed, policy).report.verdict == "valid"
        baseline_rate = baseline_runs / (time.perf_counter() - start)

        port = _free_port()
        log = (data_dir / "serve.log").open("w")
        server = subprocess.Popen(
            [*docsvc, "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit((data_dir / "serve.log").read_text())
                time.sleep(0.2)

            def one(client: httpx.Client) -> float:
                started = time.perf_counter()
                response = client.post(
                    f"{base}/api/v1/verify", files={"file": ("f.pdf", pdf, "application/pdf")}
                )
                assert response.status_code == 200, response.text
                assert response.json()["verdict"] == "valid"
                return time.perf_counter() - started

            with httpx.Client(timeout=60) as warm:
                for _ in range(2 * args.workers):
                    one(warm)
            clients = [httpx.Client(timeout=60) for _ in range(args.concurrency)]
            start = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                latencies = list(
                    pool.map(lambda i: one(clients[i % args.concurrency]), range(args.requests))
                )
            wall = time.perf_counter() - start
            for client in clients:
                client.close()
        finally:
            server.terminate()
            server.wait(30)

    rate = args.requests / wall
    p50 = statistics.median(latencies) * 1000
    p99 = _percentile(latencies, 0.99) * 1000
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    print(
        f"HTTP, {args.workers} workers, {args.concurrency} clients, {args.requests} requests: "
        f"{rate:.1f} verifications/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(pdf)} bytes)"
    )
    print(f"baseline, in process, one thread: {baseline_rate:.1f} verifications/s")
    print(f"ratio HTTP/baseline: {rate / baseline_rate:.2f}x")


if __name__ == "__main__":
    main()
