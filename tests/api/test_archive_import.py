"""Importing another institution's archival package (docsvc/archival/imports.py) on both
backends: Scenario B's sealed dossier, exported by one instance as an E-ARK SIP and as an
ENI expediente, is imported by a second instance that trusts the first one's roots. The
documents keep their bytes and signatures, the second instance's verifier agrees with the
first's verdicts, and the origin's register proofs stay attached and verify again. A
changed file, a wrong register key, a package that is not one, or an importer who is not
an archivist are each refused, and nothing is written."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from archive.package import unpack
from docsvc.app import create_app
from docsvc.archival.eni_export import export_eni
from docsvc.archival.exports import export_dossier
from docsvc.ledger.audit import Findings
from docsvc.ledger.checkpoints import verifier_key
from docsvc.locale import translator
from docsvc.models import ArchiveExport, ArchiveImport, Dossier, ImportStatus
from docsvc.register.metadata_check import check_metadata
from tests.support.accounts import login
from tests.support.archive_packages import seal_payment_dossier, trusting_receiver
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.jobs import wait_for_job
from tests.support.pages import csrf_of, page_text, redirected, signed_in, submit

Auth = Callable[[str], dict[str, str]]
ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """The origin institution."""
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"origin-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def receiver(
    backend: Backend, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """The second institution, which trusts the origin's root."""
    built = trusting_receiver(backend, request, tmp_path_factory)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def receiving(receiver: Backend) -> Iterator[TestClient]:
    with receiver.client() as client:
        yield client


@pytest.fixture(scope="module")
def sealed(backend: Backend, client: TestClient, auth: Auth) -> str:
    return seal_payment_dossier(backend, client, auth)


