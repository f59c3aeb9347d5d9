"""Dossiers group documents in order."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.documents import upload
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


def test_a_dossier_keeps_its_documents_in_order(client: TestClient, auth: Auth) -> None:
    headers = auth("preparador")
    dossier = client.post(
        "/api/v1/dossiers", headers=headers, json={"title": "Expediente de pago 2026-11"}
    ).json()
    docs = [upload(client, headers, unique_pdf(f"Documento {i}")) for i in range(3)]
    for doc in docs:
        response = client.post(
            f"/api/v1/dossiers/{dossier['id']}/items",
            headers=headers,
            json={"document_id": doc["id"]},
        )
        assert response.status_code == 201, response.text
    body = client.get(f"/api/v1/dossiers/{dossier['id']}", headers=headers).json()
    assert [item["document_id"] for item in body["items"]] == [d["id"] for d in docs]
    assert [item["position"] for item in body["items"]] == [1, 2, 3]
    assert [item["sha256"] for item in body["items"]] == [
        d["latest_version"]["sha256"]
        for d in docs  # type: ignore[index]
    ]

    twice = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=headers,
        json={"document_id": docs[0]["id"]},
    )
    assert twice.status_code == 409
    assert twice.json()["error"]["code"] == "already_in_dossier"

    closed = client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=headers)
    assert closed.json()["status"] == "closed"
    late = upload(client, headers, unique_pdf())
    refused = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items", headers=headers, json={"document_id": late["id"]}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "dossier_closed"

    listed = client.get("/api/v1/dossiers", headers=headers).json()
    summary = next(d for d in listed["items"] if d["id"] == dossier["id"])
    assert summary["item_count"] == 3


def test_the_demo_payment_dossier_holds_scenario_b(client: TestClient, auth: Auth) -> None:
    listed = client.get("/api/v1/dossiers", headers=auth("financiero")).json()
    payment = next(d for d in listed["items"] if d["title"].startswith("Expediente de pago"))
    assert payment["item_count"] == 3
    assert payment["owning_department"] == "DPS"


def test_other_departments_cannot_add_to_a_dossier(client: TestClient, auth: Auth) -> None:
    dossier = client.post(
        "/api/v1/dossiers", headers=auth("preparador"), json={"title": "Ajeno"}
    ).json()
    doc = upload(client, auth("rrhh"), unique_pdf())
    response = client.post(
        f"/api/v1/dossiers/{dossier['id']}/items",
        headers=auth("rrhh"),
        json={"document_id": doc["id"]},
    )
    assert response.status_code == 403
