"""``docsvc archive export`` and ``docsvc archive verify`` as an operator runs them: a
dossier goes out as a zipped bag and is checked offline, with the exit codes of the
contract (0 valid, 1 not valid, 2 not a package or bad usage)."""

from __future__ import annotations

import json
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from docsvc.composition import build_services
from docsvc.config import Environment, Settings
from docsvc.demo.seed import PAYMENT_DOSSIER_TITLE
from docsvc.models import Dossier
from tests.support.cli import run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data_dir = tmp_path_factory.mktemp("archive-cli")
    made = run(["init", "--demo"], data_dir)
    assert made.returncode == 0, made.stderr
    return data_dir, _dossier_id(data_dir)


def _dossier_id(data_dir: Path) -> str:
    """The demo's payment dossier, read from the installation's database."""
    services = build_services(Settings(data_dir=data_dir, env=Environment.test))
    try:
        with services.sessions() as db:
            found = db.scalar(select(Dossier.id).where(Dossier.title == PAYMENT_DOSSIER_TITLE))
    finally:
        services.close()
    assert found is not None
    return str(found)


def test_a_dossier_goes_out_as_a_package_that_verifies_offline(demo: tuple[Path, str]) -> None:
    data_dir, dossier = demo
    package = data_dir / "expediente.zip"
    made = run(["archive", "export", "--dossier", dossier, "-o", str(package)], data_dir)
    assert made.returncode == 0, made.stderr
    assert "exported 3 documents" in made.stdout and package.is_file()

    checked = run(["archive", "verify", str(package)], data_dir)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1] == "valid"
    as_json = json.loads(run(["archive", "verify", "--json", str(package)], data_dir).stdout)
    assert as_json["verdict"] == "valid" and not as_json["problems"]

    # The same dossier as an ENI expediente; an unknown format is refused.
    eni = data_dir / "expediente-eni.zip"
    made = run(
        ["archive", "export", "--dossier", dossier, "-o", str(eni), "--format", "eni"], data_dir
    )
    assert made.returncode == 0, made.stderr
    with zipfile.ZipFile(eni) as zipped:
        assert "expediente.xml" in zipped.namelist()
    odd = run(
        ["archive", "export", "--dossier", dossier, "-o", str(data_dir / "x.zip"), "--format", "x"],
        data_dir,
    )
    assert odd.returncode == 2 and "eark or eni" in odd.stderr

    # Not overwritten; an unknown dossier; not a package.
    again = run(["archive", "export", "--dossier", dossier, "-o", str(package)], data_dir)
    assert again.returncode == 2 and "exists already" in again.stderr
    unknown = data_dir / "nada.zip"
    missing = run(
        ["archive", "export", "--dossier", str(uuid.uuid4()), "-o", str(unknown)], data_dir
    )
    assert missing.returncode == 1 and not unknown.exists()
    junk = data_dir / "junk.zip"
    junk.write_bytes(b"not a zip")
    unreadable = run(["archive", "verify", str(junk)], data_dir)
    assert unreadable.returncode == 2 and "unreadable" in unreadable.stderr

    # One byte of a stored file changed inside the zip: the bag no longer validates.
    tampered = data_dir / "tampered.zip"
    with zipfile.ZipFile(package) as source, zipfile.ZipFile(tampered, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("v1.pdf") and b"%%EOF" in data:
                data = data.replace(b"%%EOF", b"%%EOE", 1)
            out.writestr(item, data)
    failed = run(["archive", "verify", str(tampered)], data_dir)
    assert failed.returncode == 1 and "FAILED: the bag does not validate" in failed.stdout
