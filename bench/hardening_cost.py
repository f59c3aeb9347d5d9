"""What the security pass (issue 14) costs users, over HTTP: signing and public
verification throughput of this tree against the tree before the pass, in the same run.

    .venv/bin/python bench/hardening_cost.py [--against 0aa02cd] [--documents 12]
        [--verifications 200] [--rounds 3] [--workers 2]

Each tree is served with ``docsvc serve --workers N`` from its own checkout and data dir
(``docsvc init --demo``: SQLite, the local store, the development PKI). Measured the way
an official and an outside institution use the service:

- **signing**: a signed-in official signs ``--documents`` uploaded documents one after
  another, typing the PIN each time (``POST /api/v1/documents/{id}/signatures`` at B-B,
  then at B-LT with the stamp), the way the document page does;
- **signing, 4 at once**: the same, four requests in flight;
- **public verification**: ``POST /api/v1/verify`` of a one-page B-B PDF, 4 clients, each
  its own address (served with ``--proxy-headers``, each sends its ``X-Forwarded-For``).

Rounds alternate the trees so that a busy moment of the machine falls on both; each figure
is the median of the rounds, and the ratio is this tree's rate over the earlier tree's.
Per-client limits are lifted for the run on both trees.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx

from docsvc.demo.sample_pdfs import build_text_pdf, demo_documents

ROOT = Path(__file__).resolve().parent.parent
# The last commit before the security pass.
BEFORE = "0aa02cd"
# Generous per-client limits on both trees (settings a tree does not know are ignored).
LIFTED = {
    "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": "100000",
    "DOCSVC_PKI_REQUESTS_PER_MINUTE": "100000",
    "DOCSVC_LOGIN_FAILURES_PER_MINUTE": "100000",
    "DOCSVC_PUBLIC_VERIFY_SECONDS_PER_MINUTE": "3600",
    "DOCSVC_PUBLIC_VERIFICATIONS_IN_FLIGHT": "64",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Served:
    name: str
    tree: Path
    base: str
    pin: str
    signed_pdf: bytes
    rates: dict[str, list[float]] = field(default_factory=dict)


def _python(tree: Path, code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@contextmanager
def serve(name: str, tree: Path, workers: int) -> Iterator[Served]:
    data_dir = Path(tempfile.mkdtemp(prefix=f"docsvc-bench-{name}-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(tree),
        **LIFTED,
    }
    docsvc = [sys.executable, "-m", "docsvc"]
    subprocess.run([*docsvc, "init", "--demo"], cwd=tree, env=env, check=True, capture_output=True)
    unsigned = data_dir / "resolucion.pdf"
    unsigned.write_bytes(demo_documents()[1].pdf)
    signed = data_dir / "firmada.pdf"
    subprocess.run(
        [*docsvc, "sign", str(unsigned), "-o", str(signed), "--level", "B-B"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (data_dir / "serve.log").open("w")
    server = subprocess.Popen(
        # Behind a proxy, as deployed: each benchmark client is its own address.
        [*docsvc, "serve", "--port", str(port), "--workers", str(workers), "--proxy-headers"],
        cwd=tree,
        env=env
        | {"DOCSVC_PUBLIC_URL": f"http://127.0.0.1:{port}", "FORWARDED_ALLOW_IPS": "127.0.0.1"},
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
        pin = _python(tree, "from docsvc.demo.seed import DEMO_PIN; print(DEMO_PIN)")
        yield Served(name, tree, base, pin, signed.read_bytes())
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)


def _unique_pdf(n: int) -> bytes:
    marker = f"{time.time_ns()}-{n}"
    return build_text_pdf(f"Resolución {marker}", [f"Párrafo {i}, {marker}." for i in range(3)])


def _token(served: Served, username: str) -> str:
    response = httpx.post(
        f"{served.base}/api/v1/auth/token",
        json={"username": username, "password": "docsvc-demo"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _signing_rate(served: Served, documents: int, level: str, concurrency: int) -> float:
    headers = {"Authorization": f"Bearer {_token(served, 'juridico')}"}
    with httpx.Client(base_url=served.base, headers=headers, timeout=120) as client:
        ids = []
        for n in range(documents):
            created = client.post(
                "/api/v1/documents",
                data={"doc_type": "resolution", "title": f"Resolución {n}"},
                files={"file": ("r.pdf", _unique_pdf(n), "application/pdf")},
            )
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])

        def sign(doc_id: str) -> None:
            signed = client.post(
                f"/api/v1/documents/{doc_id}/signatures",
                json={"pin": served.pin, "level": level},
            )
            assert signed.status_code == 201, signed.text

        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(sign, ids))
        return documents / (time.perf_counter() - start)


def _verification_rate(served: Served, requests: int, concurrency: int) -> float:
    def one(client: httpx.Client) -> None:
        response = client.post(
            f"{served.base}/api/v1/verify",
            files={"file": ("f.pdf", served.signed_pdf, "application/pdf")},
        )
        assert response.status_code == 200, response.text
        assert response.json()["verdict"] == "valid"

    clients = [
        httpx.Client(timeout=120, headers={"X-Forwarded-For": f"10.0.0.{n + 1}"})
        for n in range(concurrency)
    ]
    try:
        for client in clients:
            one(client)  # warm: workers started, connections open
        start = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            # Each client its own stream of requests, one at a time, as a person would.
            share = requests // concurrency
            list(pool.map(lambda c: [one(c) for _ in range(share)], clients))
        requests = share * concurrency
        return requests / (time.perf_counter() - start)
    finally:
        for client in clients:
            client.close()


def worktree_at(ref: str) -> Path:
    tree = Path(tempfile.mkdtemp(prefix="docsvc-bench-ref-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--force", "--detach", str(tree), ref],
        check=True,
        capture_output=True,
    )
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", default=BEFORE)
    parser.add_argument("--documents", type=int, default=12)
    parser.add_argument("--verifications", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    before_tree = worktree_at(args.against)
    measures: dict[str, Callable[[Served], float]] = {
        "signing B-B, one by one": lambda s: _signing_rate(s, args.documents, "B-B", 1),
        "signing B-LT + stamp, one by one": lambda s: _signing_rate(s, args.documents, "B-LT", 1),
        "signing B-B, 4 at once": lambda s: _signing_rate(s, args.documents, "B-B", 4),
        "public verification, 4 clients": lambda s: _verification_rate(s, args.verifications, 4),
    }
    try:
        with (
            serve("now", ROOT, args.workers) as now,
            serve("before", before_tree, args.workers) as before,
        ):
            for served in (now, before):
                # Warm both, as a service in use is: every server process has made a
                # signature (four connections reach both) and started its verifiers.
                _signing_rate(served, 8, "B-LT", 4)
                _verification_rate(served, 8, 4)
            for round_ in range(args.rounds):
                order = (now, before) if round_ % 2 == 0 else (before, now)
                for label, measure in measures.items():
                    for served in order:
                        served.rates.setdefault(label, []).append(measure(served))
                print(f"round {round_ + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_tree)],
            check=False,
            capture_output=True,
        )
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}")
    print(
        f"docsvc serve --workers {args.workers}; {args.documents} documents per signing run, "
        f"{args.verifications} verifications per run; median of {args.rounds} rounds; "
        f"before = {args.against}"
    )
    print(f"{'measure':<36} {'now /s':>8} {'before /s':>10} {'now/before':>11}")
    for label in measures:
        a = statistics.median(now.rates[label])
        b = statistics.median(before.rates[label])
        print(f"{label:<36} {a:>8.2f} {b:>10.2f} {a / b:>11.3f}")


if __name__ == "__main__":
    main()
