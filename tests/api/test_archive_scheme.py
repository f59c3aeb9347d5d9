"""The archive's classification scheme and retention tables through the API: versions
imported and exported as CSV and JSON, a table drafted by the archivist, approved by the
archive committee and put in force with signed steps, records filed under a series, and a
closed dossier listed as due for transfer to the central archive."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from tests.support.backends import BACKENDS, Backend, build_backend

Auth = Callable[[str], dict[str, str]]

SCHEME_V2 = """code,name,level,parent,document_types
MDS,Ministerio de Desarrollo Social,fonds,,
DM,Despacho del Ministro,section,MDS,
RES,Resoluciones,series,DM,resolution
DAF,Dirección Administrativa Financiera,section,MDS,
DF,Dirección Financiera,subsection,DAF,
PAG,Expedientes de pago,series,DF,payment_order;report;other
PAGX,Pagos al exterior,subseries,PAG,
"""

RULES_V2 = (
    (
        "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
        "procedure\n"
    )
    + """RES,5,15,keep,closing,,Ley de archivos,Conservación total
PAG,0,10,destroy,closing,,Normas de control,Eliminación con acta
"""
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"archive-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def test_the_demo_has_a_scheme_and_a_table_in_force(client: TestClient, auth: Auth) -> None:
    scheme = client.get("/api/v1/archive/classification", headers=auth("juridico"))
    assert scheme.status_code == 200, scheme.text
    codes = {node["code"]: node for node in scheme.json()["nodes"]}
    assert codes["PAG"]["full_code"] == "MDS.DAF.DF.PAG"
    assert codes["BEN"]["level"] == "subseries"
    tables = client.get("/api/v1/archive/retention-tables", headers=auth("juridico")).json()
    (in_force,) = [t for t in tables if t["state"] == "in_force"]
    assert [s["state"] for s in in_force["steps"]] == ["approved", "in_force"]
    assert [s["by"] for s in in_force["steps"]] == ["comite", "archivista"]
    assert in_force["in_force_from"] == "2026-01-01"
    pag = next(r for r in in_force["rules"] if r["series_code"] == "PAG")
    assert (pag["office_years"], pag["central_years"], pag["disposition"]) == (2, 10, "destroy")


def test_a_new_scheme_version_round_trips_and_keeps_the_old_one(
    client: TestClient, auth: Auth
) -> None:
    archivist = auth("archivista")
    refused = client.post(
        "/api/v1/archive/classification",
        headers=auth("juridico"),
        json={"format": "csv", "content": SCHEME_V2},
    )
    assert refused.status_code == 403
    broken = client.post(
        "/api/v1/archive/classification",
        headers=archivist,
        json={"format": "csv", "content": SCHEME_V2 + "X,Sin padre,series,NOPE,\n"},
    )
    assert broken.status_code == 400
    assert broken.json()["error"]["code"] == "archive_unknown_parent"
    made = client.post(
        "/api/v1/archive/classification",
        headers=archivist,
        json={"format": "csv", "content": SCHEME_V2, "note": "Segunda versión"},
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    assert number >= 2
    csv = client.get(f"/api/v1/archive/classification/{number}/export", headers=archivist)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.replace("\r\n", "\n").strip() == SCHEME_V2.strip()
    as_json = client.get(
        f"/api/v1/archive/classification/{number}/export?format=json", headers=archivist
    )
    again = client.post(
        "/api/v1/archive/classification",
        headers=archivist,
        json={"format": "json", "content": as_json.text},
    )
    assert again.status_code == 201
    assert again.json()["nodes"] == made.json()["nodes"]
    assert again.json()["sha256"] == made.json()["sha256"]
    # The first version is still what it was.
    first = client.get("/api/v1/archive/classification/1", headers=archivist).json()
    assert "BEN" in {node["code"] for node in first["nodes"]}
    assert json.loads(as_json.text)["nodes"][0]["code"] == "MDS"


def test_a_table_is_approved_by_the_committee_then_put_in_force(
    client: TestClient, auth: Auth
) -> None:
    archivist, committee = auth("archivista"), auth("comite")
    unknown = client.post(
        "/api/v1/archive/retention-tables",
        headers=archivist,
        json={"format": "csv", "content": RULES_V2 + "ZZZ,1,1,keep,closing,,,\n"},
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "archive_unknown_series"
    draft = client.post(
        "/api/v1/archive/retention-tables",
        headers=archivist,
        json={"format": "csv", "content": RULES_V2, "note": "Acta 02-2026"},
    )
    assert draft.status_code == 201, draft.text
    table = draft.json()
    assert table["state"] == "draft"
    steps = f"/api/v1/archive/retention-tables/{table['id']}/steps"
    # The archivist who drafted it does not approve it; nor does an official.
    assert (
        client.post(
            steps, headers=archivist, json={"state": "approved", "pin": DEMO_PIN}
        ).status_code
        == 403
    )
    assert (
        client.post(
            steps, headers=auth("juridico"), json={"state": "approved", "pin": DEMO_PIN}
        ).status_code
        == 403
    )
    # Not in force before it is approved.
    early = client.post(steps, headers=archivist, json={"state": "in_force", "pin": DEMO_PIN})
    assert early.status_code == 409 and early.json()["error"]["code"] == "archive_bad_transition"
    wrong_pin = client.post(steps, headers=committee, json={"state": "approved", "pin": "000000"})
    assert wrong_pin.status_code == 403
    approved = client.post(steps, headers=committee, json={"state": "approved", "pin": DEMO_PIN})
    assert approved.status_code == 200, approved.text
    before = [
        t
        for t in client.get("/api/v1/archive/retention-tables", headers=archivist).json()
        if t["state"] == "in_force"
    ]
    in_force = client.post(
        steps,
        headers=archivist,
        json={"state": "in_force", "pin": DEMO_PIN, "in_force_from": "2026-12-01"},
    )
    assert in_force.status_code == 200, in_force.text
    assert [s["state"] for s in in_force.json()["steps"]] == ["approved", "in_force"]
    tables = {
        t["id"]: t for t in client.get("/api/v1/archive/retention-tables", headers=archivist).json()
    }
    assert [t["number"] for t in tables.values() if t["state"] == "in_force"] == [table["number"]]
    for old in before:
        assert tables[old["id"]]["state"] == "superseded"
        assert tables[old["id"]]["steps"][-1]["state"] == "superseded"
    exported = client.get(
        f"/api/v1/archive/retention-tables/{table['id']}/export", headers=archivist
    )
    assert exported.text.replace("\r\n", "\n").strip() == RULES_V2.strip()


def test_a_closed_dossier_filed_under_a_series_is_due_for_transfer(
    client: TestClient, auth: Auth
) -> None:
    """Under the table in force since the previous test, payment dossiers stay 0 years in
    the office: closed today, due today."""
    preparer = auth("preparador")
    listing = client.get("/api/v1/dossiers", headers=preparer).json()["items"]
    (dossier,) = [d for d in listing if d["title"] == PAYMENT_DOSSIER_TITLE]
    refused = client.post(
        "/api/v1/archive/holdings",
        headers=preparer,
        json={"series_code": "DM", "dossier_id": dossier["id"]},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "archive_not_a_series"
    filed = client.post(
        "/api/v1/archive/holdings",
        headers=preparer,
        json={"series_code": "PAG", "dossier_id": dossier["id"]},
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["series_code"] == "MDS.DAF.DF.PAG"
    assert filed.json()["phase"] == "office" and filed.json()["disposal_on"] is None
    due = client.get("/api/v1/archive/due-for-transfer", headers=preparer).json()
    assert dossier["id"] not in {h["dossier_id"] for h in due}
    closed = client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=preparer)
    assert closed.status_code == 200, closed.text
    due = client.get("/api/v1/archive/due-for-transfer", headers=preparer).json()
    (holding,) = [h for h in due if h["dossier_id"] == dossier["id"]]
    assert holding["central_on"] == holding["starts_on"]
    assert holding["disposition"] == "destroy"
    assert int(holding["disposal_on"][:4]) == int(holding["starts_on"][:4]) + 10
    # Another office does not see it; the archivist sees every office's.
    assert dossier["id"] not in {
        h["dossier_id"]
        for h in client.get("/api/v1/archive/due-for-transfer", headers=auth("juridico")).json()
    }
    assert dossier["id"] in {
        h["dossier_id"]
        for h in client.get("/api/v1/archive/due-for-transfer", headers=auth("archivista")).json()
    }
