"""A primary transfer to the central archive, on the embedded store and on a real S3
server: the office lists what is due, prepares the inventory and sends it signed; the
archive acknowledges it from its inbox with a signed receipt; the dossier is then in the
central archive and its stored objects are under retention, which the store itself
enforces, also against the service's own credentials."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from archive.inventory import inventory_from_record
from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.ledger.log import inclusion, log_size, root_at
from docsvc.models import Dossier, LogLeaf
from signing.cades import verify_record
from storage import OperationNotAllowed
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf
from transparency.proofs import verify_inclusion

Auth = Callable[[str], dict[str, str]]
SECRET = "confidential"
TRANSFERS = "/api/v1/archive/transfers"
HOLDINGS = "/api/v1/archive/holdings"
RULES = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\nPAG,0,10,destroy,closing,,Normas de control,Eliminación con acta\n"
    "OFI,0,0,destroy,closing,,Norma de archivo,Eliminación al vencer el plazo\n"
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

    # Its stored objects are under retention: the store refuses to delete them.
    store = backend.services.store
    for sha256 in item.sha256s:
        info = store.stat(sha256)
        assert info.retain_until is not None
        assert info.retain_until.date().isoformat() > str(holding_now["disposal_on"])
        with pytest.raises(OperationNotAllowed):
            store.delete(sha256)
        assert store.exists(sha256)


def test_a_confidential_dossier_is_archived_lent_held_and_disposed_of(
    backend: Backend, client: TestClient, auth: Auth
) -> None:
    """Runs after the previous test (the table in force gives official letters no time in
    either archive). Its closing is moved 40 days back, as if it had been closed then, so
    its retention has ended and the storage lets it go."""
    archivist, committee, legal = auth("archivista"), auth("comite"), auth("juridico")
    hr = auth("rrhh")
    dossier = _ok(
        client.post(
            "/api/v1/dossiers",
            headers=legal,
            json={
                "title": "Expediente reservado de oficios 2025",
                "confidentiality": "confidential",
            },
        ),
        201,
    )
    document = _ok(
        client.post(
            "/api/v1/documents",
            headers=legal,
            data={
                "doc_type": "letter",
                "title": "Oficio reservado",
                "confidentiality": "confidential",
            },
            files={"file": ("o.pdf", unique_pdf("Oficio reservado 2025"), "application/pdf")},
        ),
        201,
    )
    _ok(
        client.post(
            f"/api/v1/dossiers/{dossier['id']}/items",
            headers=legal,
            json={"document_id": document["id"]},
        ),
        201,
    )
    filed = _ok(
        client.post(
            "/api/v1/archive/holdings",
            headers=legal,
            json={"series_code": "OFI", "dossier_id": dossier["id"]},
        ),
        201,
    )
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=legal))
    with backend.services.sessions() as db:
        row = db.get(Dossier, uuid.UUID(dossier["id"]))
        assert row is not None and row.closed_at is not None
        row.closed_at = row.closed_at - timedelta(days=40)
        db.commit()
    # The archive does not read an office's confidential dossier.
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=archivist).status_code == 404

    due = client.get("/api/v1/archive/due-for-transfer", headers=legal).json()
    assert filed["id"] in {h["id"] for h in due}
    prepared = _ok(
        client.post(
            "/api/v1/archive/transfers", headers=legal, json={"holding_ids": [filed["id"]]}
        ),
        201,
    )
    sent = _ok(
        client.post(
            f"/api/v1/archive/transfers/{prepared['id']}/send",
            headers=legal,
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
    holding = _ok(client.get(f"/api/v1/archive/holdings?dossier_id={dossier['id']}", headers=legal))
    assert holding["phase"] == "central"
    # Held by the archive now: the archivist reads it and its document, confidential as
    # they are; another office still does not.
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=archivist).status_code == 200
    content = client.get(f"/api/v1/documents/{document['id']}/content", headers=archivist)
    assert content.status_code == 200
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404

    # A loan to Human Resources, until a return date; readable while lent.
    loan = _ok(
        client.post(
            "/api/v1/archive/loans",
            headers=hr,
            json={"holding_id": holding["id"], "reason": "Auditoría de personal"},
        ),
        201,
    )
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 404
    assert (
        client.post(
            f"/api/v1/archive/loans/{loan['id']}/decision",
            headers=hr,
            json={"approve": True, "due_on": (date.today() + timedelta(days=7)).isoformat()},
        ).status_code
        == 403
    )
    lent = _ok(
        client.post(
            f"/api/v1/archive/loans/{loan['id']}/decision",
            headers=archivist,
            json={"approve": True, "due_on": (date.today() + timedelta(days=7)).isoformat()},
        )
    )
    assert lent["status"] == "lent"
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=hr).status_code == 200
    assert client.get(f"/api/v1/documents/{document['id']}/content", headers=hr).status_code == 200
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
                "series_code": "MDS.DAJ.OFI",
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
    assert client.get(f"/api/v1/dossiers/{dossier['id']}", headers=legal).status_code == 200
    assert client.get(f"/api/v1/documents/{document['id']}", headers=legal).status_code == 200
    destroyed = client.get(f"/api/v1/documents/{document['id']}/content", headers=legal)
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


def _keys(client: TestClient, headers: dict[str, str], dossier_id: str) -> list[str]:
    dossier = _ok(client.get(f"/api/v1/dossiers/{dossier_id}", headers=headers))
    return [entry["sha256"] for entry in dossier["items"]]
