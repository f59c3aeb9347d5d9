"""Who reads an office's confidential dossier in each archive phase, over every route that
shows it (the API and the pages, the description and the content): its office always;
an archivist once the archive holds it (central, historical, and the stub of what was
disposed of); another office only while the record is lent to it, until its return day
ends. Content eliminated by a disposal answers 410 to everyone."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time

from docsvc.calendar.local import local_date
from docsvc.models import ArchiveHolding
from tests.support.accounts import login
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


def test_a_loan_opens_the_record_to_the_borrower_until_its_return_day(
    backend: Backend, client: TestClient, auth: Auth, record: dict[str, str]
) -> None:
    """Lent until a day: the borrower reads the record until that day ends where the
    institution is, not a moment longer (the clock moved by freezegun); an extension opens
    it again; its return closes it."""
    _set_phase(backend, record["holding"], "central")
    hr, archivist = auth("rrhh"), auth("archivista")
    routes = {name: path for name, (path, _) in _routes(record).items() if path.startswith("/api/")}

    def reads() -> dict[str, int]:
        return {name: client.get(path, headers=hr).status_code for name, path in routes.items()}

    def sign_in_again() -> None:
        # Days later the sessions have expired, as they would for the people.
        nonlocal hr, archivist
        hr, archivist = login(client, "rrhh"), login(client, "archivista")

    asked = client.post(
        "/api/v1/archive/loans",
        headers=hr,
        json={"holding_id": record["holding"], "reason": "Consulta"},
    )
    assert asked.status_code == 201, asked.text
    loan_id = asked.json()["id"]
    today = local_date(backend.settings)
    due = today + timedelta(days=3)
    lent = client.post(
        f"/api/v1/archive/loans/{loan_id}/decision",
        headers=archivist,
        json={"approve": True, "due_on": due.isoformat()},
    )
    assert lent.status_code == 200, lent.text
    assert reads() == dict.fromkeys(routes, 200)
    zone = ZoneInfo(backend.settings.timezone)
    last_minute = datetime.combine(due, time(23, 59), zone)
    with freeze_time(last_minute, tick=True, real_asyncio=True):
        sign_in_again()
        assert reads() == dict.fromkeys(routes, 200)
    next_morning = datetime.combine(due + timedelta(days=1), time(8, 0), zone)
    with freeze_time(next_morning, tick=True, real_asyncio=True):
        sign_in_again()
        assert reads() == dict.fromkeys(routes, 404)
        overdue = client.get("/api/v1/archive/loans?overdue=true", headers=archivist).json()
        assert [loan["id"] for loan in overdue] == [loan_id]
        # The borrower cannot extend it; an archivist can.
        later = {"due_on": (due + timedelta(days=10)).isoformat()}
        refused = client.post(f"/api/v1/archive/loans/{loan_id}/extend", headers=hr, json=later)
        assert refused.status_code == 403
        extended = client.post(
            f"/api/v1/archive/loans/{loan_id}/extend", headers=archivist, json=later
        )
        assert extended.status_code == 200, extended.text
        assert extended.json()["due_on"] == later["due_on"]
        assert reads() == dict.fromkeys(routes, 200)
        returned = client.post(f"/api/v1/archive/loans/{loan_id}/return", headers=hr)
        assert returned.status_code == 200, returned.text
        assert reads() == dict.fromkeys(routes, 404)


def test_the_archivist_reads_the_whole_case_history_once_the_archive_holds_it(
    backend: Backend,
    client: TestClient,
    auth: Auth,
    browser_as: Callable[[str], TestClient],
    record: dict[str, str],
) -> None:
    """The dossier registered as incoming makes a case. The archivist reads every case's
    history, but the details its leaves commit to (titles, subjects, who) only where she
    may read the record: not while a confidential dossier is its office's, all of them
    once the archive holds it, the dossier's own steps (its filing) included."""
    legal, archivist = auth("juridico"), auth("archivista")
    _set_phase(backend, record["holding"], "office")
    entry = client.post(
        "/api/v1/register/entries",
        headers=legal,
        json={
            "direction": "incoming",
            "subject": "Sumario administrativo reservado",
            "counterpart": "Procuraduría General",
            "dossier_id": record["dossier"],
        },
    )
    assert entry.status_code == 201, entry.text
    case = client.get(f"/api/v1/cases/{entry.json()['case_id']}", headers=archivist)
    assert case.status_code == 200, case.text
    items = case.json()["items"]
    kinds = {item["kind"] for item in items}
    assert {"register.entry", "document.version", "archive.filing"} <= kinds, kinds

    def details() -> dict[str, int]:
        return {
            f"{item['kind']} {item['index']}": client.get(
                f"/api/v1/register/leaves/{item['index']}/details", headers=archivist
            ).status_code
            for item in items
        }

    in_the_office = details()
    assert {code for name, code in in_the_office.items() if "register.entry" in name} == {200}
    assert {code for name, code in in_the_office.items() if "document." in name} == {404}
    assert {code for name, code in in_the_office.items() if "archive.filing" in name} == {404}
    _set_phase(backend, record["holding"], "central")
    assert set(details().values()) == {200}
    # The case's page shows them too.
    page = browser_as("archivista").get(f"/casos/{entry.json()['case_id']}")
    assert page.status_code == 200
    assert "Sumario administrativo reservado" in page.text and "Sumario reservado" in page.text