@pytest.fixture(scope="module")
def eark(backend: Backend, sealed: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("eark") / "expediente.zip"
    with backend.services.sessions() as db:
        export_dossier(db, backend.services, uuid.UUID(sealed), target, translator("es"))
        db.commit()
    return target


@pytest.fixture(scope="module")
def eni(backend: Backend, sealed: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("eni") / "expediente-eni.zip"
    with backend.services.sessions() as db:
        export_eni(db, backend.services, uuid.UUID(sealed), target)
    return target


def _send(
    receiver: Backend, client: TestClient, headers: dict[str, str], package: Path, **fields: str
) -> dict[str, object]:
    sent = client.post(
        "/api/v1/archive/imports",
        headers=headers,
        files={"file": (package.name, package.read_bytes(), "application/zip")},
        data=fields,
    )
    assert sent.status_code == 202, sent.text
    body = sent.json()
    assert body["status"] == "queued"
    wait_for_job(receiver.services.sessions, body["job_id"])
    detail = client.get(f"/api/v1/archive/imports/{body['id']}", headers=headers)
    assert detail.status_code == 200, detail.text
    result: dict[str, object] = detail.json()
    return result


def _dossier_count(receiver: Backend) -> int:
    with receiver.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(Dossier)) or 0


def _origin_verdicts(package: Path, into: Path) -> dict[str, str]:
    """Each version's verdict at the origin, by SHA-256, as its record.json says."""
    root = unpack(package, into) / "data"
    record = json.loads((root / "metadata/descriptive/record.json").read_text())
    return {v["sha256"]: v["verdict"] for d in record["documents"] for v in d["versions"]}


def test_the_sealed_dossier_is_imported_and_the_second_instance_agrees(
    receiver: Backend,
    receiving: TestClient,
    client: TestClient,
    auth: Auth,
    eark: Path,
    sealed: str,
    tmp_path: Path,
) -> None:
    archivist = login(receiving, "archivista")
    before = _dossier_count(receiver)
    result = _send(receiver, receiving, archivist, eark)
    assert result["status"] == ImportStatus.done.value, result
    assert result["format"] == "eark"
    assert result["verdict"] == "valid", result
    assert result["problems"] == [] and result["doubts"] == []
    assert result["package_sha256"] == hashlib.sha256(eark.read_bytes()).hexdigest()
    assert _dossier_count(receiver) == before + 1

    # The origin's dossier, with every version of every document.
    origin = client.get(f"/api/v1/dossiers/{sealed}", headers=auth("preparador")).json()
    origin_verdicts = _origin_verdicts(eark, tmp_path)
    documents = result["documents"]
    assert isinstance(documents, list)
    assert len(documents) == len(origin["items"]) + 1  # and the signed index
    imported = {v["sha256"]: v for d in documents for v in d["versions"]}
    assert set(imported) == set(origin_verdicts)
    # The second instance's verdict on each version is the origin's.
    for sha256, version in imported.items():
        assert version["verdict"] == version["origin_verdict"] == origin_verdicts[sha256]

    # The dossier here: closed, in the origin's order, with its signed index; each
    # document's bytes are the origin's, so its hash and signatures.
    dossier = receiving.get(f"/api/v1/dossiers/{result['dossier_id']}", headers=archivist)
    assert dossier.status_code == 200, dossier.text
    here = dossier.json()
    assert here["status"] == "closed"
    assert here["sealed_index_id"] is not None
    assert [i["sha256"] for i in here["items"]] == [i["sha256"] for i in origin["items"]]
    for item in here["items"]:
        content = receiving.get(
            f"/api/v1/documents/{item['document_id']}/content", headers=archivist
        )
        assert content.status_code == 200
        assert hashlib.sha256(content.content).hexdigest() == item["sha256"]
        # The public verifier of the second instance judges it as the first one does.
        theirs = client.post("/api/v1/verify", files={"file": ("d.pdf", content.content)})
        ours = receiving.post("/api/v1/verify", files={"file": ("d.pdf", content.content)})
        assert theirs.status_code == ours.status_code == 200
        assert ours.json()["verdict"] == theirs.json()["verdict"] == "valid"

    # The origin's register proofs stay attached and verify again, offline.
    evidence = result["origin_evidence"]
    assert isinstance(evidence, dict)
    assert evidence["verified"] is True, evidence
    assert evidence["versions_proven"] == evidence["versions"] == len(imported)
    assert evidence["leaves"] > len(imported)
    with receiver.services.sessions() as db:
        record = db.get(ArchiveImport, uuid.UUID(str(result["id"])))
        assert record is not None and record.origin_checkpoint.count("\n") >= 3
        # This register recorded each imported version and the import, and still agrees
        # with the rows.
        findings = Findings()
        check_metadata(db, findings)
        assert findings.ok, findings.problems


def _rezip(bag_dir: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as out:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                out.write(path, f"{bag_dir.name}/{path.relative_to(bag_dir).as_posix()}")
    return target


def test_a_changed_file_is_refused_and_nothing_is_imported(
    receiver: Backend, receiving: TestClient, eark: Path, tmp_path: Path
) -> None:
    bag_dir = unpack(eark, tmp_path / "bag")
    signed = sorted((bag_dir / "data/representations/rep1/data").rglob("v2.pdf"))[0]
    data = bytearray(signed.read_bytes())
    data[len(data) // 2] ^= 0x01
    signed.write_bytes(bytes(data))
    changed = _rezip(bag_dir, tmp_path / "changed.zip")
    before = _dossier_count(receiver)
    result = _send(receiver, receiving, login(receiving, "archivista"), changed)
    assert result["status"] == ImportStatus.refused.value
    assert result["verdict"] == "invalid"
    assert result["dossier_id"] is None and result["documents"] == []
    problems = result["problems"]
    assert isinstance(problems, list) and any("bag" in p for p in problems), problems
    assert _dossier_count(receiver) == before


def test_a_register_key_that_is_not_the_origins_is_refused(
    receiver: Backend, receiving: TestClient, eark: Path
) -> None:
    # The receiver's own register key: a real key, and not the one that signed the
    # origin's checkpoint.
    key = verifier_key(receiver.services.keys)
    before = _dossier_count(receiver)
    result = _send(receiver, receiving, login(receiving, "archivista"), eark, register_key=str(key))
    assert result["status"] == ImportStatus.refused.value
    problems = result["problems"]
    assert isinstance(problems, list)
    assert any("checkpoint does not verify" in p for p in problems), problems
    assert _dossier_count(receiver) == before


def test_the_eni_expediente_is_imported_with_its_signed_index(
    receiver: Backend, receiving: TestClient, eni: Path, tmp_path: Path
) -> None:
    archivist = login(receiving, "archivista")
    result = _send(receiver, receiving, archivist, eni)
    assert result["status"] == ImportStatus.done.value, result
    assert result["format"] == "eni"
    assert result["verdict"] == "valid", result
    assert str(result["origin_identifier"]).startswith("ES_EA9999999_")
    with zipfile.ZipFile(eni) as archive:
        pdfs = {
            hashlib.sha256(archive.read(n)).hexdigest()
            for n in archive.namelist()
            if n.endswith(".pdf")
        }
    documents = result["documents"]
    assert isinstance(documents, list)
    assert {d["versions"][0]["sha256"] for d in documents} == pdfs
    assert all(d["versions"][0]["verdict"] == "valid" for d in documents)
    evidence = result["origin_evidence"]
    assert isinstance(evidence, dict) and evidence["verified"] is True
    assert evidence["versions_proven"] == len(pdfs)

    # A document changed after the index was sealed: refused whole.
    changed = tmp_path / "changed-eni.zip"
    with zipfile.ZipFile(eni) as source, zipfile.ZipFile(changed, "w") as out:
        first = True
        for name in source.namelist():
            data = source.read(name)
            if first and name.endswith(".pdf"):
                data = data.replace(b"%%EOF", b"%%EOF\n%", 1)
                first = False
            out.writestr(name, data)
    before = _dossier_count(receiver)
    refused = _send(receiver, receiving, archivist, changed)
    assert refused["status"] == ImportStatus.refused.value
    problems = refused["problems"]
    assert isinstance(problems, list)
    assert any("not the document its index lists" in p for p in problems), problems
    assert _dossier_count(receiver) == before


def test_what_is_not_a_package_and_who_is_not_an_archivist_are_refused(
    receiver: Backend, receiving: TestClient, eark: Path
) -> None:
    archivist = login(receiving, "archivista")
    not_zip = _send(receiver, receiving, archivist, ROOT / "README.md")
    assert not_zip["status"] == ImportStatus.refused.value
    problems = not_zip["problems"]
    assert isinstance(problems, list) and "not a package" in problems[0]
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("hola.txt", "nada")
    sent = receiving.post(
        "/api/v1/archive/imports",
        headers=archivist,
        files={"file": ("hola.zip", empty.getvalue(), "application/zip")},
    )
    assert sent.status_code == 202
    wait_for_job(receiver.services.sessions, sent.json()["job_id"])
    neither = receiving.get(f"/api/v1/archive/imports/{sent.json()['id']}", headers=archivist)
    assert neither.json()["status"] == ImportStatus.refused.value
    # An official who is not an archivist may not import, nor list the imports.
    official = login(receiving, "preparador")
    refused = receiving.post(
        "/api/v1/archive/imports",
        headers=official,
        files={"file": ("expediente.zip", eark.read_bytes(), "application/zip")},
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_importer"
    assert receiving.get("/api/v1/archive/imports", headers=official).status_code == 403
    listed = receiving.get("/api/v1/archive/imports", headers=archivist).json()
    assert {i["status"] for i in listed} >= {"refused"}


def test_the_cli_imports_and_says_when_the_origin_is_not_trusted(
    receiver: Backend, eark: Path, tmp_path: Path
) -> None:
    """``docsvc archive import``: here the receiver trusts only its own root, so the
    signatures are indeterminate: imported, with the doubts said."""
    env = {
        **receiver.settings_env(),
        "DOCSVC_TRUST_ROOTS": json.dumps([str(receiver.settings.pki_dir / "root.pem")]),
        "PATH": str(Path(sys.executable).parent),
    }
    before = _dossier_count(receiver)
    done = subprocess.run(
        [sys.executable, "-m", "docsvc", "archive", "import", str(eark), "--by", "archivista"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "DOUBT:" in done.stdout and "(indeterminate)" in done.stdout
    assert _dossier_count(receiver) == before + 1
    # A bag whose checkpoint was changed: exit 1, nothing written.
    bag_dir = unpack(eark, tmp_path / "bag")
    checkpoint = bag_dir / "data/metadata/preservation/register-checkpoint.txt"
    lines = checkpoint.read_text().splitlines(keepends=True)
    lines[1] = str(int(lines[1]) + 1) + "\n"
    checkpoint.write_text("".join(lines))
    shutil.rmtree(bag_dir / "data" / "representations" / "rep1" / "metadata")
    refused = subprocess.run(
        [sys.executable, "-m", "docsvc", "archive", "import", str(bag_dir), "--by", "archivista"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refused" in refused.stdout
    assert _dossier_count(receiver) == before + 1


def _browser(backend: Backend, username: str) -> TestClient:
    return signed_in(TestClient(create_app(backend.settings, backend.services)), username)


def test_an_archivist_exports_as_eni_and_another_institution_imports_it_in_the_pages(
    backend: Backend, receiver: Backend, receiving: TestClient, sealed: str
) -> None:
    """``receiving`` is the other institution's app, whose job runner imports."""
    del receiving
    # At the origin, the dossier's page makes the ENI expediente.
    origin = _browser(backend, "archivista")
    page_url = f"/expedientes/{sealed}"
    assert "Exportar como expediente ENI" in page_text(origin.get(page_url).text)
    asked = submit(origin, page_url, f"{page_url}/exportar", format="eni")
    redirected(asked, rf"{page_url}\?hecho=export_requested#paquete")
    with backend.services.sessions() as db:
        job_id = db.scalar(select(ArchiveExport.job_id).order_by(ArchiveExport.created_at.desc()))
    assert job_id is not None
    assert wait_for_job(backend.services.sessions, job_id).state == "succeeded"
    shown = origin.get(page_url).text
    assert "Expediente ENI" in page_text(shown)
    link = re.findall(r'href="(/expedientes/[^"]+/paquetes/[^"]+\.zip)"', shown)[0]
    downloaded = origin.get(link)
    assert downloaded.status_code == 200
    assert "-eni.zip" in downloaded.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(downloaded.content)) as archive:
        assert "expediente.xml" in archive.namelist()

    # At the other institution, the archivist sends it from the archive's pages.
    archivist = _browser(receiver, "archivista")
    hub = page_text(archivist.get("/archivo").text)
    assert "Importar paquetes de archivo de otra institución" in hub
    form = archivist.get("/archivo/importaciones").text
    assert "Comprobar e importar" in page_text(form)
    sent = archivist.post(
        "/archivo/importaciones",
        data={"csrf_token": csrf_of(form), "register_key": ""},
        files={"file": ("expediente-eni.zip", downloaded.content, "application/zip")},
        follow_redirects=False,
    )
    where = redirected(sent, r"/archivo/importaciones/[0-9a-f-]{36}\?hecho=import_requested")
    import_id = where.split("/")[-1].split("?")[0]
    with receiver.services.sessions() as db:
        record = db.get(ArchiveImport, uuid.UUID(import_id))
        assert record is not None and record.job_id is not None
        job = record.job_id
    assert wait_for_job(receiver.services.sessions, job).state == "succeeded"
    text = page_text(archivist.get(f"/archivo/importaciones/{import_id}").text)
    assert "Importada" in text and "Expediente ENI" in text, text
    assert "Verificado" in text and "válida" in text
    for english in ("Imported", "Verified", "Origin", "valid"):
        assert english not in text
    dossier = archivist.get(f"/archivo/importaciones/{import_id}/expediente")
    assert dossier.status_code == 200
    assert "Procedencia" in page_text(dossier.text)
    listed = page_text(archivist.get("/archivo/importaciones").text)
    assert "expediente-eni.zip" in listed
    # An official who is not an archivist does not see the import pages.
    official = _browser(receiver, "preparador")
    assert official.get("/archivo/importaciones").status_code == 403
    refused = official.post(
        "/archivo/importaciones",
        data={"csrf_token": csrf_of(official.get("/bandeja").text)},
        files={"file": ("x.zip", b"PK", "application/zip")},
    )
    assert refused.status_code == 403
