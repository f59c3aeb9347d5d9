"""Batch signing speed (issue 4 item 5), with its single-thread baseline in the same run.

    .venv/bin/python bench/batch_signing.py [--documents 200] [--baseline 20]

An institution in a temporary data directory (SQLite and the local object store, the
development PKI, the demo data), in process. It uploads ``--documents`` one-page documents
plus ``--baseline`` more, then:

- baseline: the ``--baseline`` documents signed one by one at B-LT in one thread through
  ``sign_document`` (the key unlocked once, as an open signing session);
- the batch: one job at B-LT over the ``--documents`` documents through the service layer
  (``create_job`` checks the PIN and queues the run; a job runner in this process, with its
  signing processes warmed as ``docsvc worker`` does, runs it). The time counts from the
  creation to the batch's last item.

Reported: wall time, documents per second, CPU use (this process and its worker processes'
CPU time over the wall time, and each core's utilisation sampled every 0.5 s during the
job). ``--append`` adds the figures to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pydantic import SecretStr
from sqlalchemy import select

from docsvc import composition
from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import resolve_session
from docsvc.batches import service as batches
from docsvc.batches.schemas import BatchIn, BatchItemIn
from docsvc.composition import build_services
from docsvc.config import Environment, Settings
from docsvc.db.migrate import upgrade_to_head
from docsvc.demo.sample_pdfs import build_text_pdf
from docsvc.demo.seed import DEMO_PIN, seed_demo
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentMetadataIn
from docsvc.documents.uploads import ReceivedFile
from docsvc.identity.service import open_session
from docsvc.jobs.queues import concurrency_limits
from docsvc.jobs.runner import JobRunner
from docsvc.models import Confidentiality, Document, DocumentType, DocumentVersion
from docsvc.models.batches import BatchJob
from docsvc.organisation import repository as org_repository
from docsvc.organisation.service import ensure_institution
from docsvc.pki.service import ensure_dev_pki
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.schemas import SignIn
from signing.verification import VerificationPolicy, verify

RESULTS = Path(__file__).parent / "RESULTS.md"
SIGNER = "preparador"


def _institution(data_dir: Path) -> Services:
    data_dir.mkdir(parents=True)
    settings = Settings(
        env=Environment.test,
        data_dir=data_dir,
        max_pdf_pages=25,
        secret_key=SecretStr("bench-secret-key-" + "x" * 32),
    )
    services = build_services(settings)
    upgrade_to_head(services.engine)
    with services.sessions() as db:
        ensure_institution(db, settings.institution_code, settings.institution_name)
        ensure_dev_pki(db, settings)
        db.commit()
        seed_demo(db, services)
        db.commit()
    return services


def _actor(services: Services) -> Actor:
    """The official, logged in: a signing session belongs to a login."""
    with services.sessions() as db:
        user = org_repository.user_by_username(db, SIGNER)
        assert user is not None
        issued = open_session(db, services.settings, user, "api", Origin())
        db.commit()
        actor, _ = resolve_session(db, issued.token, "api", Origin())
        return actor


def _upload(services: Services, actor: Actor, count: int, work: Path) -> list[uuid.UUID]:
    ids = []
    for n in range(count):
        with services.sessions() as db:
            marker = uuid.uuid4().hex
            pdf = build_text_pdf(
                f"Oficio {n} {marker[:8]}",
                [f"Párrafo {i} — referencia {marker}." for i in range(3)],
            )
            path = work / f"{marker}.pdf"
            path.write_bytes(pdf)
            upload = ReceivedFile(
                path=path,
                sha256=hashlib.sha256(pdf).hexdigest(),
                size=len(pdf),
                filename=f"oficio-{n}.pdf",
                content_type="application/pdf",
            )
            out = documents.create_document(
                db,
                services.store,
                services.settings,
                actor,
                DocumentMetadataIn(
                    doc_type=DocumentType("report"),
                    title=f"Oficio {n} {marker[:8]}",
                    subject="Batch benchmark",
                    confidentiality=Confidentiality("internal"),
                ),
                upload,
            )
            db.commit()
        ids.append(out.id)
    return ids


def _baseline(services: Services, actor: Actor, ids: list[uuid.UUID]) -> float:
    """One thread, one document after another, the key unlocked once (a signing session)."""
    with services.sessions() as db:
        signatures.unlock_session(db, services, services.signing, actor, DEMO_PIN)
        db.commit()
    start = time.perf_counter()
    for doc_id in ids:
        with services.sessions() as db:
            signatures.sign_document(db, services, actor, doc_id, SignIn(level="B-LT"))
            db.commit()
    return time.perf_counter() - start


class _CoreSampler:
    def __init__(self, interval: float = 0.5) -> None:
        self.samples: list[list[float]] = []
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        psutil.cpu_percent(percpu=True)
        while not self._stop.wait(self._interval):
            self.samples.append(psutil.cpu_percent(percpu=True))

    def __enter__(self) -> _CoreSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process (all its threads) and of its finished worker processes."""
    t = psutil.Process().cpu_times()
    return t.user + t.system, t.children_user + t.children_system


@dataclass
class _JobRun:
    status: str
    done: int
    failed: int
    wall: float
    parent_cpu: float
    workers_cpu: float
    samples: list[list[float]]
    load: tuple[float, float]

    @property
    def cpu(self) -> float:
        return self.parent_cpu + self.workers_cpu

    @property
    def rate(self) -> float:
        return self.done / self.wall


