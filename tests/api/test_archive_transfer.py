"""The archive's lifecycle on the embedded store and on a real S3 server. A primary
transfer to the central archive: the office lists what is due, prepares the inventory and
sends it signed; the archive acknowledges it from its inbox with a signed receipt; the
dossier is then in the central archive and its stored objects are under retention, which
the store itself enforces, also against the service's own credentials. Then, with the
clock moved by freezegun, a payment dossier's whole life to its elimination; and a
personnel file counted from a recorded event, kept by a disposal and handed to the
historical archive with a secondary transfer."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from freezegun import freeze_time
from httpx2 import Response
from sqlalchemy import select

from archive.inventory import inventory_from_record
from archive.package_check import check as check_package
from archive.retention import add_years
from docsvc.archival.exports import export_dossier
from docsvc.archival.renewal_queue import KIND as RENEWAL_KIND
from docsvc.calendar.local import local_date
from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.ledger.log import inclusion, log_size, root_at
from docsvc.locale import translator
from docsvc.models import Job, LogLeaf
from signing.cades import verify_record
from storage import OperationNotAllowed
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf
from transparency.proofs import verify_inclusion

Auth = Callable[[str], dict[str, str]]
SECRET = "confidential"
TRANSFERS = "/api/v1/archive/transfers"
HOLDINGS = "/api/v1/archive/holdings"
NINE = time(9, 0)
RULES = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\nPAG,0,10,destroy,closing,,Normas de control,Eliminación con acta\n"
    "OFI,1,0,destroy,closing,,Norma de archivo,Eliminación al vencer el plazo\n"
    "HLB,0,0,keep,event,Retiro del servidor,Ley de servicio público,Conservación total\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"transfer-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_closed_dossier_goes_to_the_central_archive_under_retention(
    backend: Backend, client: TestClient, auth: Auth
) -> None:
    archivist, committee, preparer = auth("archivista"), auth("comite"), auth("preparador")
    # A table under which payment dossiers leave the office as soon as they are closed.
    table = _ok(
        client.post(
            "/api/v1/archive/retention-tables",
            headers=archivist,
            json={"format": "csv", "content": RULES},
        ),
        201,
    )
    steps = f"/api/v1/archive/retention-tables/{table['id']}/steps"
    _ok(client.post(steps, headers=committee, json={"state": "approved", "pin": DEMO_PIN}))
    _ok(client.post(steps, headers=archivist, json={"state": "in_force", "pin": DEMO_PIN}))

    listing = _ok(client.get("/api/v1/dossiers", headers=preparer))["items"]
    (dossier,) = [d for d in listing if d["title"] == PAYMENT_DOSSIER_TITLE]
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=preparer))
    due = client.get("/api/v1/archive/due-for-transfer", headers=preparer).json()
    (holding,) = [h for h in due if h["dossier_id"] == dossier["id"]]

    # Another office cannot transfer it.
    assert (
        client.post(
            "/api/v1/archive/transfers",
            headers=auth("juridico"),
            json={"holding_ids": [holding["id"]]},
        ).status_code
        == 403
    )
    prepared = _ok(
        client.post(
            "/api/v1/archive/transfers", headers=preparer, json={"holding_ids": [holding["id"]]}
        ),
        201,
    )
    assert prepared["department"] == "DPS" and prepared["archive_department"] == "DAG"
    assert prepared["items"] == 1 and prepared["sent_at"] is None
    # Listed once: it cannot go into a second inventory.
    again = client.post(
        "/api/v1/archive/transfers", headers=preparer, json={"holding_ids": [holding["id"]]}
    )
    assert again.status_code == 409
    inventory_doc = _ok(
        client.get(f"/api/v1/documents/{prepared['inventory_document_id']}", headers=preparer)
    )
    assert str(inventory_doc["title"]).startswith("Inventario de transferencia primaria, DPS, ")

    sent = _ok(
        client.post(
            f"/api/v1/archive/transfers/{prepared['id']}/send",
            headers=preparer,
            json={"pin": DEMO_PIN},
        )
    )
    assert sent["transfer_id"] and sent["signature_level"] in ("B-T", "B-B")
    record = client.get(
        f"/api/v1/archive/transfers/{prepared['id']}/inventory", headers=archivist
    ).content
    signature = client.get(
        f"/api/v1/archive/transfers/{prepared['id']}/inventory?part=signature",
        headers=archivist,
    ).content
    root = x509.load_pem_x509_certificate((backend.settings.pki_dir / "root.pem").read_bytes())
    check = verify_record(record, signature, [root.public_bytes(Encoding.DER)])
    assert check.intact and check.trusted, check.reasons
    inventory = inventory_from_record(record)
    (item,) = inventory.items
    assert item.item_id == dossier["id"] and item.series_code == "MDS.DAF.DF.PAG"
    contents = {
        hashlib.sha256(
            client.get(
                f"/api/v1/documents/{entry['document_id']}/content", headers=preparer
            ).content
        ).hexdigest()
        for entry in _ok(client.get(f"/api/v1/dossiers/{dossier['id']}", headers=preparer))["items"]
    }
    assert contents and contents <= set(item.sha256s)

    # Not in the central archive until the archive acknowledges it.
    holding_now = _ok(
        client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=preparer)
    )
    assert holding_now["phase"] == "office"
    _ok(
        client.post(
            f"/api/v1/transfers/{sent['transfer_id']}/acknowledge",
            headers=archivist,
            json={"pin": DEMO_PIN},
        )
    )
    transfers = _ok(client.get("/api/v1/archive/transfers", headers=archivist))
    (done,) = [t for t in transfers if t["id"] == prepared["id"]]
    assert done["received_at"] is not None
    holding_now = _ok(
        client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=preparer)
    )
    assert holding_now["phase"] == "central"
    # What entered the archive is read for renewal at once (B-LT becomes B-LTA).
    with backend.services.sessions() as db:
        assert db.scalar(select(Job.id).where(Job.kind == RENEWAL_KIND)) is not None

    # Its stored objects are under retention: the store refuses to delete them.
    store = backend.services.store
    for sha256 in item.sha256s:
        info = store.stat(sha256)
        assert info.retain_until is not None
        assert info.retain_until.date().isoformat() > str(holding_now["disposal_on"])
        with pytest.raises(OperationNotAllowed):
            store.delete(sha256)
        assert store.exists(sha256)


def test_a_confidential_payment_dossier_is_archived_lent_held_and_disposed_of(
    backend: Backend, client: TestClient, tmp_path: Path
) -> None:
    """Runs after the previous test. A second version of the table is put in force, under
    which payment dossiers stay a year in the office and none in the central archive (what
    the first version gave the demo's payment dossier stays). The clock is moved by
    freezegun, a year and a day past the closing for the transfer, then past the loan's
    return day.

    The S3 server keeps its own clock, which freezegun cannot move: the objects of a
    record whose retention has ended by the service's clock are not locked, so that the
    elimination that follows is allowed by both clocks. The lock itself is checked in
    real time by the previous test."""
    sessions: dict[str, dict[str, str]] = {}

    def auth(username: str) -> dict[str, str]:
        # Sessions expire when the clock moves by days: each step signs in again.
        sessions[username] = sessions.get(username) or login(client, username)
        return sessions[username]

    def sign_in_again() -> None:
        sessions.clear()

    archivist, committee = auth("archivista"), auth("comite")
    table = _ok(
        client.post(
            "/api/v1/archive/retention-tables",
            headers=archivist,
            json={"format": "csv", "content": RULES.replace("PAG,0,10,", "PAG,1,0,")},
        ),
        201,
    )
    steps = f"/api/v1/archive/retention-tables/{table['id']}/steps"
    _ok(client.post(steps, headers=committee, json={"state": "approved", "pin": DEMO_PIN}))
    _ok(client.post(steps, headers=archivist, json={"state": "in_force", "pin": DEMO_PIN}))
    office = auth("financiero")
    dossier = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=office,
            json={
                "title": "Expediente de pago reservado 2026",
                "confidentiality": "confidential",
            },
        ),
        201,
    )
    document = _ok(
        client.post(
            "/api/v1/documents",
            headers=office,
            data={
                "doc_type": "payment_order",
                "title": "Orden de pago reservada",
                "confidentiality": "confidential",
            },
            files={"file": ("p.pdf", unique_pdf("Orden de pago reservada"), "application/pdf")},
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/dossiers/{dossier['id']}/items",
            headers=office,
            json={"document_id": document["id"]},
        ),
        201,
    )
    filed = _ok(
        client.post(
            "/api/v1/archive/holdings",
            headers=office,
            json={"series_code": "PAG", "dossier_id": dossier["id"]},
        ),
        201,
    )
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=office))
    closed_on = local_date(backend.settings)
    holding = _ok(
        client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=office)
    )
    assert holding["starts_on"] == closed_on.isoformat()
    assert holding["central_on"] == add_years(closed_on, 1).isoformat()
    # A year in the office first: not due yet.
    due = client.get("/api/v1/archive/due-for-transfer", headers=office).json()
    assert filed["id"] not in {h["id"] for h in due}

    zone = ZoneInfo(backend.settings.timezone)
    a_year_later = datetime.combine(add_years(closed_on, 1) + timedelta(days=1), NINE, zone)
    with _clock_at(a_year_later):
        sign_in_again()
        office, archivist, hr = auth("financiero"), auth("archivista"), auth("rrhh")
        # The archive does not read an office's confidential dossier.
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=archivist).status_code == 404
        due = client.get("/api/v1/archive/due-for-transfer", headers=office).json()
        assert filed["id"] in {h["id"] for h in due}
        prepared = _ok(
            client.post(
                "/api/v1/archive/transfers", headers=office, json={"holding_ids": [filed["id"]]}
            ),
            201,
        )
        sent = _ok(
            client.post(
                f"/api/v1/archive/transfers/{prepared['id']}/send",
                headers=office,
                json={"pin": DEMO_PIN},
            )
        )
        _ok(
            client.post(
                f"/api/v1/transfers/{sent['transfer_id']}/acknowledge",
                headers=archivist,
                json={"pin": DEMO_PIN},
            )
        )
        holding = _ok(
            client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=office)
        )
        assert holding["phase"] == "central"
        # Held by the archive now: the archivist reads it and its document, confidential as
        # they are; another office still does not.
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=archivist).status_code == 200
        content = client.get(f"/api/v1/documents/{document['id']}/content", headers=archivist)
        assert content.status_code == 200
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404

        # A loan to Human Resources, for a week.
        loan = _ok(
            client.post(
                "/api/v1/archive/loans",
                headers=hr,
                json={"holding_id": holding["id"], "reason": "Auditoría de personal"},
            ),
            201,
        )
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404
        week = {"approve": True, "due_on": (local_date(backend.settings) + timedelta(days=7))}
        decision = f"/api/v1/archive/loans/{loan['id']}/decision"
        week_json = {"approve": True, "due_on": week["due_on"].isoformat()}
        assert client.post(decision, headers=hr, json=week_json).status_code == 403
        lent = _ok(client.post(decision, headers=archivist, json=week_json))
        assert lent["status"] == "lent"
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 200
        assert (
            client.get(f"/api/v1/documents/{document['id']}/content", headers=hr).status_code == 200
        )

    # Past its return day the loan no longer opens the record; then it comes back.
    past_the_loan = a_year_later + timedelta(days=8)
    with _clock_at(past_the_loan):
        sign_in_again()
        legal, archivist, hr = auth("juridico"), auth("archivista"), auth("rrhh")
        office = auth("financiero")
        committee = auth("comite")
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404
        overdue = _ok(client.get("/api/v1/archive/loans?overdue=true", headers=archivist))
        assert loan["id"] in {row["id"] for row in overdue}
        _ok(client.post(f"/api/v1/archive/loans/{loan['id']}/return", headers=hr))
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404

        # Due for disposal; a hold takes it out of the list until another person releases it.
        due = client.get("/api/v1/archive/due-for-disposal", headers=archivist).json()
        assert holding["id"] in {h["id"] for h in due}
        hold = _ok(
            client.post(
                "/api/v1/archive/holds",
                headers=legal,
                json={
                    "series_code": "MDS.DAF.DF.PAG",
                    "reason": "Demanda laboral en curso",
                    "authority": "Juzgado Segundo de Trabajo",
                    "reference": "Causa 17371-2026-00042",
                },
            ),
            201,
        )
        due = client.get("/api/v1/archive/due-for-disposal", headers=archivist).json()
        assert holding["id"] not in {h["id"] for h in due}
        refused = client.post(
            "/api/v1/archive/disposals",
            headers=archivist,
            json={"holding_ids": [holding["id"]], "appraisal": "Sin valor secundario"},
        )
        assert refused.status_code == 409
        store = backend.services.store
        keys = _keys(client, archivist, dossier["id"])
        if store.capabilities.legal_hold:
            assert all(store.stat(key).legal_hold for key in keys)
            with pytest.raises(OperationNotAllowed):
                store.delete(keys[0])
        same = client.post(
            f"/api/v1/archive/holds/{hold['id']}/release", headers=legal, json={"reason": "Fin"}
        )
        assert same.status_code == 409 and same.json()["error"]["code"] == "hold_same_person"
        _ok(
            client.post(
                f"/api/v1/archive/holds/{hold['id']}/release",
                headers=archivist,
                json={"reason": "Sentencia ejecutoriada"},
            )
        )
        assert not any(store.stat(key).legal_hold for key in keys)

        # Proposed, approved by the committee (not by the archivist), executed.
        proposal = _ok(
            client.post(
                "/api/v1/archive/disposals",
                headers=archivist,
                json={"holding_ids": [holding["id"]], "appraisal": "Sin valor secundario"},
            ),
            201,
        )
        approve = f"/api/v1/archive/disposals/{proposal['id']}/approve"
        assert client.post(approve, headers=archivist, json={"pin": DEMO_PIN}).status_code == 403
        _ok(client.post(approve, headers=committee, json={"pin": DEMO_PIN}))
        done = _ok(
            client.post(
                f"/api/v1/archive/disposals/{proposal['id']}/execute",
                headers=archivist,
                json={"pin": DEMO_PIN},
            )
        )
        assert done["status"] == "executed"
        assert [i["outcome"] for i in done["items"]] == ["destroyed"]
        for key in keys:
            assert not store.exists(key)
        gone = _ok(
            client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=archivist)
        )
        assert gone["phase"] == "disposed"
        # A metadata stub remains: the dossier and its document are still described, and
        # asking for the content says it is gone.
        assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=office).status_code == 200
        assert client.get(f"/api/v1/documents/{document['id']}", headers=office).status_code == 200
        destroyed = client.get(f"/api/v1/documents/{document['id']}/content", headers=office)
        assert destroyed.status_code == 410, destroyed.text
        assert destroyed.json()["error"]["code"] == "content_disposed"

        # The disposal record verifies offline and names what was destroyed.
        record = client.get(
            f"/api/v1/archive/disposals/{proposal['id']}/record", headers=archivist
        ).content
        signature = client.get(
            f"/api/v1/archive/disposals/{proposal['id']}/record?part=signature", headers=archivist
        ).content
        root = x509.load_pem_x509_certificate((backend.settings.pki_dir / "root.pem").read_bytes())
        check = verify_record(record, signature, [root.public_bytes(Encoding.DER)])
        assert check.intact and check.trusted, check.reasons
        acta = json.loads(record)
        assert acta["type"] == "docsvc.archive.disposal_record"
        (item,) = acta["items"]
        assert item["record"] == dossier["id"] and item["outcome"] == "destroyed"
        assert sorted(item["sha256s"]) == sorted(keys)

        # The dossier's archival package still describes it, without its destroyed
        # documents, and carries the signed disposal record, which checks offline.
        package = tmp_path / "eliminado.zip"
        with backend.services.sessions() as db:
            export_dossier(
                db, backend.services, uuid.UUID(dossier["id"]), package, translator("es")
            )
            db.commit()
        with zipfile.ZipFile(package) as archive:
            names = archive.namelist()
            (described,) = [n for n in names if n.endswith("metadata/descriptive/record.json")]
            shown = json.loads(archive.read(described))
        assert shown["documents"] == [] and shown["dossier"]["id"] == dossier["id"]
        (disposal,) = shown["disposals"]
        assert any(n.endswith(disposal["record"]) for n in names)
        assert any(n.endswith(disposal["signature"]) for n in names)
        report = check_package(package)
        assert not report.problems, report.problems
        assert any(line.startswith("metadata/preservation/disposal-") for line in report.checked)

        # Every step is a leaf of the register, and each leaf's inclusion proof verifies.
        with backend.services.sessions() as db:
            kinds = {
                leaf.kind: leaf.idx
                for leaf in db.scalars(select(LogLeaf).where(LogLeaf.kind.like("archive.%")))
            }
            for step in (
                "archive.filing",
                "archive.transfer",
                "archive.phase",
                "archive.loan.request",
                "archive.loan.lend",
                "archive.loan.return",
                "archive.hold.place",
                "archive.hold.release",
                "archive.disposal",
                "archive.retention_table",
                "archive.classification",
            ):
                assert step in kinds, step
                size = log_size(db)
                leaf, proof, _ = inclusion(db, kinds[step], size)
                verify_inclusion(kinds[step], size, leaf, proof, root_at(db, size))


def _clock_at(moment: datetime) -> AbstractContextManager[object]:
    """The service's clock at ``moment``, running on from there. The S3 client keeps the
    real time: it signs its requests with it, and the server refuses a skewed clock."""
    return freeze_time(moment, tick=True, real_asyncio=True, ignore=["minio", "urllib3"])


def _keys(client: TestClient, headers: dict[str, str], dossier_id: str) -> list[str]:
    dossier = _ok(client.get(f"/api/v1/dossiers/{dossier_id}", headers=headers))
    return [entry["sha256"] for entry in dossier["items"]]


def test_a_personnel_file_counted_from_retirement_reaches_the_historical_archive(
    backend: Backend, client: TestClient, auth: Auth
) -> None:
    """Runs after the others, under the table they put in force: personnel files count
    from the official's retirement, an event their office records, and are kept for good.
    Once an executed disposal keeps one, the central archive hands it to the historical
    archive with a secondary transfer: a signed inventory, sent as a transfer and acknowledged
    with a signed receipt by the historical archive."""
    hr, archivist, committee = auth("rrhh"), auth("archivista"), auth("comite")
    historian = auth("historico")
    dossier = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=hr,
            json={"title": "Historia laboral de Marta Quiroga", "confidentiality": "internal"},
        ),
        201,
    )
    document = _ok(
        client.post(
            "/api/v1/documents",
            headers=hr,
            data={"doc_type": "letter", "title": "Acción de personal: cese por jubilación"},
            files={"file": ("c.pdf", unique_pdf("Cese por jubilación"), "application/pdf")},
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/dossiers/{dossier['id']}/items",
            headers=hr,
            json={"document_id": document["id"]},
        ),
        201,
    )
    filed = _ok(
        client.post(HOLDINGS, headers=hr, json={"series_code": "HLB", "dossier_id": dossier["id"]}),
        201,
    )
    assert filed["trigger"] == "event" and filed["trigger_event"] == "Retiro del servidor"
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=hr))
    # Closed, but its count starts at the retirement: no dates yet.
    holding = _ok(client.get(f"{HOLDINGS}?dossier_id={dossier['id']}", headers=hr))
    assert holding["central_on"] is None and holding["disposal_on"] is None
    trigger = f"{HOLDINGS}/{filed['id']}/trigger"
    today = local_date(backend.settings)
    future = client.post(trigger, headers=hr, json={"day": str(today + timedelta(days=30))})
    assert future.status_code == 400 and future.json()["error"]["code"] == "archive_future_day"
    stranger = client.post(trigger, headers=auth("juridico"), json={"day": str(today)})
    assert stranger.status_code in (403, 404)
    retired = today - timedelta(days=1)
    recorded = _ok(
        client.post(
            trigger, headers=hr, json={"day": str(retired), "note": "Jubilación, resolución 12"}
        )
    )
    assert recorded["trigger_on"] == str(retired) and recorded["starts_on"] == str(retired)
    assert recorded["central_on"] == str(retired) and recorded["disposition"] == "keep"

    # To the central archive (primary transfer), then appraised and kept for good.
    prepared = _ok(client.post(TRANSFERS, headers=hr, json={"holding_ids": [filed["id"]]}), 201)
    sent = _ok(
        client.post(f"{TRANSFERS}/{prepared['id']}/send", headers=hr, json={"pin": DEMO_PIN})
    )
    _ok(
        client.post(
            f"/api/v1/transfers/{sent['transfer_id']}/acknowledge",
            headers=archivist,
            json={"pin": DEMO_PIN},
        )
    )
    assert _ok(client.get(f"{HOLDINGS}?dossier_id={dossier['id']}", headers=hr))["phase"] == (
        "central"
    )
    # Not before an executed disposal keeps it.
    assert filed["id"] not in {
        h["id"] for h in _ok(client.get("/api/v1/archive/due-for-secondary", headers=archivist))
    }
    early = client.post(
        TRANSFERS, headers=archivist, json={"holding_ids": [filed["id"]], "kind": "secondary"}
    )
    assert early.status_code == 409
    proposal = _ok(
        client.post(
            "/api/v1/archive/disposals",
            headers=archivist,
            json={"holding_ids": [filed["id"]], "appraisal": "Valor histórico: se conserva"},
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/archive/disposals/{proposal['id']}/approve",
            headers=committee,
            json={"pin": DEMO_PIN},
        )
    )
    done = _ok(
        client.post(
            f"/api/v1/archive/disposals/{proposal['id']}/execute",
            headers=archivist,
            json={"pin": DEMO_PIN},
        )
    )
    assert [item["outcome"] for item in done["items"]] == ["historical"]
    due = _ok(client.get("/api/v1/archive/due-for-secondary", headers=archivist))
    assert filed["id"] in {h["id"] for h in due}
    # Nor is it due for disposal again.
    assert filed["id"] not in {
        h["id"] for h in _ok(client.get("/api/v1/archive/due-for-disposal", headers=archivist))
    }

    # The secondary transfer: only the central archive's archivists prepare it.
    body = {"holding_ids": [filed["id"]], "kind": "secondary"}
    assert client.post(TRANSFERS, headers=hr, json=body).status_code == 403
    secondary = _ok(client.post(TRANSFERS, headers=archivist, json=body), 201)
    assert secondary["kind"] == "secondary"
    assert (secondary["department"], secondary["archive_department"]) == ("DAG", "DAH")
    assert client.post(TRANSFERS, headers=archivist, json=body).status_code == 409
    inventory_doc = _ok(
        client.get(f"/api/v1/documents/{secondary['inventory_document_id']}", headers=archivist)
    )
    assert str(inventory_doc["title"]).startswith("Inventario de transferencia secundaria, DAG")
    sent = _ok(
        client.post(
            f"{TRANSFERS}/{secondary['id']}/send", headers=archivist, json={"pin": DEMO_PIN}
        )
    )
    record = client.get(f"{TRANSFERS}/{secondary['id']}/inventory", headers=historian).content
    signature = client.get(
        f"{TRANSFERS}/{secondary['id']}/inventory?part=signature", headers=historian
    ).content
    root = x509.load_pem_x509_certificate((backend.settings.pki_dir / "root.pem").read_bytes())
    check = verify_record(record, signature, [root.public_bytes(Encoding.DER)])
    assert check.intact and check.trusted, check.reasons
    inventory = inventory_from_record(record)
    assert inventory.kind == "secondary"
    assert (inventory.from_unit, inventory.to_unit) == ("DAG", "DAH")
    (item,) = inventory.items
    assert item.item_id == dossier["id"] and item.series_code == "MDS.DAF.DRH.HLB"
    _ok(
        client.post(
            f"/api/v1/transfers/{sent['transfer_id']}/acknowledge",
            headers=historian,
            json={"pin": DEMO_PIN},
        )
    )
    holding = _ok(client.get(f"{HOLDINGS}?dossier_id={dossier['id']}", headers=hr))
    assert holding["phase"] == "historical"
    # Kept for good: the storage refuses to delete it for a century.
    store = backend.services.store
    for sha256 in item.sha256s:
        info = store.stat(sha256)
        assert info.retain_until is not None
        assert info.retain_until.year >= today.year + 99
        with pytest.raises(OperationNotAllowed):
            store.delete(sha256)
    assert filed["id"] not in {
        h["id"] for h in _ok(client.get("/api/v1/archive/due-for-secondary", headers=archivist))
    }
    with backend.services.sessions() as db:
        kinds = {
            (leaf.kind, leaf.object_id)
            for leaf in db.scalars(select(LogLeaf).where(LogLeaf.kind.like("archive.%")))
        }
    assert ("archive.trigger", dossier["id"]) in kinds
    assert ("archive.phase", secondary["id"]) in kinds
