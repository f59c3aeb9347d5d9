"""Every page people use passes axe-core's WCAG 2.1 A and AA rules with no serious or
critical violation, in Debian's Chromium. axe-core is vendored under tests/vendor/axe-core
(MPL-2.0, refreshed by its update.sh), so the test needs no network."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.models import ArchiveHolding, Dossier
from tests.support.accounts import login
from tests.support.backends import Backend, build_backend
from tests.support.browser import requires_chromium
from tests.support.live_server import LiveServer
from tests.support.pdfs import unique_pdf

pytestmark = requires_chromium
AXE = (Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js").read_text()
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("a11y"), request, pki=True)
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def records(backend: Backend, live: LiveServer) -> dict[str, str]:
    """A day's work to show: a signed document, a signing line waiting, a register entry."""
    settings = backend.settings.model_copy(update={"public_url": live.url})
    with TestClient(create_app(settings, backend.services)) as api:
        legal = login(api, "juridico")
        document = api.post(
            "/api/v1/documents",
            headers=legal,
            data={"doc_type": "report", "title": "Informe accesible", "confidentiality": "public"},
            files={"file": ("i.pdf", unique_pdf("Informe accesible"), "application/pdf")},
        ).json()["id"]
        signed = api.post(
            f"/api/v1/documents/{document}/signatures", headers=legal, json={"pin": DEMO_PIN}
        ).json()
        entry = api.post(
            "/api/v1/register/entries",
            headers=login(api, "registro"),
            json={
                "direction": "incoming",
                "subject": "Solicitud",
                "counterpart": "Juan Pérez",
                "document_id": document,
            },
        ).json()
        preparer = login(api, "preparador")
        dossier = next(
            d
            for d in api.get("/api/v1/dossiers", headers=preparer).json()["items"]
            if d["title"] == PAYMENT_DOSSIER_TITLE
        )
        line = api.post(
            "/api/v1/signing-lines",
            headers=preparer,
            json={"dossier_id": dossier["id"], "steps": [{"signers": [{"user": "preparador"}]}]},
        ).json()
        tables = api.get("/api/v1/archive/retention-tables", headers=legal).json()
    return {
        "table": next(t["id"] for t in tables if t["state"] == "in_force"),
        "document": document,
        "code": signed["verification_code"],
        "case": entry["case_id"],
        "dossier": dossier["id"],
        "line": line["id"],
    }


