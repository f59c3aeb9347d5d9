"""Reminders before a transfer's deadline: the receiving department's officials find a
notice, once, worded in Spanish, on their inbox page and, when the service sends mail,
by e-mail; an answered transfer is not reminded."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PIN
from docsvc.models import Job
from docsvc.notifications.delivery import MAIL_KIND
from docsvc.notifications.mail import notification_email
from docsvc.notifications.outbox import RETRY_AFTER
from docsvc.notifications.repository import due_emails
from docsvc.transfers.reminders import send_reminders
from tests.support.backends import Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("reminders"), request, pki=True)
    yield built
    built.services.close()


def _send(client: TestClient, auth: Auth, title: str, days: int) -> dict[str, str]:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={"doc_type": "request", "title": title},
        files={"file": ("p.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    sent = client.post(
        "/api/v1/transfers",
        headers=legal,
        json={
            "document_id": created.json()["id"],
            "to_department": "DRH",
            "purpose": "action",
            "deadline_days": days,
            "pin": DEMO_PIN,
        },
    )
    assert sent.status_code == 201, sent.text
    transfer: dict[str, str] = sent.json()
    return transfer


def test_a_transfer_due_soon_is_reminded_once(
    backend: Backend, client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    due = _send(client, auth, "Pedido con plazo corto", 1)
    _send(client, auth, "Pedido con plazo largo", 10)
    answered = _send(client, auth, "Pedido ya atendido", 1)
    hr = auth("rrhh")
    assert (
        client.post(
            f"/api/v1/transfers/{answered['id']}/return",
            headers=hr,
            json={"pin": DEMO_PIN, "reason": "No nos corresponde."},
        ).status_code
        == 200
    )
    settings = backend.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_from": "registro@example.gob"}
    )
    services = dataclasses.replace(backend.services, settings=settings)
    with backend.services.sessions() as db:
        assert send_reminders(db, services) == 1  # the short one only
        db.commit()
    with backend.services.sessions() as db:
        assert send_reminders(db, services) == 0  # once
        db.commit()
    # The reminders' e-mails went on the job queue with them (this module's runner has no
    # SMTP server, so the job waits for one that has).
    with backend.services.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == MAIL_KIND)) == 1

    notes = client.get("/api/v1/inbox/notifications", headers=hr).json()
    (reminder,) = [n for n in notes if n["kind"] == "transfer_due"]
    assert reminder["transfer_id"] == due["id"] and reminder["line_id"] is None
    assert reminder["message"].startswith("«Pedido con plazo corto», remitido por DAJ, vence el ")
    page = browser_as("rrhh").get("/bandeja").text
    assert "Avisos" in page and "«Pedido con plazo corto», remitido por DAJ, vence el" in page

    # By e-mail too, titled by the transfer's document.
    with backend.services.sessions() as db:
        mails = due_emails(db, utcnow() + timedelta(minutes=1), RETRY_AFTER, 50)
        (mail,) = [
            m for m in mails if m.item.kind == "transfer_due" and m.full_name == "Patricia Núñez"
        ]
        message = notification_email(
            settings,
            address=mail.address or "rrhh@example.gob",
            full_name=mail.full_name,
            kind=mail.item.kind,
            params=mail.item.params,
            legacy_message=mail.item.message,
            line_title=mail.line_title,
        )
        db.rollback()
    body = message.get_content()
    assert message["Subject"].startswith("Plazo próximo a vencer")
    assert "Remisión: «Pedido con plazo corto»" in body and "vence el" in body
