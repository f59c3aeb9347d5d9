"""Fixity audit throughput through the job queue, against ``sha256sum`` on the same files in
the same run (issue 19).

    .venv/bin/python bench/fixity.py [--small 100] [--large 20] [--rate 0]

``docsvc init --demo`` in a temporary data directory (SQLite, the local store), then
``--small`` objects of 1 MB and ``--large`` of 10 MB (random bytes, so nothing compresses or
deduplicates) stored and recorded as document versions. A fixity pass is started as the
schedule starts it (``fixity_upkeep``) and run by a job runner serving the ``fixity`` queue,
as a ``docsvc worker`` runs it; the time is from the enqueue to the pass's end, and the
bytes are those the pass read. The baseline is ``sha256sum`` over the same files, and
``openssl dgst -sha256`` beside it (it uses the CPU's SHA instructions, as hashlib does). All read
from the page cache (the files were just written, and each is read once before timing).

``--rate`` is ``DOCSVC_FIXITY_MB_PER_SECOND`` for the run (0: unlimited, to measure the
ceiling; the default deployment reads at 20 MB/s, which ``--rate 20`` shows it keeps to).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from docsvc.archival import fixity
from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.jobs.runner import JobRunner
from docsvc.models import Document, DocumentVersion, FixityPass, User
from storage import LocalObjectStore

MB = 1_000_000


def _add_objects(settings: Settings, sizes: list[int]) -> list[Path]:
    services = build_services(settings)
    store = services.store
    assert isinstance(store, LocalObjectStore)
    paths = []
    try:
        with services.sessions() as db:
            author = db.scalar(select(User).where(User.username == "preparador"))
            assert author is not None and author.department_id is not None
            for i, size in enumerate(sizes):
                stored = store.put_stream(io.BytesIO(os.urandom(size)))
                document = Document(
                    id=uuid.uuid4(),
                    doc_type="report",
                    title=f"Informe de prueba {i}",
                    subject="",
                    owning_department_id=author.department_id,
                    confidentiality="internal",
                    created_by_id=author.id,
                    latest_version=1,
                )
                db.add(document)
                db.flush()
                db.add(
                    DocumentVersion(
                        document_id=document.id,
                        number=1,
                        sha256=stored.key,
                        size=stored.size,
                        pages=1,
                        filename="informe.pdf",
                        media_type="application/pdf",
                        reason="created",
                        author_id=author.id,
                    )
                )
                paths.append(store._path(stored.key))
            db.commit()
    finally:
        services.close()
    return paths


def _sha256sum(paths: list[Path], command: tuple[str, ...] = ("sha256sum",)) -> float:
    start = time.perf_counter()
    subprocess.run([*command, *map(str, paths)], check=True, capture_output=True)
    return time.perf_counter() - start


# coreutils' sha256sum does not use the CPU's SHA instructions; OpenSSL (which Python's
# hashlib uses) does, so it is shown too, as the stricter baseline.
OPENSSL = ("openssl", "dgst", "-sha256")


def _audit(settings: Settings) -> tuple[float, int, int]:
    """Seconds from the enqueue to the pass's end, bytes read, objects checked."""
    services = build_services(settings)
    runner = JobRunner(services, fixity.JOB_HANDLERS, {"fixity": 1})
    runner.start()
    try:
        start = time.perf_counter()
        with services.sessions() as db:
            fixity.start_pass(db)
            db.commit()
        assert fixity.fixity_upkeep(services)  # as the schedule does: the job for the pass
        while True:
            with services.sessions() as db:
                audit = db.scalar(select(FixityPass).order_by(FixityPass.started_at.desc()))
                assert audit is not None
                if audit.finished_at is not None:
                    return time.perf_counter() - start, audit.bytes_read, audit.checked
            time.sleep(0.01)
    finally:
        runner.stop(drain=5)
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100, help="objects of 1 MB")
    parser.add_argument("--large", type=int, default=20, help="objects of 10 MB")
    parser.add_argument("--rate", type=float, default=0.0, help="MB/s (0: unlimited)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-fixity-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        env["DOCSVC_DATA_DIR"] = tmp
        subprocess.run(
            [sys.executable, "-m", "docsvc", "init", "--demo"],
            env=env,
            check=True,
            capture_output=True,
        )
        settings = Settings(data_dir=Path(tmp), fixity_mb_per_second=args.rate)
        paths = _add_objects(settings, [MB] * args.small + [10 * MB] * args.large)
        _sha256sum(paths)  # into the page cache
        total = sum(p.stat().st_size for p in paths)
        lines = []
        for round_ in range(1, args.rounds + 1):
            baseline = _sha256sum(paths)
            strict = _sha256sum(paths, OPENSSL)
            seconds, read, checked = _audit(settings)
            audit_rate = read / seconds / MB
            base_rate = total / baseline / MB
            strict_rate = total / strict / MB
            lines.append(
                f"{round_} | {checked} objects, {read / MB:.0f} MB | {seconds:.2f} s, "
                f"{audit_rate:.0f} MB/s | {base_rate:.0f} MB/s | {strict_rate:.0f} MB/s | "
                f"{audit_rate / base_rate:.2f}x | {audit_rate / strict_rate:.2f}x"
            )
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"machine: {os.cpu_count()} cores (nproc), {model or platform.processor()}, "
        f"load average {os.getloadavg()[0]:.1f}; local store; "
        f"rate {'unlimited' if not args.rate else f'{args.rate:g} MB/s'}"
    )
    print(
        "round | the pass (the demo's documents too) | fixity job | sha256sum | "
        "openssl dgst -sha256 (both on the added files) | fixity / sha256sum | "
        "fixity / openssl"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
