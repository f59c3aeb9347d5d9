"""Uploading a document through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient


def upload(
    client: TestClient,
    headers: dict[str, str],
    pdf: bytes,
    *,
    filename: str = "oficio.pdf",
    **fields: str,
) -> dict[str, object]:
    data = {"doc_type": "letter", "title": "Oficio de prueba", **fields}
    response = client.post(
        "/api/v1/documents",
        headers=headers,
        data=data,
        files={"file": (filename, pdf, "application/pdf")},
    )
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body
