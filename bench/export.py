"""Exporting a dossier of 1 GB as an archival package, and importing it into a second
instance: time, and the peak memory each adds, against copying and hashing the same files in
the same run (issue 19).

    .venv/bin/python bench/export.py [--documents 20] [--mb 50] [--rounds 2] [--no-import]

``docsvc init --demo`` in a temporary data directory (SQLite, the local store), then a
dossier of ``--documents`` PDFs of ``--mb`` MB each (one page and a stream of random bytes,
so nothing compresses), stored and recorded as its documents' versions. The export runs in
a child process as ``docsvc archive export`` runs it (``export_dossier``: every version
written, verified, its reports written, the register's proofs, the METS, the bag, the zip);
the child reports its resident memory just before the export and the highest it reached
during it (VmRSS, sampled every 10 ms). The baseline
copies the same stored files and hashes each with SHA-256, the least any export does.

Then (unless ``--no-import``) a second instance (``docsvc init --demo`` in another data
directory, trusting the first one's root) imports the package in a child process as
``docsvc archive import`` does (``import_package``: the bag validated, every file hashed, the
register proofs and every signature checked, each version stored under its hash, the rows
written), with the same memory sampling.
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
from docsvc.ledger.events import record_version
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
                version = DocumentVersion(
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
                db.add(version)
                db.flush()
                # Each version is a leaf of the register, as every upload's is: the
                # package proves them, and an import checks that it does.
                record_version(db, document, version, author.username)
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


IMPORT_CHILD = """
import json, sys, tempfile, threading, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from sqlalchemy import select
from docsvc.actors.actor import Origin
from docsvc.actors.sessions import actor_for
from docsvc.archival.import_jobs import new_import
from docsvc.archival.imports import import_package
from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.models import User
data = Path(sys.argv[1])
settings = Settings(
    data_dir=data, trust_roots=[data / "pki" / "root.pem", Path(sys.argv[2]) / "pki" / "root.pem"]
)
services = build_services(settings)
def rss():
    status = Path("/proc/self/status").read_text()
    return int(next(l.split()[1] for l in status.splitlines() if l.startswith("VmRSS:")))
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
with services.sessions() as db, tempfile.TemporaryDirectory() as work:
    user = db.scalar(select(User).where(User.username == "archivista"))
    actor = actor_for(user, Origin())
    record = new_import(actor, "paquete.zip")
    import_package(db, services, actor, record, Path(sys.argv[3]), Path(work))
    db.commit()
seconds = time.perf_counter() - start
running.clear()
sampler.join()
print(json.dumps({"seconds": seconds, "before_kib": before, "peak_kib": highest[0],
                  "verdict": record.verdict, "versions": record.total}))
"""


def _import(data_dir: Path, origin: Path, package: Path) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            IMPORT_CHILD,
            str(data_dir),
            str(origin),
            str(package),
            str(Path.cwd()),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the import failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _init(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    env["DOCSVC_DATA_DIR"] = str(data_dir)
    subprocess.run(
        [sys.executable, "-m", "docsvc", "init", "--demo"], env=env, check=True, capture_output=True
    )


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
    parser.add_argument(
        "--no-import", action="store_true", help="measure the export only, not the import"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="docsvc-bench-export-") as tmp:
        data_dir = Path(tmp) / "data"
        _init(data_dir)
        settings = Settings(data_dir=data_dir)
        dossier, paths = _dossier(settings, args.documents, args.mb * MB, Path(tmp))
        total = sum(p.stat().st_size for p in paths)
        lines = []
        imported = []
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
            if not args.no_import:
                receiver = Path(tmp) / f"receptor-{round_}"
                _init(receiver)
                got = _import(receiver, data_dir, target)
                grew = (got["peak_kib"] - got["before_kib"]) / 1024
                imported.append(
                    f"{round_} | {got['versions']} versions, {target.stat().st_size / MB:.0f} MB "
                    f"package | {got['seconds']:.1f} s ({total / got['seconds'] / MB:.0f} MB/s) | "
                    f"{baseline:.1f} s | {got['seconds'] / baseline:.2f}× | {got['verdict']} | "
                    f"{got['before_kib'] / 1024:.0f} → {got['peak_kib'] / 1024:.0f} MiB "
                    f"(+{grew:.0f} MiB)"
                )
                shutil.rmtree(receiver)
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
    if imported:
        print(
            "round | package | import | copy + SHA-256 (baseline) | import / baseline | "
            "verdict | resident memory before → peak (growth)"
        )
        for line in imported:
            print(line)


if __name__ == "__main__":
    main()
