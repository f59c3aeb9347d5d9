"""The import direction inside ``docsvc`` is a contract: ``lint-imports`` passes on the
tree as it is, and fails on a copy of it with one upward import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("docsvc", "signing", "storage", "archive", "transparency")


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _copy_tree(target: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        if (ROOT / package).is_dir():
            shutil.copytree(ROOT / package, target / package, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_tree(tmp_path_factory.mktemp("tree"))


def test_the_tree_keeps_its_layers(tree: Path) -> None:
    result = _lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Layers inside docsvc KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "contract"),
    [
        # A feature reaching up to one that builds on it.
        ("docsvc/documents/service.py", "from docsvc.transfers import service", "Layers"),
        # A kernel reaching up to a feature.
        ("docsvc/ledger/events.py", "from docsvc.documents import service", "Kernels"),
        # The bottom reaching up to the top.
        ("docsvc/models/__init__.py", "from docsvc.web import pages", "Layers"),
        # A sibling feature that must not know the other.
        ("docsvc/transfers/service.py", "from docsvc.signing_lines import service", "Signing"),
        # A library reaching into the service.
        ("transparency/proofs.py", "from docsvc import config", "Libraries"),
    ],
)
def test_an_upward_import_fails_the_gate(
    tmp_path: Path, module: str, upward_import: str, contract: str
) -> None:
    tree = _copy_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{upward_import}  # noqa: E402, F401\n")
    result = _lint_imports(tree)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert upward_import.split()[1] in result.stdout
