"""Departments and roles: nobody sees another department's confidential documents unless
they were sent to them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient

from docsvc.models import DocumentAccess
from docsvc.organisation.repository import department_by_code
from tests.support.backends import Backend
from tests.support.documents import upload
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


def _visible_ids(client: TestClient, headers: dict[str, str], q: str) -> set[str]:
    body = client.get("/api/v1/documents", headers=headers, params={"q": q}).json()
    return {item["id"] for item in body["items"]}


def test_confidential_documents_stay_in_their_department(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    tag = uuid.uuid4().hex[:12]
    secret = upload(
        client,
        auth("registro"),
        unique_pdf(),
        title=f"Reservado {tag}",
        confidentiality="confidential",
    )
    internal = upload(client, auth("registro"), unique_pdf(), title=f"Interno {tag}")

    # Same department: both.
    assert _visible_ids(client, auth("juridico"), tag) == {secret["id"], internal["id"]}
    # Another department: only the internal one, and the confidential one is a 404 on every
    # route, exactly like an absent document.
    outsider = auth("rrhh")
    assert _visible_ids(client, outsider, tag) == {internal["id"]}
    for path in (
        f"/api/v1/documents/{secret['id']}",
        f"/api/v1/documents/{secret['id']}/content",
        f"/api/v1/documents/{secret['id']}/versions/1/content",
    ):
        response = client.get(path, headers=outsider)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "document_not_found"
    assert client.get(f"/api/v1/documents/{internal['id']}", headers=outsider).status_code == 200

    # Once sent to HR (a transfer, issue 5, grants this), HR sees it.
    with backend.services.sessions() as db:
        hr = department_by_code(db, "DRH")
        assert hr is not None
        db.add(
            DocumentAccess(
                document_id=uuid.UUID(str(secret["id"])), department_id=hr.id, reason="transfer"
            )
        )
        db.commit()
    assert _visible_ids(client, outsider, tag) == {secret["id"], internal["id"]}
    assert (
        client.get(f"/api/v1/documents/{secret['id']}/content", headers=outsider).status_code == 200
    )
    # Still invisible to everyone else.
    assert _visible_ids(client, auth("financiero"), tag) == {internal["id"]}


def test_other_departments_cannot_add_versions(client: TestClient, auth: Auth) -> None:
    created = upload(client, auth("registro"), unique_pdf())
    response = client.post(
        f"/api/v1/documents/{created['id']}/versions",
        headers=auth("rrhh"),
        data={"reason": "intento"},
        files={"file": ("x.pdf", unique_pdf(), "application/pdf")},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_owning_department"


def test_administration_is_for_admins(client: TestClient, auth: Auth) -> None:
    body = {"code": "DNEW", "name": "Nueva", "parent": "DM"}
    denied = client.post("/api/v1/departments", headers=auth("ministra"), json=body)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "admin_only"
    assert client.get("/api/v1/users", headers=auth("ministra")).status_code == 403

    made = client.post("/api/v1/departments", headers=auth("admin"), json=body)
    assert made.status_code == 201, made.text
    again = client.post("/api/v1/departments", headers=auth("admin"), json=body)
    assert again.status_code == 409
    user = client.post(
        "/api/v1/users",
        headers=auth("admin"),
        json={
            "username": "nuevo.funcionario",
            "full_name": "Nuevo Funcionario",
            "password": "una-clave-larga",
            "department": "DNEW",
            "roles": ["official"],
        },
    )
    assert user.status_code == 201, user.text
    assert user.json()["department"] == "DNEW"
    weak = client.post(
        "/api/v1/users",
        headers=auth("admin"),
        json={
            "username": "otro",
            "full_name": "Otro",
            "password": "corta",
            "department": "DNEW",
            "roles": ["official"],
        },
    )
    assert weak.status_code == 422
    listed = client.get("/api/v1/users", headers=auth("admin")).json()
    assert "nuevo.funcionario" in {u["username"] for u in listed}
    assert all("password" not in u and "password_hash" not in u for u in listed)


def test_me_names_the_department_and_roles(client: TestClient, auth: Auth) -> None:
    me = client.get("/api/v1/me", headers=auth("juridico")).json()
    assert me["username"] == "juridico"
    assert me["department"] == "DAJ"
    assert set(me["roles"]) == {"legal", "official"}
