"""One signature over HTTP against the same signature in process (issue 18).

    .venv/bin/python bench/sign_http.py [--runs 30] [--warmup 3] [--block 5] [--no-form] [--dir D]

``docsvc init --demo`` in a temporary data directory (SQLite, the local store, the
development PKI), then ``docsvc serve --workers 2``, as ``make run`` does. The bench process
builds its own ``Services`` from the same environment (the same settings, database, store
and PKI) beside the running server. The official ("preparador") has logged in and opened
her signing session with her PIN on each path before anything is timed.

Every signature is of a fresh one-page document of type ``resolution`` (uploaded over the
API just before, not timed), with an empty request: the level and stamp an official gets by
default for a resolution, B-LT (``Settings.signature_levels``) with the visible stamp. The
timestamp and the validation data come from the development PKI in process on both paths
(``docsvc.pki.authorities``: no TSA or OCSP URL is configured), so neither path calls out.

- HTTP: ``POST /api/v1/documents/{id}/signatures`` with a bearer token, one request at a
  time, on one kept-alive connection, as a client does; timed from sending to the 201.
- form (unless ``--no-form``): the document page's form, ``POST /documentos/{id}/firmar``
  with the web session's cookie and CSRF token; timed to its 303 (the redirect not
  followed).
- in process: what the API handler runs, ``signatures.service.sign_document`` in its own
  transaction, committed (``docsvc.deps.get_db``'s work), with the actor resolved once.

The paths alternate in blocks of ``--block`` signatures, the order rotating every round, so
that drift in the machine's load falls on all of them. The first ``--warmup`` signatures of
each path are left out. Reported: median, p90, min and mean of each, and each path's median
over the in-process median. The last document signed on each path is verified (B-LT, valid).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import resolve_session
from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.documents.text_pdf import build_text_pdf
from docsvc.identity.service import open_session
from docsvc.models import Document, DocumentVersion
from docsvc.organisation import repository as org_repository
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from signing.verification import VerificationPolicy, verify

OFFICIAL = "preparador"
DOC_TYPE = "resolution"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _server(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


def _wait_healthy(base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(log.read_text())


class _Http:
    """The official over HTTP: an API token and a web session, each with its signing
    session open."""

    def __init__(self, client: httpx.Client, base: str) -> None:
        self.client = client
        self.base = base
        token = client.post(
            f"{base}/api/v1/auth/token", json={"username": OFFICIAL, "password": DEMO_PASSWORD}
        ).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        opened = client.post(
            f"{base}/api/v1/signing/session", headers=self.headers, json={"pin": DEMO_PIN}
        )
        assert opened.status_code == 200, opened.text
        self.csrf = ""
        self.count = 0

    def open_web_session(self) -> None:
        login = self.client.get(f"{self.base}/login")
        logged = self.client.post(
            f"{self.base}/login",
            data={
                "username": OFFICIAL,
                "password": DEMO_PASSWORD,
                "csrf_token": _csrf(login.text),
            },
        )
        assert logged.status_code == 303, logged.text
        self.csrf = _csrf(self.client.get(f"{self.base}/bandeja").text)
        opened = self.client.post(
            f"{self.base}/firma/sesion", data={"csrf_token": self.csrf, "pin": DEMO_PIN}
        )
        assert opened.status_code == 303 and "opened" in opened.headers["location"], opened.text

    def upload(self) -> str:
        self.count += 1
        marker = uuid.uuid4().hex[:8]
        title = f"Resolución {self.count} {marker}"
        pdf = build_text_pdf(title, [f"Artículo {j}. Se resuelve lo {marker}." for j in range(4)])
        created = self.client.post(
            f"{self.base}/api/v1/documents",
            headers=self.headers,
            data={"doc_type": DOC_TYPE, "title": title},
            files={"file": ("resolucion.pdf", pdf, "application/pdf")},
        )
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def sign_api(self, doc_id: str) -> float:
        start = time.perf_counter()
        signed = self.client.post(
            f"{self.base}/api/v1/documents/{doc_id}/signatures", headers=self.headers, json={}
        )
        elapsed = time.perf_counter() - start
        assert signed.status_code == 201, signed.text
        assert signed.json()["signature"]["level"] == "B-LT", signed.text
        return elapsed

    def sign_form(self, doc_id: str) -> float:
        start = time.perf_counter()
        signed = self.client.post(
            f"{self.base}/documentos/{doc_id}/firmar", data={"csrf_token": self.csrf}
        )
        elapsed = time.perf_counter() - start
        assert signed.status_code == 303, signed.text
        assert signed.headers["location"].endswith("hecho=signed"), signed.headers
        return elapsed


def _csrf(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:2000]
    return found.group(1)


class _InProcess:
    """The official in this process: logged in ("api", as the API token), her signing
    session opened with her PIN, then the service call the API handler makes."""

    def __init__(self, services: Services) -> None:
        self.services = services
        with services.sessions() as db:
            user = org_repository.user_by_username(db, OFFICIAL)
            assert user is not None
            issued = open_session(db, services.settings, user, "api", Origin())
            db.commit()
            self.actor: Actor = resolve_session(db, issued.token, "api", Origin())[0]
            signatures.unlock_session(db, services, services.signing, self.actor, DEMO_PIN)
            db.commit()

    def sign(self, doc_id: str) -> float:
        start = time.perf_counter()
        with self.services.sessions() as db:
            result = signatures.sign_document(
                db, self.services, self.actor, uuid.UUID(doc_id), SignIn()
            )
            db.commit()
        elapsed = time.perf_counter() - start
        assert result.signature.level == "B-LT", result
        return elapsed


def _verified(services: Services, doc_id: str, work: Path) -> str:
    root = x509.load_pem_x509_certificate(
        (services.settings.pki_dir / "root.pem").read_bytes()
    ).public_bytes(Encoding.DER)
    with services.sessions() as db:
        document = db.get(Document, uuid.UUID(doc_id))
        assert document is not None
        version = (
            db.query(DocumentVersion)
            .filter_by(document_id=document.id, number=document.latest_version)
            .one()
        )
        path = work / f"{doc_id}.pdf"
        signatures.fetch_version(services, version, path)
    report = verify(path, VerificationPolicy([root])).report
    last = report.signatures[-1]
    return f"{report.verdict} {last.level}"


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]


def _machine() -> str:
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores (nproc), {model or platform.processor()}, "
        f"Python {platform.python_version()}"
    )


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30, help="timed signatures per path")
    parser.add_argument("--warmup", type=int, default=3, help="left out, per path")
    parser.add_argument("--block", type=int, default=5, help="signatures per path in a row")
    parser.add_argument("--no-form", action="store_true", help="leave out the page's form")
    parser.add_argument("--dir", type=Path, default=None, help="where the data directory goes")
    args = parser.parse_args()
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-sign-http-", dir=args.dir) as tmp:
        data_dir = Path(tmp) / "data"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
            "DOCSVC_DATA_DIR": str(data_dir),
            "DOCSVC_PUBLIC_URL": base,
        }
        docsvc = [sys.executable, "-m", "docsvc"]
        subprocess.run([*docsvc, "init", "--demo"], env=env, check=True, capture_output=True)
        # This process reads the same environment the server does.
        os.environ.clear()
        os.environ.update(env)
        services = build_services(Settings())
        serve = [*docsvc, "serve", "--port", str(port), "--workers", "2"]
        log = Path(tmp) / "serve.log"
        try:
            with _server(serve, env, log), httpx.Client(timeout=600) as client:
                _wait_healthy(base, log)
                http = _Http(client, base)
                local = _InProcess(services)
                paths: dict[str, Callable[[str], float]] = {
                    "HTTP API": http.sign_api,
                    "in process": local.sign,
                }
                if not args.no_form:
                    http.open_web_session()
                    paths["HTTP form"] = http.sign_form
                times, last = _measure(http, paths, args.warmup + args.runs, args.block)
                verdicts = {name: _verified(services, doc, Path(tmp)) for name, doc in last.items()}
        finally:
            services.close()
    load_after = _load()
    _report(args, times, verdicts, load_before, load_after)


def _measure(
    http: _Http, paths: dict[str, Callable[[str], float]], total: int, block: int
) -> tuple[dict[str, list[float]], dict[str, str]]:
    times: dict[str, list[float]] = {name: [] for name in paths}
    last: dict[str, str] = {}
    names = list(paths)
    round_ = 0
    while any(len(t) < total for t in times.values()):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            for _ in range(min(block, total - len(times[name]))):
                doc_id = http.upload()
                times[name].append(paths[name](doc_id))
                last[name] = doc_id
        round_ += 1
    return times, last


def _report(
    args: argparse.Namespace,
    times: dict[str, list[float]],
    verdicts: dict[str, str],
    load_before: str,
    load_after: str,
) -> None:
    kept = {name: t[args.warmup :] for name, t in times.items()}
    base = statistics.median(kept["in process"])
    print(f"machine: {_machine()}")
    print(f"load average (1/5/15 min): {load_before} before, {load_after} after")
    print(
        f"one signature of a fresh one-page {DOC_TYPE}, default level and stamp (B-LT, "
        f"visible), signing session open; {args.runs} timed per path after {args.warmup} "
        f"warm-up, alternating blocks of {args.block}"
    )
    print()
    print("| path | n | median ms | p90 ms | min ms | mean ms | median / in process |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, values in kept.items():
        median = statistics.median(values)
        print(
            f"| {name} | {len(values)} | {1000 * median:.1f} | {1000 * _p90(values):.1f} | "
            f"{1000 * min(values):.1f} | {1000 * statistics.mean(values):.1f} | "
            f"{median / base:.2f}x |"
        )
    print()
    print(
        "warm-up (left out), ms: "
        + "; ".join(
            f"{name} " + ", ".join(f"{1000 * v:.0f}" for v in t[: args.warmup])
            for name, t in times.items()
        )
    )
    print(
        "last document of each path verified: "
        + "; ".join(f"{k}: {v}" for k, v in verdicts.items())
    )
    ratio = statistics.median(kept["HTTP API"]) / base
    print(
        f"ratio HTTP API / in process (medians): {ratio:.2f} (target <= 1.3: "
        + ("met)" if ratio <= 1.3 else "NOT met)")
    )


if __name__ == "__main__":
    main()
