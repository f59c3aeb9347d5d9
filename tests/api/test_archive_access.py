"""Who reads an office's confidential dossier in each archive phase, over every route that
shows it (the API and the pages, the description and the content): its office always;
an archivist once the archive holds it (central, historical, and the stub of what was
disposed of); another office only while the record is lent to it. Content eliminated by a
disposal answers 410 to everyone."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from docsvc.models import ArchiveHolding, ArchiveLoan, LoanStatus, User
from tests.support.backends import Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
SECRET = "confidential"
PHASES = ("office", "central", "historical", "disposed")
# Who, and whether she reads the description in each phase (office, central, historical,
# disposed).
READERS = {
    "juridico": (True, True, True, True),  # the owning office
    "archivista": (False, True, True, True),  # the archive
    "rrhh": (False, False, False, False),  # another office
    "auditora": (False, False, False, False),  # audits the trail, not the content
}


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("access"), request, pki=True)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def record(client: TestClient, auth: Auth) -> dict[str, str]:
    legal = auth("juridico")
    dossier = client.post(
        "/api/v1/dossiers",
        headers=legal,
        json={"title": "Sumario reservado", "confidentiality": "confidential"},
    ).json()
    document = client.post(
        "/api/v1/documents",
        headers=legal,
        data={
            "doc_type": "letter",
            "title": "Oficio del sumario",
            "confidentiality": "confidential",
        },
        files={"file": ("s.pdf", unique_pdf("Sumario reservado"), "application/pdf")},
    ).json()
    added = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=legal,
        json={"document_id": document["id"]},
    )
    assert added.status_code == 201, added.text
    filed = client.post(
        "/api/v1/archive/holdings",
        headers=legal,
        json={"series_code": "OFI", "dossier_id": dossier["id"]},
    )
    assert filed.status_code == 201, filed.text
    return {"dossier": dossier["id"], "document": document["id"], "holding": filed.json()["id"]}


def _set_phase(backend: Backend, holding_id: str, phase: str) -> None:
    with backend.services.sessions() as db:
        row = db.get(ArchiveHolding, uuid.UUID(holding_id))
        assert row is not None
        row.phase = phase
        db.commit()


def _routes(record: dict[str, str]) -> dict[str, tuple[str, bool]]:
    """Each route, and whether it serves the content (the rest describe the record)."""
    dossier, document = record["dossier"], record["document"]
    return {
        "API dossier": (f"/api/v1/dossiers/{dossier}", False),
        "API document": (f"/api/v1/documents/{document}", False),
        "API content": (f"/api/v1/documents/{document}/content", True),
        "API filing": (f"/api/v1/archive/holdings?dossier_id={dossier}", False),
        "dossier page": (f"/expedientes/{dossier}", False),
        "document page": (f"/documentos/{document}", False),
        "download": (f"/documentos/{document}/descargar", True),
        "preview": (f"/documentos/{document}/versiones/1/paginas/1.png", True),
    }


@pytest.mark.parametrize("phase", PHASES)
def test_the_access_matrix(
    backend: Backend,
    client: TestClient,
    auth: Auth,
    browser_as: Callable[[str], TestClient],
    record: dict[str, str],
    phase: str,
) -> None:
    _set_phase(backend, record["holding"], phase)
    index = PHASES.index(phase)
    found: dict[tuple[str, str], int] = {}
    expected: dict[tuple[str, str], int] = {}
    for username, reads in READERS.items():
        api, pages = auth(username), browser_as(username)
        for name, (path, content) in _routes(record).items():
            asker = client if path.startswith("/api/") else pages
            headers = api if path.startswith("/api/") else {"accept": "text/html"}
            found[(username, name)] = asker.get(path, headers=headers).status_code
            if not reads[index]:
                expected[(username, name)] = 404
            elif content and phase == "disposed":
                expected[(username, name)] = 410
            else:
                expected[(username, name)] = 200
    assert found == expected


def test_a_loan_opens_the_record_to_the_borrower_until_it_is_returned(
    backend: Backend, client: TestClient, auth: Auth, record: dict[str, str]
) -> None:
    _set_phase(backend, record["holding"], "central")
    hr = auth("rrhh")
    routes = {name: path for name, (path, _) in _routes(record).items() if path.startswith("/api/")}
    with backend.services.sessions() as db:
        borrower = db.scalar(select(User).where(User.username == "rrhh"))
        assert borrower is not None
        loan = ArchiveLoan(
            holding_id=uuid.UUID(record["holding"]),
            department_id=borrower.department_id,
            requested_by_id=borrower.id,
            reason="Consulta",
            status=LoanStatus.lent.value,
            due_on=date.today() + timedelta(days=3),
        )
        db.add(loan)
        db.commit()
        loan_id = loan.id
    assert {
        name: client.get(p, headers=hr).status_code for name, p in routes.items()
    } == dict.fromkeys(routes, 200)
    returned = client.post(f"/api/v1/archive/loans/{loan_id}/return", headers=hr)
    assert returned.status_code == 200, returned.text
    assert {
        name: client.get(p, headers=hr).status_code for name, p in routes.items()
    } == dict.fromkeys(routes, 404)
