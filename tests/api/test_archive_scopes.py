"""Archival packages of more than one dossier (docsvc/archival/export_scopes.py): a case, a
series of the classification scheme and every record one official opened (a handover),
from the API, the CLI and the pages; each checks offline, and a second instance imports
the official's package as several closed dossiers."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive.package_check import check
from docsvc.app import create_app
from docsvc.demo.seed import PAYMENT_DOSSIER_TITLE
from docsvc.models import ArchiveExport, ClassificationNode, Dossier
from tests.support.accounts import login
from tests.support.archive_packages import trusting_receiver
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.jobs import wait_for_job
from tests.support.pages import csrf_of, page_text, redirected, signed_in
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"scopes-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _record(package: bytes) -> dict[str, object]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        (name,) = [
            n for n in archive.namelist() if n.endswith("data/metadata/descriptive/record.json")
        ]
        found: dict[str, object] = json.loads(archive.read(name))
    return found


def _made(
    backend: Backend, client: TestClient, headers: dict[str, str], body: dict[str, str]
) -> bytes:
    asked = client.post("/api/v1/archive/exports", headers=headers, json=body)
    assert asked.status_code == 202, asked.text
    assert wait_for_job(backend.services.sessions, asked.json()["job_id"]).state == "succeeded"
    (shown,) = [
        e
        for e in client.get("/api/v1/archive/exports", headers=headers).json()
        if e["id"] == asked.json()["id"]
    ]
    assert shown["status"] == "done" and shown["scope"] == body["scope"]
    downloaded = client.get(shown["download"], headers=headers)
    assert downloaded.status_code == 200
    return downloaded.content


def test_a_case_a_series_and_an_officials_records_each_make_a_package_that_checks(
    backend: Backend, client: TestClient, auth: Auth, tmp_path: Path
) -> None:
    archivist = auth("archivista")
    # A case: a letter registered, then the registry number names it.
    entry = upload_and_register(client, auth("registro"), "Oficio de la Procuraduría")
    case = _made(backend, client, archivist, {"scope": "case", "id": entry["number"]})
    record = _record(case)
    assert record["scope"] == {"kind": "case", "id": entry["case_id"], "label": entry["number"]}
    documents = record["documents"]
    assert isinstance(documents, list) and len(documents) == 1
    assert documents[0]["dossier_id"] is None
    (tmp_path / "case.zip").write_bytes(case)
    report = check(tmp_path / "case.zip")
    assert report.verdict in ("valid", "indeterminate") and not report.problems, report.problems
    assert any("leaves are proven" in line for line in report.checked)

    # A series: the payment dossier is filed under PAG (demo seed).
    with backend.services.sessions() as db:
        code = db.scalar(
            select(ClassificationNode.full_code).where(ClassificationNode.code == "PAG").limit(1)
        )
        payment = db.scalar(select(Dossier.id).where(Dossier.title == PAYMENT_DOSSIER_TITLE))
    assert code is not None and payment is not None
    series = _made(backend, client, archivist, {"scope": "series", "id": code})
    record = _record(series)
    dossiers = record["dossiers"]
    assert isinstance(dossiers, list)
    assert [d["id"] for d in dossiers] == [str(payment)]
    assert dossiers[0]["classification"]["code"] == code
    (tmp_path / "series.zip").write_bytes(series)
    assert not check(tmp_path / "series.zip").problems

    # An official's handover: the dossiers they opened whole, and their other documents.
    handover = _made(backend, client, archivist, {"scope": "official", "id": "preparador"})
    record = _record(handover)
    dossiers = record["dossiers"]
    documents = record["documents"]
    assert isinstance(dossiers, list) and isinstance(documents, list)
    assert str(payment) in {d["id"] for d in dossiers}
    inside = {d for dossier in dossiers for d in dossier["documents"]}
    assert {d["id"] for d in documents if d["dossier_id"]} == inside
    (tmp_path / "handover.zip").write_bytes(handover)
    assert not check(tmp_path / "handover.zip").problems

    # Unknown names are 404s; who is not an archivist may not.
    for body, code_ in (
        ({"scope": "case", "id": "DAJ-E-1999-000001"}, "case_not_found"),
        ({"scope": "series", "id": "NO.SUCH"}, "series_not_found"),
        ({"scope": "official", "id": "nadie"}, "user_not_found"),
    ):
        missing = client.post("/api/v1/archive/exports", headers=archivist, json=body)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == code_
    refused = client.post(
        "/api/v1/archive/exports",
        headers=auth("preparador"),
        json={"scope": "official", "id": "preparador"},
    )
    assert refused.status_code == 403


def test_the_cli_exports_a_case_and_an_official(
    backend: Backend, client: TestClient, auth: Auth, tmp_path: Path
) -> None:
    entry = upload_and_register(client, auth("registro"), "Oficio para la línea de comandos")
    env = {**backend.settings_env(), "PATH": str(Path(sys.executable).parent)}
    for option, value, name in (
        ("--case", entry["number"], "case.zip"),
        ("--official", "registro", "official.zip"),
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "docsvc",
                "archive",
                "export",
                option,
                value,
                "-o",
                str(tmp_path / name),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert not check(tmp_path / name).problems
    # Two scopes at once, or ENI for a case: a usage error.
    both = subprocess.run(
        [
            sys.executable,
            "-m",
            "docsvc",
            "archive",
            "export",
            "--case",
            entry["number"],
            "--official",
            "registro",
            "-o",
            str(tmp_path / "x.zip"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert both.returncode == 2


def test_an_archivist_asks_for_a_handover_package_in_the_pages_and_another_instance_imports_it(
    backend: Backend,
    client: TestClient,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    del client  # the origin's app runs its jobs
    browser = signed_in(TestClient(create_app(backend.settings, backend.services)), "archivista")
    assert "Paquetes de archivo de un caso, una serie o los documentos de una persona" in page_text(
        browser.get("/archivo").text
    )
    page = browser.get("/archivo/paquetes").text
    assert "Qué contiene el paquete" in page_text(page)
    asked = browser.post(
        "/archivo/paquetes",
        data={"csrf_token": csrf_of(page), "scope": "official", "id": "preparador"},
        follow_redirects=False,
    )
    redirected(asked, r"/archivo/paquetes\?hecho=export_requested")
    with backend.services.sessions() as db:
        job_id = db.scalar(select(ArchiveExport.job_id).order_by(ArchiveExport.created_at.desc()))
    assert job_id is not None
    assert wait_for_job(backend.services.sessions, job_id).state == "succeeded"
    shown = browser.get("/archivo/paquetes").text
    text = page_text(shown)
    assert "Documentos de" in text and "Listo" in text
    bad = browser.post(
        "/archivo/paquetes",
        data={"csrf_token": csrf_of(shown), "scope": "series", "id": "NO.EXISTE"},
    )
    assert bad.status_code == 404 and "NO.EXISTE" in bad.text
    link = next(
        part.split('"')[0]
        for part in shown.split('href="')[1:]
        if part.startswith("/archivo/paquetes/")
    )
    package = browser.get(link)
    assert package.status_code == 200
    assert "paquete-official-preparador.zip" in package.headers["content-disposition"]

    # Another institution that trusts the origin's root imports it: one closed dossier
    # per dossier in it, and one more for the records outside any.
    receiver = trusting_receiver(backend, request, tmp_path_factory)
    services = receiver.services
    try:
        with receiver.client() as receiving:
            archivist = login(receiving, "archivista")
            sent = receiving.post(
                "/api/v1/archive/imports",
                headers=archivist,
                files={"file": ("handover.zip", package.content, "application/zip")},
            )
            assert sent.status_code == 202, sent.text
            wait_for_job(services.sessions, sent.json()["job_id"])
            result = receiving.get(
                f"/api/v1/archive/imports/{sent.json()['id']}", headers=archivist
            ).json()
            assert result["status"] == "done" and not result["problems"], result
            record = _record(package.content)
            dossiers = record["dossiers"]
            documents = record["documents"]
            assert isinstance(dossiers, list) and isinstance(documents, list)
            loose = any(d["dossier_id"] is None for d in documents)
            assert len(result["dossier_ids"]) == len(dossiers) + (1 if loose else 0)
            assert result["origin_evidence"]["verified"] is True
            titles = set()
            for dossier_id in result["dossier_ids"]:
                here = receiving.get(f"/api/v1/dossiers/{dossier_id}", headers=archivist).json()
                assert here["status"] == "closed"
                titles.add(here["title"])
            assert PAYMENT_DOSSIER_TITLE in titles
            # The provenance shows on each imported dossier's page.
            pages = signed_in(TestClient(create_app(receiver.settings, services)), "archivista")
            for dossier_id in result["dossier_ids"]:
                assert "Procedencia" in page_text(pages.get(f"/expedientes/{dossier_id}").text)
    finally:
        services.close()
