"""The control board: register volumes per department and month, the median time to a
signed receipt, overdue transfers and signatures per official, as SVG with their tables,
from what the API did just before."""

from __future__ import annotations

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
from docsvc.models.transfers import Transfer
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
    found = re.search(rf'<th scope="row">{re.escape(header)}</th>(.*?)</tr>', page, re.S)
    assert found, header
    return re.findall(r"<td>([^<]*)</td>", found.group(1))


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
    assert f'<th scope="col">{month}</th>' in text
    assert int(_row(text, "DAJ")[-1]) >= 2  # this month's register entries
    hours, counted = _row(text, "DRH")[:2]
    # Spanish decimals: "0,1" hours.
    assert float(hours.replace(",", ".")) < 1 and int(counted) >= 1  # acknowledged within the hour
    overdue = re.search(r'<h2 id="overdue">.*?</section>', text, re.S)
    assert overdue and re.search(r'<th scope="row">DRH</th><td>1</td>', overdue.group(0))
    signatures = re.search(r'<h2 id="signatures">.*?</section>', text, re.S)
    assert signatures and "Lucía Fernández" in signatures.group(0)
