"""The control board: register volumes per department and month, the median time to a
signed receipt, overdue transfers and signatures per official, as SVG with their tables,
from what the API did just before."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from docsvc.app import create_app
from docsvc.calendar.local import local_date
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.locale import format_month
from docsvc.models.transfers import Receipt, Transfer
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"board-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _document(client: TestClient, headers: dict[str, str], title: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "request", "title": title},
        files={"file": ("p.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _row(page: str, header: str) -> list[str]:
    found = re.search(rf'<th scope="row"[^>]*>{re.escape(header)}</th>(.*?)</tr>', page, re.S)
    assert found, header
    return re.findall(r"<td[^>]*>([^<]*)</td>", found.group(1))


def test_the_board_shows_what_happened(client: TestClient, backend: Backend, auth: Auth) -> None:
    legal, clerk, hr = auth("juridico"), auth("registro"), auth("rrhh")
    sent = []
    for title in ("Pedido uno", "Pedido dos"):
        document = _document(client, legal, title)
        entry = client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={
                "direction": "incoming",
                "document_id": document,
                "subject": title,
                "counterpart": "Procuraduría",
            },
        )
        assert entry.status_code == 201, entry.text
        transfer = client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": document,
                "to_department": "DRH",
                "purpose": "action",
                "deadline_days": 5,
                "pin": DEMO_PIN,
            },
        )
        assert transfer.status_code == 201, transfer.text
        sent.append(transfer.json()["id"])
    acknowledged = client.post(
        f"/api/v1/transfers/{sent[0]}/acknowledge", headers=hr, json={"pin": DEMO_PIN}
    )
    assert acknowledged.status_code == 200, acknowledged.text
    # The second one's due date has passed.
    with backend.services.sessions() as db:
        yesterday = local_date(backend.settings) - timedelta(days=1)
        db.execute(
            update(Transfer).where(Transfer.id == uuid.UUID(sent[1])).values(due_on=yesterday)
        )
        db.commit()
    signed = client.post(
        f"/api/v1/documents/{_document(client, legal, 'Para firmar')}/signatures",
        headers=legal,
        json={"pin": DEMO_PIN},
    )
    assert signed.status_code == 201, signed.text

    with TestClient(create_app(backend.settings, backend.services)) as browser:
        assert browser.get("/tablero", follow_redirects=False).status_code == 303
        form = browser.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        browser.post(
            "/login",
            data={"username": "ministra", "password": DEMO_PASSWORD, "csrf_token": token[1]},
        )
        page = browser.get("/tablero")
    assert page.status_code == 200
    text = page.text
    assert "Tablero de control" in text
    assert text.count('role="img"') == 4
    month = format_month(local_date(backend.settings), "es")  # "dic 2026"
    assert re.search(rf'<th scope="col"[^>]*>{re.escape(month)}</th>', text)
    assert int(_row(text, "DAJ")[-1]) >= 2  # this month's register entries
    minutes, counted = _row(text, "DRH")[:2]
    # Acknowledged within the minute: shown in minutes, Spanish decimals ("0,1").
    assert "Mediana (minutos)" in text
    assert float(minutes.replace(",", ".")) < 5 and int(counted) >= 1
    overdue = re.search(r'<h2 id="overdue"[^>]*>.*?</section>', text, re.S)
    assert overdue and re.search(r'<th scope="row"[^>]*>DRH</th><td[^>]*>1</td>', overdue.group(0))
    signatures = re.search(r'<h2 id="signatures"[^>]*>.*?</section>', text, re.S)
    assert signatures and "Lucía Fernández" in signatures.group(0)


def _browser_as(backend: Backend, username: str) -> TestClient:
    browser = TestClient(create_app(backend.settings, backend.services))
    form = browser.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    browser.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token[1]}
    )
    return browser


def test_response_times_are_pinned_on_known_data(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    """Three transfers to DF, acknowledged 2, 4 and 9 hours after they were sent: the
    median is 4 hours, shown in hours, and the CSV holds the seconds."""
    legal, finance = auth("juridico"), auth("financiero")
    delays = (2, 4, 9)
    ids = []
    for n in delays:
        document = _document(client, legal, f"Consulta {n}")
        sent = client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": document,
                "to_department": "DF",
                "purpose": "information",
                "pin": DEMO_PIN,
            },
        )
        assert sent.status_code == 201, sent.text
        ids.append(uuid.UUID(sent.json()["id"]))
        done = client.post(
            f"/api/v1/transfers/{ids[-1]}/acknowledge", headers=finance, json={"pin": DEMO_PIN}
        )
        assert done.status_code == 200, done.text
    with backend.services.sessions() as db:
        for transfer_id, hours in zip(ids, delays, strict=True):
            sent_at = db.get(Transfer, transfer_id).created_at  # type: ignore[union-attr]
            db.execute(
                update(Receipt)
                .where(Receipt.transfer_id == transfer_id)
                .values(created_at=sent_at + timedelta(hours=hours))
            )
        db.commit()
    with _browser_as(backend, "financiero") as finance_board:
        page = finance_board.get("/tablero").text
        assert "Cifras de su unidad: DF." in page
        assert "Mediana (horas)" in page
        assert _row(page, "DF")[:2] == ["4,0", "3"]
        assert not re.search(r'<th scope="row"[^>]*>DRH</th>', page)  # her own department only
        other = finance_board.get("/tablero", params={"departamento": "DAJ"})
        assert other.status_code == 403 and "Cifras de su unidad: DF." in other.text
        exported = finance_board.get("/tablero.csv")
        assert exported.status_code == 200 and exported.headers["content-type"].startswith(
            "text/csv"
        )
        rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
        assert rows[0] == ["indicador", "unidad o funcionario", "mes", "valor"]
        assert ["median_receipt_seconds", "DF", "", str(4 * 3600)] in rows
    # The minister's office sees the institution, and may narrow it.
    with _browser_as(backend, "ministra") as minister_board:
        narrowed = minister_board.get("/tablero", params={"departamento": "DF"}).text
        assert _row(narrowed, "DF")[:2] == ["4,0", "3"]
        assert '<option value="DF" selected>' in narrowed
        reversed_dates = minister_board.get(
            "/tablero", params={"desde": "2026-12-10", "hasta": "2026-12-01"}
        )
        assert reversed_dates.status_code == 400


def test_an_overdue_signature_shows_per_official(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    preparer = auth("preparador")
    line = client.post(
        "/api/v1/signing-lines",
        headers=preparer,
        json={
            "document_id": _document(client, preparer, "Informe con plazo vencido"),
            "steps": [
                {"signers": [{"position": "DPS:DIR-DPS"}], "deadline": "2020-01-01T12:00:00Z"}
            ],
        },
    )
    assert line.status_code == 201, line.text
    with _browser_as(backend, "auditora") as auditor_board:
        page = auditor_board.get("/tablero").text
    section = re.search(r'<h2 id="overdue-signatures"[^>]*>.*?</section>', page, re.S)
    assert section and re.search(
        r'<th scope="row"[^>]*>Miguel Torres</th><td[^>]*>[1-9]', section.group(0)
    )
