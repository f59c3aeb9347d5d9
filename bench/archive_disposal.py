"""What is due for disposal among 100,000 archived dossiers (issue 17), as the archivist
asks for it: over HTTP (``GET /api/v1/archive/due-for-disposal``, signed in as the demo's
archivist), with the service's indexed query; against a baseline measured in the same run:
reading every central-archive holding and choosing in Python, as a service without the
``(phase, disposal_on)`` index would.

    .venv/bin/python bench/archive_disposal.py [--dossiers 100000] [--due 300]
        [--repeat 50] [--postgres]

Reported: p50 and p95 of each, and their ratio. The dossiers are written straight into the
database (one office, five series, disposal dates spread over ten years, 0.3 % due today,
a tenth of those held), so the run measures the listing, not the writing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from docsvc.archival import classification, retention_tables
from docsvc.calendar.local import local_date
from docsvc.models import (
    ArchiveHolding,
    ClassificationNode,
    Department,
    Dossier,
    User,
)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def _timed(run: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - start)
    return samples, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="docsvc-bench-")))
        os.environ["DOCSVC_DATA_DIR"] = str(tmp / "data")
        if args.postgres:
            from tests.harness.postgres import run_postgres

            os.environ["DOCSVC_DATABASE_URL"] = stack.enter_context(run_postgres(tmp / "pg"))
        _measure(args)


def _measure(args: argparse.Namespace) -> None:
    from docsvc.app import create_app
    from docsvc.composition import build_services
    from docsvc.config import Settings
    from docsvc.db.migrate import upgrade_to_head
    from docsvc.demo.seed import DEMO_PASSWORD, seed_demo
    from docsvc.organisation.service import ensure_institution
    from docsvc.pki.service import ensure_dev_pki

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = build_services(settings)
    upgrade_to_head(services.engine)
    with services.sessions() as db:
        ensure_dev_pki(db, settings)
        ensure_institution(db, settings.institution_code, settings.institution_name)
        db.commit()
        seed_demo(db, services)
        db.commit()
    today = local_date(settings)
    rng = random.Random(17)
    with services.sessions() as db:
        office = db.scalar(select(Department.id).where(Department.code == "DAJ"))
        author = db.scalar(select(User.id).where(User.username == "juridico"))
        version = classification.version_by_number(db, None)
        table = retention_tables.in_force(db)
        nodes = list(
            db.scalars(
                select(ClassificationNode.id).where(
                    ClassificationNode.version_id == version.id,
                    ClassificationNode.level.in_(["series", "subseries"]),
                )
            )
        )
        assert office and author and table and nodes
        started = time.perf_counter()
        created = datetime.now(UTC)
        due_rows = set(rng.sample(range(args.dossiers), args.due))
        for start in range(0, args.dossiers, 5000):
            chunk = range(start, min(start + 5000, args.dossiers))
            dossiers = [
                {
                    "id": uuid.uuid4(),
                    "title": f"Expediente {n}",
                    "subject": "",
                    "owning_department_id": office,
                    "confidentiality": "internal",
                    "status": "closed",
                    "created_by_id": author,
                    "created_at": created,
                    "closed_at": created,
                }
                for n in chunk
            ]
            db.execute(insert(Dossier), dossiers)
            holdings = []
            for n, dossier in zip(chunk, dossiers, strict=True):
                disposal = (
                    today - timedelta(days=rng.randrange(0, 30))
                    if n in due_rows
                    else today + timedelta(days=rng.randrange(1, 3650))
                )
                holdings.append(
                    {
                        "id": uuid.uuid4(),
                        "dossier_id": dossier["id"],
                        "node_id": nodes[n % len(nodes)],
                        "department_id": office,
                        "phase": "central",
                        "starts_on": disposal - timedelta(days=3650),
                        "central_on": disposal - timedelta(days=1825),
                        "disposal_on": disposal,
                        "disposition": "destroy",
                        "table_id": table.id,
                        "on_hold": n in due_rows and n % 10 == 0,
                        "filed_by_id": author,
                        "filed_at": created,
                    }
                )
            db.execute(insert(ArchiveHolding), holdings)
        db.commit()
        written = time.perf_counter() - started

    app = create_app(settings, services)
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "archivista", "password": DEMO_PASSWORD}
        ).json()["access_token"]
        headers = {"authorization": f"Bearer {token}"}

        def over_http() -> object:
            response = client.get("/api/v1/archive/due-for-disposal", headers=headers)
            assert response.status_code == 200, response.text
            return response.json()

        def full_scan() -> object:
            with services.sessions() as db:
                rows = db.execute(
                    select(
                        ArchiveHolding.id,
                        ArchiveHolding.disposal_on,
                        ArchiveHolding.on_hold,
                        ClassificationNode.code,
                    )
                    .join(ClassificationNode, ClassificationNode.id == ArchiveHolding.node_id)
                    .where(ArchiveHolding.phase == "central")
                ).all()
            # Every central holding read, then chosen in Python from its stored dates, as
            # a service without the (phase, disposal_on) index would.
            return [
                row.id
                for row in rows
                if row.disposal_on is not None and row.disposal_on <= today and not row.on_hold
            ]

        over_http()  # warm
        http_samples, listed = _timed(over_http, args.repeat)
        scan_samples, scanned = _timed(full_scan, max(5, args.repeat // 5))
    expected = sum(1 for n in due_rows if n % 10 != 0)
    assert isinstance(listed, list), listed
    assert len(listed) == expected, (len(listed), expected)
    assert isinstance(scanned, list) and len(scanned) == expected
    http50, http95 = _percentiles(http_samples)
    scan50, scan95 = _percentiles(scan_samples)
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"archive disposal listing — {database}, {platform.processor() or platform.machine()}")
    print(f"  {args.dossiers:,} dossiers in the central archive ({written:.1f} s to write)")
    print(f"  {expected} due today and not held ({args.due} due, a tenth of them held)")
    print(f"  {'':38} {'p50 ms':>9} {'p95 ms':>9}")
    print(f"  {'GET due-for-disposal (HTTP, indexed)':38} {http50:9.1f} {http95:9.1f}")
    print(f"  {'baseline: read all, choose in Python':38} {scan50:9.1f} {scan95:9.1f}")
    print(f"  ratio baseline / HTTP at p95: {scan95 / http95:.1f}×")


if __name__ == "__main__":
    main()
