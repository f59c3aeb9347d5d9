"""Every read, download, creation and change is an audit event; auditors can query the
trail and nobody can edit it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.backends import Backend
from tests.support.documents import upload
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


def _events(client: TestClient, auth: Auth, **params: str) -> list[dict[str, object]]:
    response = client.get("/api/v1/audit/events", headers=auth("auditora"), params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_reads_downloads_and_changes_are_recorded(client: TestClient, auth: Auth) -> None:
    headers = {**auth("registro"), "User-Agent": "pruebas-auditoria/1.0"}
    created = upload(client, headers, unique_pdf())
    doc_id = str(created["id"])
    client.get(f"/api/v1/documents/{doc_id}", headers=headers)
    client.get(f"/api/v1/documents/{doc_id}/content", headers=headers)
    client.post(
        f"/api/v1/documents/{doc_id}/versions",
        headers=headers,
        data={"reason": "corrección"},
        files={"file": ("v2.pdf", unique_pdf(), "application/pdf")},
    )
    actions = [e["action"] for e in _events(client, auth, object_id=doc_id)]
    assert sorted(actions) == sorted(
        ["document.create", "document.read", "document.download", "document.version_add"]
    )
    event = _events(client, auth, object_id=doc_id, action="document.download")[0]
    assert event["actor_username"] == "registro"
    assert event["client_ip"] == "testclient"
    assert event["user_agent"] == "pruebas-auditoria/1.0"
    assert event["details"] == {"version": 1, "sha256": created["latest_version"]["sha256"]}  # type: ignore[index]


def test_only_auditors_read_the_trail(client: TestClient, auth: Auth) -> None:
    for username in ("admin", "ministra", "archivista"):
        response = client.get("/api/v1/audit/events", headers=auth(username))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "auditor_only"
    # Reading the trail is itself recorded: an auditor's first query shows in the next one,
    # whatever other tests ran before on this worker.
    _events(client, auth, action="audit.query")
    assert _events(client, auth, action="audit.query")


def test_no_route_changes_an_event(client: TestClient, auth: Auth) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        response = client.request(method, "/api/v1/audit/events", headers=auth("auditora"))
        assert response.status_code == 405


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET action = 'rewritten'",
        "DELETE FROM audit_events",
        "UPDATE document_versions SET sha256 = 'x'",
        "DELETE FROM document_versions",
    ],
)
def test_the_database_refuses_to_rewrite_history(backend: Backend, statement: str) -> None:
    with backend.services.engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()
