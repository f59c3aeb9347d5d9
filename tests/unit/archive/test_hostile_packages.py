"""The hostile and broken archival packages of tests/data/hostile_packages/ (made by
tests/data/make_hostile_packages.py): reading each for import refuses it with its code,
writes nothing outside the work folder, and never expands or fetches an entity."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from archive.errors import ArchiveError
from docsvc.archival.imports import PackageRefused, read_package

DATA = Path(__file__).parents[2] / "data"


def _expected() -> dict[str, tuple[str, str]]:
    """The script's table of files and codes (tests/data is no package)."""
    spec = importlib.util.spec_from_file_location(
        "make_hostile_packages", DATA / "make_hostile_packages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    table: dict[str, tuple[str, str]] = module.EXPECTED
    return table


EXPECTED = _expected()


def test_the_committed_packages_are_what_the_script_makes() -> None:
    checked = subprocess.run(
        [sys.executable, str(DATA / "make_hostile_packages.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(DATA.parents[1])},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {p.name for p in (DATA / "hostile_packages").iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_package_is_refused_and_nothing_escapes(name: str, tmp_path: Path) -> None:
    work = tmp_path / "a" / "b" / "work"
    expected = EXPECTED[name][1]
    with pytest.raises((ArchiveError, PackageRefused)) as raised:
        read_package(DATA / "hostile_packages" / name, work, anchors=[])
    if expected == "refused":
        assert isinstance(raised.value, PackageRefused)
        assert raised.value.report.verdict == "invalid"
    else:
        assert isinstance(raised.value, ArchiveError)
        assert raised.value.code == expected, raised.value.message
    # Nothing was written beside or above the work folder.
    assert not list(tmp_path.rglob("escape*"))
    assert "root:" not in str(raised.value)
