"""Batch signing as officials use it, over HTTP, against signing the same documents one by
one in the same run (issue 18).

    .venv/bin/python bench/batch_http.py [--sizes 12,200] [--worker] [--postgres]

``docsvc init --demo`` in a temporary data directory (SQLite, the local store, the
development PKI; with ``--postgres`` a PostgreSQL server started here instead of SQLite,
as in production), then ``docsvc serve --workers 2``. With ``--worker`` a ``docsvc worker``
runs the jobs (its signing processes warmed when it starts) and the app processes run none,
as on PostgreSQL in production; without it each app process runs the job queue itself, as
``make run`` does, and starts its signing processes at its first batch (a warm-up batch of
two documents is made first, and reported).

For each size N, with fresh one-page documents each time, at B-LT with the visible stamp:

- one by one: the official opens her signing session once, then signs the N documents with
  one request each, one after another, as the document page does;
- the batch: one ``POST /api/v1/batches`` with the PIN, then its progress read every 0.1 s
  (``GET /api/v1/batches/{id}``) until it is finished, as the batch page does.

Reported: wall time and documents per second of each, and the ratio batch / one by one.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx2 as httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.documents.text_pdf import build_text_pdf
from tests.harness.postgres import create_database, run_postgres_server

OFFICIAL = "preparador"
LEVEL = "B-LT"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(log.read_text())


def _upload(
    client: httpx.Client, base: str, headers: dict[str, str], n: int, tag: str
) -> list[str]:
    ids = []
    for i in range(n):
        pdf = build_text_pdf(
            f"Informe {tag} {i}", [f"Párrafo {j} del informe {tag}." for j in range(4)]
        )
        created = client.post(
            f"{base}/api/v1/documents",
            headers=headers,
            data={"doc_type": "report", "title": f"Informe {tag} {i}"},
            files={"file": ("informe.pdf", pdf, "application/pdf")},
        )
        assert created.status_code == 201, created.text
        ids.append(str(created.json()["id"]))
    return ids


def _one_by_one(client: httpx.Client, base: str, headers: dict[str, str], ids: list[str]) -> float:
    opened = client.post(f"{base}/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN})
    assert opened.status_code == 200, opened.text
    start = time.perf_counter()
    for doc_id in ids:
        signed = client.post(
            f"{base}/api/v1/documents/{doc_id}/signatures",
            headers=headers,
            json={"level": LEVEL, "visible": True},
        )
        assert signed.status_code == 201, signed.text
    return time.perf_counter() - start


def _batch(client: httpx.Client, base: str, headers: dict[str, str], ids: list[str]) -> float:
    start = time.perf_counter()
    made = client.post(
        f"{base}/api/v1/batches",
        headers=headers,
        json={
            "items": [{"document_id": d} for d in ids],
            "pin": DEMO_PIN,
            "level": LEVEL,
            "visible": True,
        },
    )
    assert made.status_code == 202, made.text
    batch_id = made.json()["id"]
    while True:
        state = client.get(f"{base}/api/v1/batches/{batch_id}", headers=headers).json()
        if state["status"] in ("finished", "failed", "interrupted"):
            break
        time.sleep(0.1)
    wall = time.perf_counter() - start
    assert (state["status"], state["done"]) == ("finished", len(ids)), state
    created, started, finished = (
        datetime.fromisoformat(state[k]) for k in ("created_at", "started_at", "finished_at")
    )
    print(
        f"  batch of {len(ids)}: {(started - created).total_seconds():.2f} s queued, "
        f"{(finished - started).total_seconds():.2f} s running",
        file=sys.stderr,
    )
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="12,200")
    parser.add_argument("--worker", action="store_true", help="a docsvc worker runs the jobs")
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL (started here) instead of SQLite"
    )
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="docsvc-bench-batch-http-") as tmp,
        run_postgres_server(Path(tmp) / "postgres") if args.postgres else _nothing() as postgres,
    ):
        data_dir = Path(tmp)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
            "DOCSVC_DATA_DIR": str(data_dir),
            "DOCSVC_PUBLIC_URL": base,
            "DOCSVC_JOBS_IN_APP": "false" if args.worker else "true",
        }
        if postgres is not None:
            env["DOCSVC_DATABASE_URL"] = create_database(postgres.admin_url, "docsvc_bench")
        docsvc = [sys.executable, "-m", "docsvc"]
        subprocess.run([*docsvc, "init", "--demo"], env=env, check=True, capture_output=True)
        serve = [*docsvc, "serve", "--port", str(port), "--workers", "2"]
        with _process(serve, env, data_dir / "serve.log") as server:
            _wait_healthy(base, server, data_dir / "serve.log")
            worker_log = data_dir / "worker.log"
            with (
                _process([*docsvc, "worker", "--queues", "signing"], env, worker_log)
                if args.worker
                else _nothing()
            ):
                if args.worker:
                    while " serves " not in worker_log.read_text():
                        time.sleep(0.2)
                lines = _measure(base, sizes)
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"machine: {os.cpu_count()} cores (nproc), {model or platform.processor()}, "
        f"load average {os.getloadavg()[0]:.1f}; "
        + ("PostgreSQL" if args.postgres else "SQLite")
        + "; jobs run by "
        + ("a docsvc worker" if args.worker else "the 2 app processes")
    )
    for line in lines:
        print(line)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def _measure(base: str, sizes: list[int]) -> list[str]:
    lines = []
    with httpx.Client(timeout=600) as client:
        token = client.post(
            f"{base}/api/v1/auth/token", json={"username": OFFICIAL, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        warm = _batch(client, base, headers, _upload(client, base, headers, 2, "calentamiento"))
        lines.append(f"first batch of 2 (starts the signing processes): {warm:.2f} s")
        for n in sizes:
            singles = _one_by_one(client, base, headers, _upload(client, base, headers, n, f"u{n}"))
            batch = _batch(client, base, headers, _upload(client, base, headers, n, f"l{n}"))
            lines.append(
                f"N={n}: one by one {singles:.2f} s ({n / singles:.2f}/s); "
                f"batch {batch:.2f} s ({n / batch:.2f}/s); "
                f"ratio batch/one-by-one {singles / batch:.2f}x"
            )
    return lines


if __name__ == "__main__":
    main()
