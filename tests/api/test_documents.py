"""Upload, list and download round-trip the bytes exactly, on both backends."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.documents import upload
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


def test_upload_then_download_returns_the_same_bytes(client: TestClient, auth: Auth) -> None:
    pdf = unique_pdf()
    sha = hashlib.sha256(pdf).hexdigest()
    created = upload(client, auth("registro"), pdf, filename="Oficio Nº 15 — PGE.pdf")
    latest = created["latest_version"]
    assert isinstance(latest, dict)
    assert latest["sha256"] == sha
    assert latest["size"] == len(pdf)
    assert latest["number"] == 1
    assert latest["filename"] == "Oficio Nº 15 — PGE.pdf"

    response = client.get(f"/api/v1/documents/{created['id']}/content", headers=auth("registro"))
    assert response.status_code == 200
    assert response.content == pdf
    assert response.headers["x-content-sha256"] == sha
    assert response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''Oficio%20N%C2%BA%2015" in response.headers["content-disposition"]


def test_every_version_stays_downloadable(client: TestClient, auth: Auth) -> None:
    headers = auth("registro")
    first, second = unique_pdf("Versión uno"), unique_pdf("Versión dos")
    created = upload(client, headers, first)
    response = client.post(
        f"/api/v1/documents/{created['id']}/versions",
        headers=headers,
        data={"reason": "Corrección del número de oficio"},
        files={"file": ("v2.pdf", second, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    versions = response.json()["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["reason"] == "Corrección del número de oficio"
    assert versions[1]["author_id"] == versions[0]["author_id"]

    for number, pdf in ((1, first), (2, second)):
        got = client.get(
            f"/api/v1/documents/{created['id']}/versions/{number}/content", headers=headers
        )
        assert got.status_code == 200
        assert got.content == pdf
        assert hashlib.sha256(got.content).hexdigest() == versions[number - 1]["sha256"]
    latest = client.get(f"/api/v1/documents/{created['id']}/content", headers=headers)
    assert latest.content == second

    missing = client.get(f"/api/v1/documents/{created['id']}/versions/3/content", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "version_not_found"


def test_a_new_version_needs_a_reason(client: TestClient, auth: Auth) -> None:
    headers = auth("registro")
    created = upload(client, headers, unique_pdf())
    response = client.post(
        f"/api/v1/documents/{created['id']}/versions",
        headers=headers,
        files={"file": ("v2.pdf", unique_pdf(), "application/pdf")},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "reason_required"


def test_listing_filters_and_paginates(client: TestClient, auth: Auth) -> None:
    headers = auth("juridico")
    tag = hashlib.sha256(unique_pdf()).hexdigest()[:10]
    ids = []
    for i in range(5):
        created = upload(
            client,
            headers,
            unique_pdf(),
            doc_type="report" if i % 2 else "request",
            title=f"Informe {tag} número {i}",
        )
        ids.append(created["id"])

    page = client.get("/api/v1/documents", headers=headers, params={"q": tag, "limit": 2})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 5
    assert len(body["items"]) == 2
    rest = client.get(
        "/api/v1/documents", headers=headers, params={"q": tag, "limit": 10, "offset": 2}
    ).json()
    seen = [item["id"] for item in body["items"]] + [item["id"] for item in rest["items"]]
    assert sorted(seen) == sorted(ids)

    reports = client.get(
        "/api/v1/documents", headers=headers, params={"q": tag, "doc_type": "report"}
    ).json()
    assert reports["total"] == 2
    assert all(item["doc_type"] == "report" for item in reports["items"])
    by_department = client.get(
        "/api/v1/documents", headers=headers, params={"q": tag, "department": "DAJ"}
    ).json()
    assert by_department["total"] == 5
    for item in body["items"]:
        listed_sha = item["latest_version"]["sha256"]
        content = client.get(f"/api/v1/documents/{item['id']}/content", headers=headers).content
        assert hashlib.sha256(content).hexdigest() == listed_sha


def test_bad_filter_values_are_a_clear_422(client: TestClient, auth: Auth) -> None:
    response = client.get(
        "/api/v1/documents", headers=auth("juridico"), params={"doc_type": "memo", "limit": 0}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_demo_data_is_listed(client: TestClient, auth: Auth) -> None:
    body = client.get("/api/v1/documents", headers=auth("preparador")).json()
    assert body["total"] >= 3
    departments = client.get("/api/v1/departments", headers=auth("preparador")).json()
    assert {"DM", "DAJ", "DRH", "DF", "DPS", "DAG"} <= {d["code"] for d in departments}
