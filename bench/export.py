"""Exporting a dossier of 1 GB as an archival package: time, and the peak memory it adds,
against copying and hashing the same files in the same run (issue 19).

    .venv/bin/python bench/export.py [--documents 20] [--mb 50]

``docsvc init --demo`` in a temporary data directory (SQLite, the local store), then a
dossier of ``--documents`` PDFs of ``--mb`` MB each (one page and a stream of random bytes,
so nothing compresses), stored and recorded as its documents' versions. The export runs in
a child process as ``docsvc archive export`` runs it (``export_dossier``: every version
written, verified, its reports written, the register's proofs, the METS, the bag, the zip);
the child reports its resident memory just before the export and the highest it reached
during it (VmRSS, sampled every 10 ms). The baseline
copies the same stored files and hashes each with SHA-256, the least any export does.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pikepdf
from sqlalchemy import select

from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.models import Document, DocumentVersion, Dossier, DossierItem, User
from storage import LocalObjectStore

MB = 1_000_000
MiB = 1 << 20


def _big_pdf(path: Path, size: int) -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    # An unfiltered stream of random bytes, reachable from the catalogue.
    pdf.Root.DocsvcPadding = pdf.make_stream(os.urandom(size))
    pdf.save(path)


def _dossier(settings: Settings, count: int, size: int, work: Path) -> tuple[str, list[Path]]:
    services = build_services(settings)
    store = services.store
    assert isinstance(store, LocalObjectStore)
    paths = []
    try:
        with services.sessions() as db:
            author = db.scalar(select(User).where(User.username == "preparador"))
            assert author is not None
            dossier = Dossier(
                id=uuid.uuid4(),
                title="Expediente de prueba de 1 GB",
                owning_department_id=author.department_id,
                confidentiality="internal",
                created_by_id=author.id,
            )
            db.add(dossier)
            for i in range(count):
                source = work / f"grande-{i}.pdf"
                _big_pdf(source, size)
                stored = store.put_file(source)
                source.unlink()
                document = Document(
                    id=uuid.uuid4(),
                    doc_type="report",
                    title=f"Informe grande {i}",
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
                        filename=f"informe-{i}.pdf",
                        media_type="application/pdf",
                        reason="created",
                        author_id=author.id,
                    )
                )
                db.add(
                    DossierItem(
                        dossier_id=dossier.id,
                        document_id=document.id,
                        position=i + 1,
                        added_by_id=author.id,
                    )
                )
                paths.append(store._path(stored.key))
            db.commit()
            return str(dossier.id), paths
    finally:
        services.close()


CHILD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from docsvc.archival.exports import export_dossier
from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.locale import translator
import uuid
services = build_services(Settings(data_dir=Path(sys.argv[1])))
import threading
def rss():
    status = Path("/proc/self/status").read_text()
    return int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:")))
# The resident size now, then sampled every 10 ms during the export: the process's own
# peak (ru_maxrss) may have been set by the imports.
before = rss()
highest = [before]
running = threading.Event()
running.set()
def sample():
    while running.is_set():
        highest[0] = max(highest[0], rss())
        time.sleep(0.01)
sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
start = time.perf_counter()
with services.sessions() as db:
    made = export_dossier(db, services, uuid.UUID(sys.argv[2]), Path(sys.argv[3]), translator("es"))
    db.commit()
seconds = time.perf_counter() - start
running.clear()
sampler.join()
peak = highest[0]
print(json.dumps({"seconds": seconds, "before_kib": before, "peak_kib": peak,
                  "versions": made.versions}))
"""


def _export(data_dir: Path, dossier: str, target: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data_dir), dossier, str(target), str(Path.cwd())],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _baseline(paths: list[Path], work: Path) -> float:
    target = work / "copia"
    target.mkdir()
    start = time.perf_counter()
    for path in paths:
        copy = target / path.name
        shutil.copyfile(path, copy)
        digest = hashlib.sha256()
        with copy.open("rb") as source:
            while chunk := source.read(MiB):
                digest.update(chunk)
    seconds = time.perf_counter() - start
    shutil.rmtree(target)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--mb", type=int, default=50, help="size of each PDF in MB")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-export-") as tmp:
        data_dir = Path(tmp) / "data"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
        env["DOCSVC_DATA_DIR"] = str(data_dir)
        subprocess.run(
            [sys.executable, "-m", "docsvc", "init", "--demo"],
            env=env,
            check=True,
            capture_output=True,
        )
        settings = Settings(data_dir=data_dir)
        dossier, paths = _dossier(settings, args.documents, args.mb * MB, Path(tmp))
        total = sum(p.stat().st_size for p in paths)
        lines = []
        for round_ in range(1, args.rounds + 1):
            baseline = _baseline(paths, Path(tmp))
            target = Path(tmp) / f"paquete-{round_}.zip"
            result = _export(data_dir, dossier, target)
            growth = (result["peak_kib"] - result["before_kib"]) / 1024
            lines.append(
                f"{round_} | {args.documents} × {args.mb} MB ({total / MB:.0f} MB) | "
                f"{result['seconds']:.1f} s ({total / result['seconds'] / MB:.0f} MB/s) | "
                f"{baseline:.1f} s | {result['seconds'] / baseline:.2f}× | "
                f"{target.stat().st_size / MB:.0f} MB | "
                f"{result['before_kib'] / 1024:.0f} → {result['peak_kib'] / 1024:.0f} MiB "
                f"(+{growth:.0f} MiB)"
            )
            target.unlink()
    model = subprocess.run(
        ["sh", "-c", "lscpu | sed -n 's/^Model name: *//p'"], capture_output=True, text=True
    ).stdout.strip()
    print(
        f"machine: {os.cpu_count()} cores (nproc), {model or platform.processor()}, "
        f"load average {os.getloadavg()[0]:.1f}; SQLite, local store"
    )
    print(
        "round | dossier | export | copy + SHA-256 (baseline) | export / baseline | "
        "zip | resident memory before → peak (growth)"
    )
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