@pytest.fixture(scope="module")
def archived(backend: Backend, live: LiveServer, records: dict[str, str]) -> dict[str, str]:
    """The archive at work: a transfer received, a loan asked for, a series held and a
    disposal proposed (under a table that gives official letters no time in the archives;
    the dossier's closing is moved 40 days back, as if it had been closed then)."""
    settings = backend.settings.model_copy(update={"public_url": live.url})

    def ok(response: Any) -> Any:
        assert response.status_code in (200, 201), response.text
        return response.json()

    with TestClient(create_app(settings, backend.services)) as api:
        archivist, committee = login(api, "archivista"), login(api, "comite")
        legal = login(api, "juridico")
        rules = (
            "series_code,office_years,central_years,disposition,trigger,trigger_event,"
            "legal_basis,procedure\nOFI,0,0,sample,closing,,,\n"
        )
        table = ok(
            api.post(
                "/api/v1/archive/retention-tables",
                headers=archivist,
                json={"format": "csv", "content": rules},
            )
        )
        steps = f"/api/v1/archive/retention-tables/{table['id']}/steps"
        ok(api.post(steps, headers=committee, json={"state": "approved", "pin": DEMO_PIN}))
        ok(api.post(steps, headers=archivist, json={"state": "in_force", "pin": DEMO_PIN}))
        dossier = ok(api.post("/api/v1/dossiers", headers=legal, json={"title": "Oficios 2025"}))
        document = ok(
            api.post(
                "/api/v1/documents",
                headers=legal,
                data={"doc_type": "letter", "title": "Oficio archivado"},
                files={"file": ("o.pdf", unique_pdf("Oficio archivado"), "application/pdf")},
            )
        )
        items = f"/api/v1/dossiers/{dossier['id']}/items"
        ok(api.post(items, headers=legal, json={"document_id": document["id"]}))
        holding = ok(
            api.post(
                "/api/v1/archive/holdings",
                headers=legal,
                json={"series_code": "OFI", "dossier_id": dossier["id"]},
            )
        )
        ok(api.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=legal))
        # Another, due for transfer and left in the office: the hub's list to choose from.
        due = ok(api.post("/api/v1/dossiers", headers=legal, json={"title": "Oficios 2024"}))
        ok(
            api.post(
                "/api/v1/archive/holdings",
                headers=legal,
                json={"series_code": "OFI", "dossier_id": due["id"]},
            )
        )
        ok(api.post(f"/api/v1/dossiers/{due['id']}/close", headers=legal))
        with backend.services.sessions() as db:
            row = db.get(Dossier, uuid.UUID(dossier["id"]))
            filed = db.get(ArchiveHolding, uuid.UUID(holding["id"]))
            assert row is not None and row.closed_at is not None and filed is not None
            row.closed_at = row.closed_at - timedelta(days=40)
            filed.table_id = filed.central_on = filed.disposal_on = filed.disposition = None
            db.commit()
        ok(api.get("/api/v1/archive/due-for-transfer", headers=legal))
        transfers = "/api/v1/archive/transfers"
        transfer = ok(api.post(transfers, headers=legal, json={"holding_ids": [holding["id"]]}))
        sent = ok(
            api.post(f"{transfers}/{transfer['id']}/send", headers=legal, json={"pin": DEMO_PIN})
        )
        acknowledge = f"/api/v1/transfers/{sent['transfer_id']}/acknowledge"
        ok(api.post(acknowledge, headers=archivist, json={"pin": DEMO_PIN}))
        ok(api.get(transfers, headers=archivist))
        ok(
            api.post(
                "/api/v1/archive/loans",
                headers=login(api, "rrhh"),
                json={"holding_id": holding["id"], "reason": "Consulta"},
            )
        )
        ok(
            api.post(
                "/api/v1/archive/holds",
                headers=legal,
                json={"series_code": "MDS.DAJ.INF", "reason": "Auditoría", "authority": "CGE"},
            )
        )
        proposal = ok(
            api.post(
                "/api/v1/archive/disposals",
                headers=archivist,
                json={"holding_ids": [holding["id"]], "appraisal": "Muestra", "keep_ids": []},
            )
        )
    return {"dossier": dossier["id"], "transfer": transfer["id"], "proposal": proposal["id"]}


def _violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE)
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES
    )
    assert result["passes"], "axe ran no rule"
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_every_page_passes_axe(
    browser: Browser, live: LiveServer, records: dict[str, str], archived: dict[str, str]
) -> None:
    pages = {
        None: ["/login", "/verificar", f"/verificar/{records['code']}", "/no-existe"],
        "preparador": [
            "/bandeja",
            "/",
            "/documentos/nuevo",
            "/expedientes",
            f"/expedientes/{records['dossier']}",
            f"/firmas/nueva?expediente={records['dossier']}",
            f"/firmas/{records['line']}",
            "/suplencias",
        ],
        "juridico": [
            f"/documentos/{records['document']}",
            f"/documentos/{records['document']}/remitir",
            "/buscar?q=Informe",
            f"/expedientes/{archived['dossier']}",
        ],
        "registro": ["/registro", f"/casos/{records['case']}"],
        "rrhh": ["/archivo/prestamos", f"/expedientes/{archived['dossier']}"],
        "comite": [f"/archivo/eliminacion/{archived['proposal']}"],
        "ministra": ["/tablero"],
        "auditora": ["/auditoria"],
        "admin": ["/admin"],
        "archivista": [
            "/archivo",
            f"/archivo/tablas/{records['table']}",
            "/archivo/cuadro/1",
            f"/archivo/transferencias/{archived['transfer']}",
            "/archivo/prestamos",
            "/archivo/retenciones",
            "/archivo/eliminacion",
            "/archivo/integridad",
        ],
    }
    found: dict[str, list[str]] = {}
    for username, paths in pages.items():
        context = browser.new_context(locale="es-EC", bypass_csp=True)
        page = context.new_page()
        if username is not None:
            page.goto(f"{live.url}/login")
            page.get_by_label("Usuario").fill(username)
            page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Entrar").click()
            page.wait_for_url("**/bandeja")
        for path in paths:
            page.goto(f"{live.url}{path}")
            for violation in _violations(page):
                targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
                found.setdefault(path, []).append(f"{violation['id']}: {targets}")
        context.close()
    assert found == {}


def test_the_check_sees_a_violation(browser: Browser, live: LiveServer) -> None:
    context = browser.new_context(locale="es-EC", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live.url}/login")
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x>')")
    assert [v["id"] for v in _violations(page)] == ["image-alt"]
    context.close()
