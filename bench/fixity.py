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

``--s3`` runs the same on a SeaweedFS S3 server started as the tests start it (the objects
read over HTTP; the baselines hash local copies of the same bytes).

``--rate`` is ``DOCSVC_FIXITY_MB_PER_SECOND`` for the run (0: unlimited, to measure the
ceiling; the default deployment reads at 20 MB/s, which ``--rate 20`` shows it keeps to).
"""

from __future__ import annotations

import argparse
import contextlib
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

from pydantic import SecretStr
from sqlalchemy import select

from docsvc.archival import fixity
from docsvc.composition import build_services
from docsvc.config import Settings, StorageBackend
from docsvc.jobs.runner import JobRunner
from docsvc.models import Document, DocumentVersion, FixityPass, User
from storage import LocalObjectStore

MB = 1_000_000


def _add_objects(settings: Settings, sizes: list[int], copies: Path) -> list[Path]:
    """Store random objects as document versions; the files the baselines hash: the local
    store's own, or (S3) a local copy of each object's bytes."""
    services = build_services(settings)
    store = services.store
    paths = []
    copies.mkdir(parents=True, exist_ok=True)
    # Where the S3 store spools put_stream's bytes (made by each caller, as the service's do).
    settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        with services.sessions() as db:
            author = db.scalar(select(User).where(User.username == "preparador"))
            assert author is not None and author.department_id is not None
            for i, size in enumerate(sizes):
                data = os.urandom(size)
                stored = store.put_stream(io.BytesIO(data))
                if isinstance(store, LocalObjectStore):
                    paths.append(store._path(stored.key))
                else:
                    copy = copies / stored.key
                    copy.write_bytes(data)
                    paths.append(copy)
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
    parser.add_argument(
        "--s3",
        action="store_true",
        help="a SeaweedFS S3 server (the test harness's) instead of the local store",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="docsvc-bench-fixity-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        data_dir = Path(tmp) / "data"
        env["DOCSVC_DATA_DIR"] = str(data_dir)
        s3_settings: dict[str, object] = {}
        if args.s3:
            from tests.harness.seaweedfs import run_seaweedfs

            s3 = stack.enter_context(run_seaweedfs(Path(tmp) / "seaweedfs"))
            env |= {
                "DOCSVC_STORAGE_BACKEND": "s3",
                "DOCSVC_S3_ENDPOINT": s3.endpoint,
                "DOCSVC_S3_BUCKET": "bench",
                "DOCSVC_S3_ACCESS_KEY": s3.access_key,
                "DOCSVC_S3_SECRET_KEY": s3.secret_key,
            }
            s3_settings = {
                "storage_backend": StorageBackend.s3,
                "s3_endpoint": s3.endpoint,
                "s3_bucket": "bench",
                "s3_access_key": SecretStr(s3.access_key),
                "s3_secret_key": SecretStr(s3.secret_key),
            }
        subprocess.run(
            [sys.executable, "-m", "docsvc", "init", "--demo"],
            env=env,
            check=True,
            capture_output=True,
        )
        settings = Settings(
            data_dir=data_dir,
            fixity_mb_per_second=args.rate,
            **s3_settings,  # type: ignore[arg-type]
        )
        paths = _add_objects(
            settings, [MB] * args.small + [10 * MB] * args.large, Path(tmp) / "copies"
        )
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
        f"load average {os.getloadavg()[0]:.1f}; {'SeaweedFS S3' if args.s3 else 'local store'}; "
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
