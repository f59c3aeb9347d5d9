"""The restore drill: ``docsvc backup`` of a seeded institution with register entries and a
checkpoint, ``docsvc restore`` into a fresh empty database, store and data directory (given
the same secret key and pepper), and the restored service answers the same documents and
its register verifies against the checkpoint made before the backup. A backup with one
object's byte changed, or a target that is not empty, is refused with a non-zero status."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.composition import build_services
from docsvc.maintenance.backup import MANIFEST, OBJECTS
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend, make_settings
from tests.support.cli import DOCSVC
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"backup-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | env
    return subprocess.run(
        [*DOCSVC, *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _empty_target(
    backend: Backend, request: pytest.FixtureRequest, data_dir: Path, name: str
) -> Backend:
    """A fresh empty deployment beside ``backend``: new data dir (holding only the same
    secrets), new database and bucket."""
    data_dir.mkdir(parents=True)
    shutil.copytree(backend.settings.data_dir / "secrets", data_dir / "secrets")
    if backend.name == "sqlite-local":
        settings = make_settings(data_dir)
    else:
        from tests.harness.postgres import create_database

        s3 = request.getfixturevalue("s3_endpoint")
        url = create_database(request.getfixturevalue("postgres_url"), f"restored_{name}")
        settings = make_settings(data_dir, url, s3, bucket=f"restored-{name.replace('_', '-')}")
    services = build_services(settings)
    ensure_bucket = getattr(services.store, "ensure_bucket", None)
    if ensure_bucket is not None:
        ensure_bucket()
    return Backend(name=backend.name, settings=settings, services=services)


def _documents(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    page = client.get("/api/v1/documents", headers=headers, params={"limit": 100})
    assert page.status_code == 200, page.text
    return {item["id"]: item["latest_version"]["sha256"] for item in page.json()["items"]}


def test_restore_drill(
    client: TestClient,
    backend: Backend,
    auth: Auth,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    clerk = auth("registro")
    for n in range(2):
        upload_and_register(
            client, clerk, f"Oficio de respaldo {n}", counterpart="Ministerio de Finanzas"
        )
    made = client.post("/api/v1/register/checkpoints", headers=clerk)
    assert made.status_code == 201, made.text
    checkpoint = tmp_path / "checkpoint.txt"
    checkpoint.write_text(made.text)
    size = int(made.text.split("\n")[1])
    before = _documents(client, clerk)
    assert len(before) >= 2

    backup_dir = tmp_path / "backup"
    done = _cli(backend.settings_env(), "backup", str(backup_dir))
    assert done.returncode == 0, done.stderr
    assert "NOT copied" in done.stdout and "key pepper" in done.stdout
    manifest = json.loads((backup_dir / MANIFEST).read_text())
    assert manifest["register"]["size"] == size
    assert manifest["register"]["checkpoint"] == made.text
    keys = {item["key"] for item in manifest["store"]["objects"]}
    assert set(before.values()) <= keys
    for item in manifest["store"]["objects"]:
        data = (backup_dir / OBJECTS / item["key"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["key"] == item["sha256"]
    assert not (backup_dir / "files" / "secrets").exists()

    # Into the deployment it came from: refused, it is not empty.
    refused = _cli(backend.settings_env(), "restore", str(backup_dir))
    assert refused.returncode == 2
    assert "empty" in refused.stderr

    # A tampered backup: one object's byte changed. Restore names it and restores nothing.
    tampered_dir = tmp_path / "tampered"
    shutil.copytree(backup_dir, tampered_dir)
    victim = sorted(keys)[0]
    path = tampered_dir / OBJECTS / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    spoiled = _empty_target(backend, request, tmp_path / "spoiled", f"{os.getpid()}_spoiled")
    try:
        failed = _cli(spoiled.settings_env(), "restore", str(tampered_dir))
        assert failed.returncode != 0
        assert victim in failed.stderr
        assert next(iter(spoiled.services.store.list()), None) is None
    finally:
        spoiled.services.close()

    # The drill: restore into a fresh empty deployment with the same secrets.
    restored = _empty_target(backend, request, tmp_path / "restored", f"{os.getpid()}_drill")
    try:
        done = _cli(restored.settings_env(), "restore", str(backup_dir))
        assert done.returncode == 0, done.stdout + done.stderr
        assert "verdict: restored" in done.stdout
        assert f"root at size {size} is the checkpoint's" in done.stdout

        with restored.client() as again:
            headers = login(again, "registro")
            assert _documents(again, headers) == before
            for document_id, sha256 in before.items():
                content = again.get(f"/api/v1/documents/{document_id}/content", headers=headers)
                assert content.status_code == 200
                assert hashlib.sha256(content.content).hexdigest() == sha256
            assert again.get("/api/v1/register/key").text == client.get("/api/v1/register/key").text

        # The auditor's own check of the pre-backup checkpoint, on the restored database.
        verified = _cli(
            restored.settings_env(), "register", "verify", str(checkpoint), "--database"
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        restored.services.close()
