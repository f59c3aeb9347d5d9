"""Locust (bench/load/locustfile.py) as a child process against a deployment, and what a
run reports: requests per second, p50/p95/p99 per kind of request, and the errors.

Locust runs in its own process because it patches the standard library with gevent, which
must never happen inside the test process or the benchmark's."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN

ROOT = Path(__file__).parent.parent.parent
LOCUSTFILE = ROOT / "bench" / "load" / "locustfile.py"

# The targets of issue 18: pages and reads p99 ≤ 1 s, signing p99 ≤ 2 s, no error.
TARGET_P99_MS = {"page": 1000.0, "read": 1000.0, "sign": 2000.0}


@dataclass(frozen=True, slots=True)
class Row:
    """One request name of a run (or the aggregate, ``name == "Aggregated"``)."""

    kind: str  # page, read, sign, write, public
    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True, slots=True)
class LoadReport:
    rows: list[Row]
    failures: list[dict[str, str]]  # Locust's failures CSV: method, name, error, occurrences

    @property
    def total(self) -> Row:
        return next(row for row in self.rows if row.name == "Aggregated")

    def over_target(self) -> list[str]:
        """The request names whose p99 is over their kind's target."""
        return [
            f"{row.name}: p99 {row.p99:.0f} ms > {TARGET_P99_MS[row.kind]:.0f} ms"
            for row in self.rows
            if row.kind in TARGET_P99_MS and row.p99 > TARGET_P99_MS[row.kind]
        ]

    def table(self) -> str:
        lines = [
            f"{'request':32} {'count':>7} {'errors':>6} {'req/s':>7} "
            f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        ]
        for row in self.rows:
            lines.append(
                f"{row.name:32} {row.requests:7d} {row.failures:6d} {row.rps:7.2f} "
                f"{row.p50:7.0f} {row.p95:7.0f} {row.p99:7.0f} {row.max:7.0f}"
            )
        for failure in self.failures:
            lines.append(
                f"  error ×{failure.get('Occurrences', '?')}: {failure.get('Method', '')} "
                f"{failure.get('Name', '')}: {failure.get('Error', '')[:160]}"
            )
        return "\n".join(lines)


def _kind(name: str) -> str:
    return name.split(" ", 1)[0] if name != "Aggregated" else "all"


def _number(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def read_report(prefix: Path) -> LoadReport:
    """Locust's ``--csv PREFIX`` files."""
    rows = []
    with Path(f"{prefix}_stats.csv").open(newline="") as stats:
        for item in csv.DictReader(stats):
            rows.append(
                Row(
                    kind=_kind(item["Name"]),
                    name=item["Name"],
                    requests=int(item["Request Count"]),
                    failures=int(item["Failure Count"]),
                    rps=_number(item["Requests/s"]),
                    p50=_number(item["50%"]),
                    p95=_number(item["95%"]),
                    p99=_number(item["99%"]),
                    max=_number(item["Max Response Time"]),
                )
            )
    failures_path = Path(f"{prefix}_failures.csv")
    failures = []
    if failures_path.is_file():
        with failures_path.open(newline="") as found:
            failures = list(csv.DictReader(found))
    return LoadReport(rows, failures)


@dataclass
class LoadRun:
    process: subprocess.Popen[bytes]
    prefix: Path
    log: Path

    def stop(self) -> LoadReport:
        """Stop early (Locust writes its figures on SIGINT), or wait for the set time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.wait()

    def wait(self, timeout: float = 900.0) -> LoadReport:
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise
        if not Path(f"{self.prefix}_stats.csv").is_file():
            raise RuntimeError(f"Locust wrote no figures:\n{self.log.read_text()[-3000:]}")
        return read_report(self.prefix)


def start_load(
    base: str,
    workdir: Path,
    *,
    users: int,
    seconds: int,
    spawn_rate: float = 10.0,
    signed_pdf: Path | None = None,
    record: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> LoadRun:
    """Locust, headless, ``users`` users for ``seconds`` seconds against ``base``."""
    workdir.mkdir(parents=True, exist_ok=True)
    prefix = workdir / "locust"
    log = workdir / "locust.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    env |= {
        "DOCSVC_LOAD_SIGNED_PDF": str(signed_pdf or ""),
        "DOCSVC_LOAD_RECORD": str(record or ""),
        "PYTHONPATH": str(ROOT),
    } | dict(extra_env or {})
    command = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        base,
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{seconds}s",
        "--stop-timeout",
        "30",
        "--csv",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "0",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return LoadRun(process, prefix, log)


def recorded(record: Path) -> Iterator[dict[str, str]]:
    """The writes a run's users were answered 2xx for."""
    if record.is_file():
        for line in record.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


def signed_sample(base: str, out: Path, username: str = "ministra") -> Path:
    """A document signed through the deployment, for the public to verify."""
    with httpx.Client(timeout=120) as client:
        token = client.post(
            f"{base}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        from tests.support.pdfs import unique_pdf

        created = client.post(
            f"{base}/api/v1/documents",
            headers=headers,
            data={"doc_type": "resolution", "title": "Resolución de muestra"},
            files={"file": ("r.pdf", unique_pdf("Resolución de muestra"), "application/pdf")},
        )
        created.raise_for_status()
        doc_id = created.json()["id"]
        signed = client.post(
            f"{base}/api/v1/documents/{doc_id}/signatures",
            headers=headers,
            json={"pin": DEMO_PIN},
        )
        signed.raise_for_status()
        content = client.get(f"{base}/api/v1/documents/{doc_id}/content", headers=headers)
        content.raise_for_status()
    out.write_bytes(content.content)
    return out