def _run_batch(services: Services, actor: Actor, ids: list[uuid.UUID], *, visible: bool) -> _JobRun:
    """One batch job at B-LT through the service layer, as the API runs it, measured."""
    with services.sessions() as db:
        body = BatchIn(
            items=[BatchItemIn(document_id=d) for d in ids],
            pin=DEMO_PIN,
            level="B-LT",
            visible=visible,
        )
        created = batches.create_job(db, services, actor, body)
        load_before = os.getloadavg()[0]
        parent_before, children_before = _cpu_seconds()
        start = time.perf_counter()
        db.commit()
    with _CoreSampler() as sampler:
        while True:
            with services.sessions() as check:
                status = check.scalar(select(BatchJob.status).where(BatchJob.id == created.id))
            if status in ("finished", "failed", "interrupted"):
                break
            time.sleep(0.05)
    wall = time.perf_counter() - start
    parent_after, children_after = _cpu_seconds()
    with services.sessions() as db:
        job = db.get(BatchJob, created.id)
        assert job is not None
        return _JobRun(
            job.status,
            job.done,
            job.failed,
            wall,
            parent_after - parent_before,
            children_after - children_before,
            sampler.samples,
            (load_before, os.getloadavg()[0]),
        )


def _describe(run: _JobRun, label: str) -> list[str]:
    cores = len(run.samples[0]) if run.samples else os.cpu_count() or 1
    per_core = [statistics.mean(s[i] for s in run.samples) for i in range(cores)]
    busy = [statistics.mean(1.0 if s[i] >= 80 else 0.0 for s in run.samples) for i in range(cores)]
    return [
        f"{label}: {run.status}, {run.done} signed, {run.failed} failed, "
        f"{run.wall:.2f} s total, {run.rate:.1f} documents/s",
        f"  CPU: {run.cpu:.1f} s (parent {run.parent_cpu:.1f} s, workers {run.workers_cpu:.1f} s)"
        f" over {run.wall:.2f} s wall = {run.cpu / run.wall:.2f} cores busy on average; "
        f"{1000 * run.cpu / max(run.done, 1):.0f} ms CPU per document",
        "  per-core utilisation (mean of 0.5 s samples, all processes): "
        + ", ".join(f"cpu{i} {p:.0f}%" for i, p in enumerate(per_core))
        + "; samples at >= 80%: "
        + ", ".join(f"cpu{i} {b:.0%}" for i, b in enumerate(busy)),
        f"  1-minute load average {run.load[0]:.1f} before, {run.load[1]:.1f} after "
        f"(above {os.cpu_count()}: other processes shared the cores)",
    ]


def _verify_some(services: Services, ids: list[uuid.UUID], work: Path, n: int = 10) -> int:
    root = x509.load_pem_x509_certificate(
        (services.settings.pki_dir / "root.pem").read_bytes()
    ).public_bytes(Encoding.DER)
    valid = 0
    with services.sessions() as db:
        for doc_id in ids[:: max(1, len(ids) // n)][:n]:
            document = db.get(Document, doc_id)
            assert document is not None
            version = (
                db.query(DocumentVersion)
                .filter_by(document_id=doc_id, number=document.latest_version)
                .one()
            )
            path = work / f"{doc_id}.pdf"
            signatures.fetch_version(services, version, path)
            report = verify(path, VerificationPolicy([root])).report
            valid += report.verdict == "valid" and report.signatures[-1].level == "B-LT"
    return valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument(
        "--invisible", action="store_true", help="also a batch without the visible stamp"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-batch-") as tmp:
        work = Path(tmp)
        services = _institution(work / "data")
        actor = _actor(services)
        runner = JobRunner(
            services, composition.JOB_HANDLERS, concurrency_limits(services.settings), warm=True
        )
        runner.start()
        (work / "in").mkdir()
        batch_ids = _upload(services, actor, args.documents, work / "in")
        baseline_ids = _upload(services, actor, args.baseline, work / "in")

        base_wall = _baseline(services, actor, baseline_ids)
        base_rate = len(baseline_ids) / base_wall

        job = _run_batch(services, actor, batch_ids, visible=True)
        invisible = (
            _run_batch(
                services,
                actor,
                _upload(services, actor, args.documents, work / "in"),
                visible=False,
            )
            if args.invisible
            else None
        )
        valid = _verify_some(services, batch_ids, work)
        runner.stop()
        services.close()

    rate = job.rate
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"machine: {os.cpu_count()} cores (nproc), {model or platform.processor()}, "
        f"Python {platform.python_version()}; {os.cpu_count()} worker processes per job",
        *_describe(job, f"batch of {len(batch_ids)} at B-LT, visible stamp (the default)"),
        *(_describe(invisible, "same at B-LT without the visible stamp") if invisible else []),
        f"baseline (same run): {len(baseline_ids)} documents one by one in one thread, "
        f"visible stamp, {base_wall:.2f} s, {base_rate:.1f} documents/s",
        f"ratio batch/baseline: {rate / base_rate:.2f}x; target >= 15 documents/s: "
        + ("met" if rate >= 15 else "NOT met"),
        f"verified: {valid} of 10 sampled batch outputs valid at B-LT",
    ]
    print("\n".join(lines))
    if args.append:
        command = (
            "    .venv/bin/python bench/batch_signing.py "
            + " ".join(
                f"--{k} {v}"
                for k, v in (("documents", args.documents), ("baseline", args.baseline))
            )
            + (" --invisible" if args.invisible else "")
        )
        section = [
            "",
            f"## Batch signing ({time.strftime('%Y-%m-%d')})",
            "",
            command,
            "",
            "```",
            *lines,
            "```",
            "",
        ]
        with RESULTS.open("a") as out:
            out.write("\n".join(section))


if __name__ == "__main__":
    main()
