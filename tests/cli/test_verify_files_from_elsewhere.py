"""``docsvc verify`` as an outside institution runs it on files other products made and on
the attacks of the literature: every file gets its expected verdict, the exit status of
docs/contracts.md (0 valid, 1 invalid or indeterminate, 2 unreadable), its warnings and reason
codes, and never a traceback."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.files_from_elsewhere import Case, cases, check_report

CASES = cases()


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every file verified once, two at a time (the command starts a Python each time)."""
    data_dir = tmp_path_factory.mktemp("outside-verifier")

    def verify(case: Case) -> subprocess.CompletedProcess[str]:
        trust = [arg for anchor in case.anchors for arg in ("--trust", str(anchor))]
        return run(["verify", str(case.path), "--json", *trust], data_dir)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip((c.id for c in CASES), pool.map(verify, CASES), strict=True))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_file_gets_its_verdict(
    case: Case, outcomes: dict[str, subprocess.CompletedProcess[str]]
) -> None:
    done = outcomes[case.id]
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == (0 if case.verdict == "valid" else 1), (done.stdout, done.stderr)
    check_report(case, json.loads(done.stdout))


def test_the_collection_is_large_and_varied() -> None:
    """At least 60 files by other products, every attack class of both papers, controls."""
    corpus = [c for c in CASES if c.folder == "corpus"]
    assert len(corpus) >= 60
    verdicts = {c.verdict for c in corpus}
    assert verdicts == {"valid", "invalid", "indeterminate"}
    attacks = [c for c in CASES if c.folder != "corpus" and c.verdict == "invalid"]
    assert len(attacks) >= 30
    assert all(Path(c.path).exists() for c in CASES)
