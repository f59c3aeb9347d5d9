"""Register entries through the API: gapless registry numbers per department, direction and
year (also under concurrent registrations, on SQLite and PostgreSQL), annulment that keeps
the number, and refusals that consume no number."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import transparency as merkle
from docsvc.ledger import log
from docsvc.models import LogLeaf, RegisterEntry
from docsvc.register import service as register
from docsvc.register.schemas import EntryIn
from tests.support.backends import Backend
from tests.support.pdfs import unique_pdf
from tests.support.register import actor_of
from transparency import MemoryTree, leaf_hash

Auth = Callable[[str], dict[str, str]]


def _year(backend: Backend) -> int:
    return register.local_year(backend.settings, datetime.now(UTC))


def _upload(client: TestClient, headers: dict[str, str], title: str, **fields: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": title, **fields},
        files={"file": ("oficio.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _register(
    client: TestClient, headers: dict[str, str], document_id: str, direction: str = "incoming"
) -> dict:
    response = client.post(
        "/api/v1/register/entries",
        headers=headers,
        json={
            "direction": direction,
            "document_id": document_id,
            "subject": "Solicitud de expediente laboral",
            "counterpart": "Procuraduría General del Estado",
            "document_date": "2026-11-20",
        },
    )
    assert response.status_code == 201, response.text
    entry: dict = response.json()
    return entry


def _count(backend: Backend) -> int:
    with backend.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(RegisterEntry)) or 0


def test_numbers_follow_each_other_per_department_direction_and_year(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk = auth("registro")  # DAJ's registry clerk
    year = _year(backend)
    letters = [_upload(client, clerk, f"Oficio {n}") for n in range(3)]
    incoming = [_register(client, clerk, d) for d in letters[:2]]
    outgoing = _register(client, clerk, letters[2], "outgoing")
    assert [e["number"] for e in incoming] == [f"DAJ-E-{year}-000001", f"DAJ-E-{year}-000002"]
    assert outgoing["number"] == f"DAJ-S-{year}-000001"
    assert incoming[0]["subject"] == "Solicitud de expediente laboral"
    assert incoming[0]["document_date"] == "2026-11-20"
    # Another department counts on its own.
    dps = auth("preparador")
    other = _register(client, dps, _upload(client, dps, "Oficio de programas"))
    assert other["number"] == f"DPS-E-{year}-000001"

    # Each department reads its own register; the auditor reads every one.
    mine = client.get("/api/v1/register/entries", headers=clerk).json()
    assert {e["number"][:3] for e in mine["items"]} == {"DAJ"}
    only_in = client.get(
        "/api/v1/register/entries", headers=clerk, params={"direction": "incoming", "year": year}
    ).json()
    assert [e["number"] for e in only_in["items"]][:2] == [
        f"DAJ-E-{year}-000002",
        f"DAJ-E-{year}-000001",
    ]
    everything = client.get("/api/v1/register/entries", headers=auth("auditora")).json()
    assert {"DAJ", "DPS"} <= {e["number"][:3] for e in everything["items"]}
    by_document = client.get(
        "/api/v1/register/entries", headers=clerk, params={"document_id": letters[0]}
    ).json()
    assert [e["number"] for e in by_document["items"]] == [f"DAJ-E-{year}-000001"]
    assert client.get(f"/api/v1/register/entries/{other['id']}", headers=clerk).status_code == 404
    refused = client.get(
        "/api/v1/register/entries", headers=clerk, params={"department_id": other["department_id"]}
    )
    assert refused.status_code == 403


def test_an_annulled_entry_keeps_its_number_and_the_next_one_follows(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk = auth("registro")
    first = _register(client, clerk, _upload(client, clerk, "Oficio por anular"))
    too_short = client.post(
        f"/api/v1/register/entries/{first['id']}/annul", headers=clerk, json={"reason": "x"}
    )
    assert too_short.status_code == 422
    # Other departments' staff do not see it, registry clerks included.
    for user, status in (("financiero", 404), ("preparador", 404)):
        response = client.post(
            f"/api/v1/register/entries/{first['id']}/annul",
            headers=auth(user),
            json={"reason": "Registrado por error"},
        )
        assert response.status_code == status, (user, response.text)
    annulled = client.post(
        f"/api/v1/register/entries/{first['id']}/annul",
        headers=clerk,
        json={"reason": "Registrado dos veces por error"},
    )
    assert annulled.status_code == 200, annulled.text
    body = annulled.json()
    assert body["annulled"] and body["number"] == first["number"]
    assert body["annulment_reason"] == "Registrado dos veces por error"
    again = client.post(
        f"/api/v1/register/entries/{first['id']}/annul",
        headers=clerk,
        json={"reason": "Otra vez"},
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_annulled"
    following = _register(client, clerk, _upload(client, clerk, "Oficio siguiente"))
    assert following["sequence"] == first["sequence"] + 1
    # Still there, still numbered, and its annulment is in the audit log.
    kept = client.get(f"/api/v1/register/entries/{first['id']}", headers=clerk).json()
    assert kept["annulled"] and kept["number"] == first["number"]
    events = client.get(
        "/api/v1/audit/events",
        headers=auth("auditora"),
        params={"action": "register.annul", "object_id": first["id"]},
    ).json()["items"]
    assert len(events) == 1 and events[0]["details"]["number"] == first["number"]


def test_refused_registrations_consume_no_number(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk = auth("registro")
    before = _register(client, clerk, _upload(client, clerk, "Oficio antes"))
    count = _count(backend)
    official = auth("financiero")  # an official, not registry staff
    doc = _upload(client, official, "Oficio financiero")
    # A confidential document of another department is not the clerk's to register.
    secret = _upload(client, auth("rrhh"), "Sumario reservado", confidentiality="confidential")
    refusals = [
        (official, {"document_id": doc}, 403, "not_registry_staff"),
        (clerk, {"document_id": str(uuid.uuid4())}, 404, "document_not_found"),
        (clerk, {"document_id": secret}, 404, "document_not_found"),
        (clerk, {"dossier_id": str(uuid.uuid4())}, 404, "dossier_not_found"),
    ]
    for headers, target, status, code in refusals:
        response = client.post(
            "/api/v1/register/entries",
            headers=headers,
            json={"direction": "incoming", "subject": "Asunto", "counterpart": "Remitente"}
            | target,
        )
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    both = client.post(
        "/api/v1/register/entries",
        headers=clerk,
        json={
            "direction": "incoming",
            "subject": "Asunto",
            "counterpart": "Remitente",
            "document_id": doc,
            "dossier_id": str(uuid.uuid4()),
        },
    )
    assert both.status_code == 422
    other_department = client.post(
        "/api/v1/register/entries",
        headers=clerk,
        json={
            "direction": "incoming",
            "subject": "Asunto",
            "counterpart": "Remitente",
            "document_id": doc,
            "department_id": str(uuid.uuid4()),
        },
    )
    assert other_department.status_code == 403
    assert _count(backend) == count
    after = _register(client, clerk, doc)
    assert after["sequence"] == before["sequence"] + 1


def test_concurrent_registrations_get_gapless_unique_numbers(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    """Eight workers register at once in one department, each in its own transaction; every
    third transaction fails after taking its number and rolls back. The numbers that exist
    are consecutive, with none twice."""
    clerk = auth("registro")
    documents = [_upload(client, clerk, f"Oficio concurrente {n}") for n in range(8)]
    actor = actor_of(backend, "registro")
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    numbers: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        try:
            start.wait()
            for round_ in range(6):
                with backend.services.sessions() as db:
                    entry = register.create_entry(
                        db,
                        backend.settings,
                        actor,
                        EntryIn(
                            direction="outgoing",
                            subject=f"Respuesta {index}-{round_}",
                            counterpart="Destinatario",
                            document_id=uuid.UUID(documents[index]),
                        ),
                    )
                    if (index + round_) % 3 == 0:
                        db.rollback()  # failed after numbering: the number goes back
                        continue
                    db.commit()
                with lock:
                    numbers.append(entry.number)
        except BaseException as exc:  # reported below, with the worker's failure
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(numbers) == len(set(numbers))
    with backend.services.sessions() as db:
        department_id = actor.department_id
        sequences = sorted(
            db.scalars(
                select(RegisterEntry.sequence).where(
                    RegisterEntry.department_id == department_id,
                    RegisterEntry.direction == "outgoing",
                    RegisterEntry.year == _year(backend),
                )
            )
        )
    assert sequences == list(range(1, len(sequences) + 1))
    assert len(numbers) <= len(sequences)
    assert {int(n.rsplit("-", 1)[1]) for n in numbers} <= set(sequences)
    # The log stayed whole: leaf indexes 0..size-1 with none missing, and the root that
    # its stored subtrees give is the root of its leaves, rehashed from their JSON.
    with backend.services.sessions() as db:
        size = log.log_size(db)
        rows = sorted(
            (int(i), bytes(leaf)) for i, leaf in db.execute(select(LogLeaf.idx, LogLeaf.leaf))
        )
        assert [index for index, _ in rows] == list(range(size))
        rebuilt = MemoryTree()
        for _, leaf in rows:
            rebuilt.append(leaf_hash(leaf))
        assert merkle.root(rebuilt, size) == log.root_at(db, size)


def test_the_registry_year_is_the_institutions_local_year(backend: Backend) -> None:
    new_year_eve_in_quito = datetime(2027, 1, 1, 2, 30, tzinfo=UTC)  # 21:30 on 31 December
    assert register.local_year(backend.settings, new_year_eve_in_quito) == 2026
    assert register.local_year(backend.settings, datetime(2027, 1, 1, 6, tzinfo=UTC)) == 2027
