"""What register tests share: uploading and registering a letter, and a demo user's Actor."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from docsvc.actors.actor import Actor, Origin
from docsvc.actors.sessions import actor_for
from docsvc.organisation.repository import user_by_username
from tests.support.backends import Backend
from tests.support.pdfs import unique_pdf


def upload_and_register(
    client: TestClient,
    headers: dict[str, str],
    title: str,
    *,
    direction: str = "incoming",
    subject: str | None = None,
    counterpart: str = "Procuraduría General del Estado",
) -> dict[str, Any]:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": title},
        files={"file": ("oficio.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    entry = client.post(
        "/api/v1/register/entries",
        headers=headers,
        json={
            "direction": direction,
            "document_id": created.json()["id"],
            "subject": subject if subject is not None else title,
            "counterpart": counterpart,
        },
    )
    assert entry.status_code == 201, entry.text
    body: dict[str, Any] = entry.json()
    return body


def actor_of(backend: Backend, username: str) -> Actor:
    with backend.services.sessions() as db:
        user = user_by_username(db, username)
        assert user is not None
        return actor_for(user, Origin())
