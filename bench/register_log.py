"""The register's transparency log at a million leaves (issue 5), with baselines measured in
the same run.

    .venv/bin/python bench/register_log.py [--leaves 1000000] [--batch 1000]
        [--database-url URL | --postgres]

Reported:
- append rate, batched (``--batch`` events per transaction, as a burst of registrations
  arrives), against one event per transaction (the baseline, over a few thousand leaves);
- inclusion and consistency proof times at the full size (median and p99 of random
  indexes and sizes), each computed from the stored subtree hashes in one query, against
  the baseline of recomputing the proof from every leaf hash;
- how many stored hashes each proof reads, against log2(n): the O(log n) evidence.

Default database: SQLite in a temporary directory (the embedded default).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select

import transparency as merkle
from docsvc.db.engine import make_engine, make_session_factory
from docsvc.db.migrate import upgrade_to_head
from docsvc.ledger import log
from docsvc.ledger.log import LogEvent
from docsvc.models import LogNode


def _event(n: int) -> LogEvent:
    return LogEvent(
        kind="register.entry",
        object_type="register_entry",
        object_id=str(uuid.UUID(int=n)),
        public={"number": f"DAJ-E-2026-{n:06d}", "direction": "incoming", "department": "DAJ"},
        private={"subject": f"Oficio {n}", "counterpart": "Procuraduría General del Estado"},
    )


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.99 * (len(ordered) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--baseline-leaves", type=int, default=2000)
    parser.add_argument("--proofs", type=int, default=500)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--postgres", action="store_true", help="start a throw-away PostgreSQL (the test harness's)"
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="docsvc-bench-log-"))
        url = args.database_url or f"sqlite:///{Path(tmp) / 'log.sqlite'}"
        if args.postgres:
            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
            from tests.harness.postgres import run_postgres

            url = stack.enter_context(run_postgres(Path(tmp) / "pg"))
        _measure(args, url)


def _measure(args: argparse.Namespace, url: str) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    sessions = make_session_factory(engine)

    # Baseline: one event per transaction.
    start = time.perf_counter()
    for n in range(args.baseline_leaves):
        with sessions() as db:
            log.append(db, [_event(n)])
            db.commit()
    single_rate = args.baseline_leaves / (time.perf_counter() - start)

    # Batched, up to the full size.
    start = time.perf_counter()
    n = args.baseline_leaves
    last_report = start
    while n < args.leaves:
        count = min(args.batch, args.leaves - n)
        with sessions() as db:
            log.append(db, [_event(n + i) for i in range(count)])
            db.commit()
        n += count
        if time.perf_counter() - last_report > 30:
            last_report = time.perf_counter()
            print(f"  ... {n} leaves", flush=True)
    batched = args.leaves - args.baseline_leaves
    batch_rate = batched / (time.perf_counter() - start)

    rng = random.Random(7)
    size = args.leaves
    with sessions() as db:
        assert log.log_size(db) == size
        root = log.root_at(db, size)
        inclusion_times, inclusion_reads = [], []
        for _ in range(args.proofs):
            index = rng.randrange(size)
            t0 = time.perf_counter()
            leaf_hash, proof, stats = log.inclusion(db, index, size)
            inclusion_times.append(time.perf_counter() - t0)
            inclusion_reads.append(stats.hashes)
            merkle.verify_inclusion(index, size, leaf_hash, proof, root)
        consistency_times, consistency_reads = [], []
        for _ in range(args.proofs):
            first = rng.randrange(1, size)
            t0 = time.perf_counter()
            proof, stats = log.consistency(db, first, size)
            consistency_times.append(time.perf_counter() - t0)
            consistency_reads.append(stats.hashes)
        # Baseline: the proof recomputed from every leaf hash, as without stored subtrees.
        t0 = time.perf_counter()
        tree = merkle.MemoryTree()
        for (value,) in db.execute(
            select(LogNode.hash).where(LogNode.level == 0).order_by(LogNode.idx)
        ):
            tree.append(bytes(value))
        merkle.inclusion_proof(tree, size // 2, size)
        naive = time.perf_counter() - t0
    engine.dispose()

    inc_med, inc_p99 = _ms(inclusion_times)
    con_med, con_p99 = _ms(consistency_times)
    log2 = math.log2(size)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    machine = platform.processor() or platform.machine()
    lines = [
        f"machine: {machine}, Python {platform.python_version()}, {backend}",
        f"append, {args.batch} per transaction: {batch_rate:,.0f} leaves/s (target >= 2,000)",
        f"append, one per transaction (baseline): {single_rate:,.0f} leaves/s; "
        f"ratio {batch_rate / single_rate:.1f}x",
        f"inclusion proof at {size:,} leaves: median {inc_med:.2f} ms, "
        f"p99 {inc_p99:.2f} ms (target <= 2 ms)",
        f"consistency proof at {size:,} leaves: median {con_med:.2f} ms, "
        f"p99 {con_p99:.2f} ms (target <= 2 ms)",
        f"stored hashes read per proof: inclusion max {max(inclusion_reads)}, consistency max "
        f"{max(consistency_reads)}; log2(n) = {log2:.1f}",
        f"baseline: one proof from all {size:,} leaf hashes: {naive * 1000:.0f} ms; "
        f"ratio {naive * 1000 / inc_med:.0f}x",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
