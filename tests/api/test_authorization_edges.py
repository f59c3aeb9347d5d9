"""Authorization at the edges between departments, each attack of the security review
reproduced and refused, next to the legitimate path it must leave working:

- a case is joined (by a register entry or a transfer, by id or inherited from the record)
  only by a department that already sees it; otherwise 404, as for no case at all;
- a document is signed (directly, in two steps, in a batch, through a signing line, or
  from its page) only by its own department or by an official it was sent to for
  signature, and a signing line is asked for only by the department that owns what it signs;
- a document or dossier is sent only by a department that owns it or received it;
- a register leaf's confidential details are shown only to those who see what it describes.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from docsvc.models import CredentialKind, Transfer
from docsvc.organisation.repository import user_by_username
from docsvc.pki.service import dev_pki, record_issued
from docsvc.signatures.credentials import register_credential
from signing.dev_pki import issue_official
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]
Browser = Callable[[str], TestClient]
CARD_PIN = "card-pin"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"edges-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


# --- helpers ----------------------------------------------------------------------------


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text


def _upload(client: TestClient, headers: dict[str, str], title: str, **fields: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": fields.pop("doc_type", "report"), "title": title, **fields},
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _send(
    client: TestClient,
    headers: dict[str, str],
    document_id: str,
    to: str,
    purpose: str,
    **extra: Any,
) -> Any:
    body = {"document_id": document_id, "to_department": to, "purpose": purpose, "pin": DEMO_PIN}
    return client.post("/api/v1/transfers", headers=headers, json={**body, **extra})


def _acknowledge(client: TestClient, headers: dict[str, str], transfer_id: str) -> dict[str, Any]:
    return _ok(
        client.post(
            f"/api/v1/transfers/{transfer_id}/acknowledge", headers=headers, json={"pin": DEMO_PIN}
        )
    )


def _sign(client: TestClient, headers: dict[str, str], document_id: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/documents/{document_id}/signatures",
        headers=headers,
        json={"pin": DEMO_PIN, **body},
    )


def _latest_version(client: TestClient, headers: dict[str, str], document_id: str) -> int:
    document = _ok(client.get(f"/api/v1/documents/{document_id}", headers=headers))
    return int(document["latest_version"]["number"])


def _transfer_count(backend: Backend) -> int:
    with backend.services.sessions() as db:
        return db.scalar(select(func.count()).select_from(Transfer)) or 0


def _payment_dossier(client: TestClient, headers: dict[str, str]) -> str:
    listing = _ok(client.get("/api/v1/dossiers", headers=headers))
    (match,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    return str(match["id"])


def _leaves(client: TestClient, start: int) -> list[tuple[int, dict[str, Any]]]:
    """The register's leaves from ``start`` on, each with its index."""
    size = _ok(client.get("/api/v1/register/size"))["size"]
    return [
        (index, _ok(client.get(f"/api/v1/register/leaves/{index}"))["leaf"])
        for index in range(start, size)
    ]


def _leaf_of(leaves: list[tuple[int, dict[str, Any]]], kind: str, object_id: str) -> int:
    (index,) = [
        i for i, leaf in leaves if leaf["kind"] == kind and leaf["object"]["id"] == object_id
    ]
    return index


def _wait(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = _ok(client.get(f"/api/v1/batches/{job_id}", headers=headers))
        if job["status"] in ("finished", "failed", "interrupted"):
            return job
        time.sleep(0.25)
    raise AssertionError("the batch job did not finish")


# --- 7. cases ---------------------------------------------------------------------------


def test_case_hijack_by_attaching_an_entry_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk, legal, dps = auth("registro"), auth("juridico"), auth("preparador")
    entry = upload_and_register(client, clerk, "Oficio del caso ajeno", subject="Caso de DAJ")
    case = entry["case_id"]
    assert client.get(f"/api/v1/cases/{case}", headers=dps).status_code == 404

    # Social Programmes' registry clerk attaches her own entry to Legal's case by its id
    # (public in the register's leaves): refused as if the case did not exist.
    own = _upload(client, dps, "Informe de Programas Sociales")
    attach = {"direction": "incoming", "document_id": own, "subject": "Intento",
              "counterpart": "Nadie"}  # fmt: skip
    hijack = client.post("/api/v1/register/entries", headers=dps, json={**attach, "case_id": case})
    _refused(hijack, 404, "case_not_found")
    unknown = client.post(
        "/api/v1/register/entries", headers=dps, json={**attach, "case_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 404 and unknown.json() == hijack.json()  # ids not confirmed
    listed = _ok(client.get("/api/v1/register/entries", headers=dps, params={"document_id": own}))
    assert listed["total"] == 0
    assert client.get(f"/api/v1/cases/{case}", headers=dps).status_code == 404

    # Legal attaches another of its documents to its own case.
    second = upload_and_register(client, clerk, "Anexo del caso")
    assert second["case_id"] != case  # a new record opens its own case by default
    annex = _upload(client, clerk, "Segundo anexo")
    joined = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={**attach, "document_id": annex, "case_id": case},
        ),
        201,
    )
    assert joined["case_id"] == case

    # A department sent something in the case sees it, and may then join it.
    sent = _ok(_send(client, legal, entry["document_id"], "DPS", "action", case_id=case), 201)
    assert sent["case_id"] == case
    _ok(client.get(f"/api/v1/cases/{case}", headers=dps))
    registered = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=dps,
            json={**attach, "document_id": entry["document_id"], "case_id": case},
        ),
        201,
    )
    assert registered["case_id"] == case


def test_case_hijack_by_attaching_a_transfer_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk, legal, finance, dps = (
        auth(u) for u in ("registro", "juridico", "financiero", "preparador")
    )
    entry = upload_and_register(client, clerk, "Oficio del caso de Jurídico")
    case = entry["case_id"]
    own = _upload(client, finance, "Informe financiero propio")

    before = _transfer_count(backend)
    hijack = _send(client, finance, own, "DPS", "information", case_id=case)
    _refused(hijack, 404, "case_not_found")
    assert _transfer_count(backend) == before
    for headers in (finance, dps):
        assert client.get(f"/api/v1/cases/{case}", headers=headers).status_code == 404

    # Legal sends within its own case; Finance, now a party to it, may add to it.
    sent = _ok(_send(client, legal, entry["document_id"], "DF", "action", case_id=case), 201)
    assert sent["case_id"] == case
    _ok(client.get(f"/api/v1/cases/{case}", headers=finance))
    joined = _ok(_send(client, finance, own, "DAJ", "information", case_id=case), 201)
    assert joined["case_id"] == case


def test_case_hijack_by_inheriting_a_case_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    """A record that another department registered in its case does not carry that case
    (and its history) along when its own department sends or registers it."""
    clerk, legal, finance, dps = (
        auth(u) for u in ("registro", "juridico", "financiero", "preparador")
    )
    report = _upload(client, finance, "Informe de Finanzas leído por Jurídico")
    legal_entry = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={"direction": "incoming", "document_id": report, "subject": "Informe",
                  "counterpart": "Dirección Financiera"},
        ),
        201,
    )  # fmt: skip
    legal_case = legal_entry["case_id"]

    sent = _ok(_send(client, finance, report, "DPS", "information"), 201)
    assert sent["case_id"] != legal_case
    for headers in (finance, dps):
        assert client.get(f"/api/v1/cases/{legal_case}", headers=headers).status_code == 404
    # What Programmes received carries the case it sees: the transfer's, not Legal's.
    registered = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=dps,
            json={"direction": "incoming", "document_id": report, "subject": "Informe recibido",
                  "counterpart": "Dirección Financiera"},
        ),
        201,
    )  # fmt: skip
    assert registered["case_id"] == sent["case_id"]

    # The legitimate inheritance: Legal's own letter carries Legal's case.
    letter = upload_and_register(client, clerk, "Oficio con caso heredado")
    forwarded = _ok(_send(client, legal, letter["document_id"], "DRH", "action"), 201)
    assert forwarded["case_id"] == letter["case_id"]


# --- 8. signing -------------------------------------------------------------------------


def test_signing_another_departments_document_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    hr, finance = auth("rrhh"), auth("financiero")
    payroll = _upload(client, hr, "Nómina de noviembre", doc_type="payment_order")
    before = holdings(backend)
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")
    _refused(_sign(client, finance, payroll, certify=True), 403, "not_sent_for_signature")
    assert holdings(backend) == before
    assert _latest_version(client, hr, payroll) == 1

    # Sent for information only: still not for Finance to sign.
    _ok(_send(client, hr, payroll, "DF", "information"), 201)
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")
    # Sent for signature, and returned: no longer.
    returned = _ok(_send(client, hr, payroll, "DF", "signature"), 201)
    _ok(
        client.post(
            f"/api/v1/transfers/{returned['id']}/return",
            headers=finance,
            json={"reason": "No corresponde a Finanzas", "pin": DEMO_PIN},
        )
    )
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")

    # Sent for signature: Finance signs, before and after acknowledging, until it answers.
    request = _ok(_send(client, hr, payroll, "DF", "signature"), 201)
    _ok(_sign(client, finance, payroll), 201)
    _acknowledge(client, finance, request["id"])
    _ok(_sign(client, finance, payroll), 201)
    _ok(_send(client, finance, payroll, "DRH", "reply", reply_to=request["id"]), 201)
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")
    assert _latest_version(client, hr, payroll) == 3
    # The owning department signs its own, as always.
    _ok(_sign(client, hr, payroll), 201)


def test_signing_another_departments_document_sent_in_a_dossier_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    """Finance puts HR's (internal, so readable) document in a dossier of its own and sends
    the dossier for signature: its receiver signs Finance's document, not HR's."""
    hr, finance, dps = auth("rrhh"), auth("financiero"), auth("preparador")
    payroll = _upload(client, hr, "Nómina metida en un expediente ajeno")
    budget = _upload(client, finance, "Certificación de Finanzas en su expediente")
    dossier = _ok(client.post("/api/v1/dossiers", headers=finance, json={"title": "Pago"}), 201)
    for document_id in (payroll, budget):
        _ok(
            client.post(
                f"/api/v1/dossiers/{dossier['id']}/items",
                headers=finance,
                json={"document_id": document_id},
            ),
            201,
        )
    sent = {"dossier_id": dossier["id"], "to_department": "DPS", "purpose": "signature",
            "pin": DEMO_PIN}  # fmt: skip
    _ok(client.post("/api/v1/transfers", headers=finance, json=sent), 201)
    _refused(_sign(client, dps, payroll), 403, "not_sent_for_signature")
    assert _latest_version(client, hr, payroll) == 1
    _ok(_sign(client, dps, budget), 201)


@pytest.fixture(scope="module")
def card(backend: Backend) -> rsa.RSAPrivateKey:
    """Miguel Torres's (Social Programmes) card, for two-step signing: the key stays in the
    test; the service gets the certificate and its chain."""
    pki = dev_pki(backend.services.keys)
    issued = issue_official(
        pki,
        full_name="Miguel Torres",
        username="programas",
        organisation=backend.settings.institution_name,
        position="Analista de Programas Sociales",
        pin=CARD_PIN,
    )
    key, cert, _ = pkcs12.load_key_and_certificates(issued.pkcs12, CARD_PIN.encode())
    assert isinstance(key, rsa.RSAPrivateKey) and cert is not None
    chain = b"".join(
        c.public_bytes(Encoding.PEM) for c in (cert, pki.issuing.certificate, pki.root.certificate)
    )
    with backend.services.sessions() as db:
        user = user_by_username(db, "programas")
        assert user is not None
        record_issued(db, cert, "signing", user.id)
        register_credential(db, user, CredentialKind.external, chain)
        db.commit()
    return key


def test_signing_another_departments_document_in_two_steps_is_refused(
    client: TestClient, backend: Backend, auth: Auth, card: rsa.RSAPrivateKey
) -> None:
    hr, programmes = auth("rrhh"), auth("programas")
    payroll = _upload(client, hr, "Nómina para firma con tarjeta")
    before = holdings(backend)
    prepare = client.post(
        f"/api/v1/documents/{payroll}/signatures/prepare", headers=programmes, json={}
    )
    _refused(prepare, 403, "not_sent_for_signature")
    assert holdings(backend) == before

    # Sent to Programmes for signature: prepared on the card's official, finished by it.
    _ok(_send(client, hr, payroll, "DPS", "signature"), 201)
    prepared = _ok(
        client.post(f"/api/v1/documents/{payroll}/signatures/prepare", headers=programmes, json={}),
        201,
    )
    value = card.sign(
        base64.b64decode(prepared["to_be_signed"]), padding.PKCS1v15(), hashes.SHA256()
    )
    finished = client.post(
        f"/api/v1/signatures/pending/{prepared['pending_id']}/finish",
        headers=programmes,
        json={"signature_value": base64.b64encode(value).decode()},
    )
    assert finished.status_code == 201, finished.text
    assert _latest_version(client, hr, payroll) == 2


def test_signing_another_departments_document_in_a_batch_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    hr, finance = auth("rrhh"), auth("financiero")
    payroll = _upload(client, hr, "Nómina por lote")
    sent = _upload(client, hr, "Nómina enviada para firma")
    _ok(_send(client, hr, sent, "DF", "signature"), 201)
    dossier = _payment_dossier(client, finance)  # Social Programmes' (with Finance's documents)
    items = [{"document_id": payroll}, {"dossier_id": dossier}, {"document_id": sent}]
    started = _ok(
        client.post("/api/v1/batches", headers=finance, json={"items": items, "pin": DEMO_PIN}),
        202,
    )
    job = _wait(client, finance, started["id"])
    assert job["status"] == "finished", job
    assert (job["done"], job["failed"]) == (1, 2), job
    results = {i["position"]: i for i in job["items"]}
    for position in (1, 2):
        assert results[position]["status"] == "failed"
        assert results[position]["error_code"] == "not_sent_for_signature", results[position]
    assert results[3]["status"] == "signed" and results[3]["versions"] == [f"{sent}:2"]
    assert _latest_version(client, hr, payroll) == 1
    detail = _ok(client.get(f"/api/v1/dossiers/{dossier}", headers=finance))
    assert all(item["latest_version"] == 1 for item in detail["items"]), detail


def test_signing_another_departments_document_through_a_signing_line_is_refused(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    hr, finance, minister, deputy = (
        auth(u) for u in ("rrhh", "financiero", "ministra", "viceministro")
    )
    payroll = _upload(client, hr, "Nómina con línea de firmas")
    own_line = {"document_id": payroll, "steps": [{"signers": [{"user": "financiero"}]}]}
    _refused(
        client.post("/api/v1/signing-lines", headers=finance, json=own_line),
        403,
        "not_owning_department",
    )
    dossier_line = {
        "dossier_id": _payment_dossier(client, finance),
        "steps": [{"signers": [{"user": "financiero"}]}],
    }
    _refused(
        client.post("/api/v1/signing-lines", headers=finance, json=dossier_line),
        403,
        "not_owning_department",
    )
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")

    # HR asks for Finance's director (by position), then for the Minister, whose stand-in
    # for today is the Deputy Minister.
    _ok(
        client.post(
            "/api/v1/stand-ins",
            headers=minister,
            json={"substitute": "viceministro",
                  "starts_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
                  "ends_on": (dt.date.today() + dt.timedelta(days=1)).isoformat()},
        ),
        201,
    )  # fmt: skip
    line = _ok(
        client.post(
            "/api/v1/signing-lines",
            headers=hr,
            json={
                "document_id": payroll,
                "steps": [
                    {"signers": [{"position": "DF:DIR-DF"}]},
                    {"signers": [{"user": "ministra"}]},
                ],
            },
        ),
        201,
    )
    # Not the Deputy Minister's turn yet: he may not sign it outside the line either.
    _refused(_sign(client, deputy, payroll), 403, "not_sent_for_signature")
    _ok(
        client.post(
            f"/api/v1/signing-lines/{line['id']}/sign", headers=finance, json={"pin": DEMO_PIN}
        )
    )
    signed = _ok(
        client.post(
            f"/api/v1/signing-lines/{line['id']}/sign", headers=deputy, json={"pin": DEMO_PIN}
        )
    )
    assert signed["status"] == "signed"
    assert signed["steps"][1]["signers"][0]["on_behalf_of"] == "ministra"
    # The line is done: nobody it named may go on signing the document.
    _refused(_sign(client, finance, payroll), 403, "not_sent_for_signature")
    assert _latest_version(client, hr, payroll) == 3


def test_signing_another_departments_document_from_its_page_is_refused(
    client: TestClient, backend: Backend, auth: Auth, browser_as: Browser
) -> None:
    hr = auth("rrhh")
    payroll = _upload(client, hr, "Nómina firmada desde la página")
    finance = browser_as("financiero")
    token = csrf_of(finance.get(f"/documentos/{payroll}/remitir").text)
    refused = finance.post(
        f"/documentos/{payroll}/firmar",
        data={"csrf_token": token, "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert refused.status_code == 403, refused.text
    assert _latest_version(client, hr, payroll) == 1
    page = finance.get(f"/documentos/{payroll}")
    assert page.status_code == 200
    assert f"/documentos/{payroll}/firmar" not in page.text  # no signing form offered

    _ok(_send(client, hr, payroll, "DF", "signature"), 201)
    page = finance.get(f"/documentos/{payroll}")
    assert f"/documentos/{payroll}/firmar" in page.text
    signed = finance.post(
        f"/documentos/{payroll}/firmar",
        data={"csrf_token": token, "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    assert _latest_version(client, hr, payroll) == 2


# --- 9. sending -------------------------------------------------------------------------


def test_sending_another_departments_document_is_refused(
    client: TestClient, backend: Backend, auth: Auth, browser_as: Browser
) -> None:
    hr, finance, dps = auth("rrhh"), auth("financiero"), auth("preparador")
    memo = _upload(client, hr, "Memorando interno de Talento Humano")
    before = _transfer_count(backend)
    _refused(_send(client, finance, memo, "DPS", "information"), 403, "not_owned_or_received")
    dossier = {"dossier_id": _payment_dossier(client, finance), "to_department": "DM",
               "purpose": "information", "pin": DEMO_PIN}  # fmt: skip
    _refused(
        client.post("/api/v1/transfers", headers=finance, json=dossier),
        403,
        "not_owned_or_received",
    )
    page = browser_as("financiero")
    token = csrf_of(page.get(f"/documentos/{memo}/remitir").text)
    from_page = page.post(
        f"/documentos/{memo}/remitir",
        data={"csrf_token": token, "to_department": "DPS", "purpose": "information",
              "pin": DEMO_PIN},
        follow_redirects=False,
    )  # fmt: skip
    assert from_page.status_code == 403, from_page.text
    assert _transfer_count(backend) == before

    # HR sends it to Finance, which forwards it (acknowledged) and may send it on itself.
    sent = _ok(_send(client, hr, memo, "DF", "action"), 201)
    _acknowledge(client, finance, sent["id"])
    forwarded = _ok(
        _send(client, finance, memo, "DPS", "information", forwarded_from=sent["id"]), 201
    )
    assert forwarded["forwarded_from"] == sent["id"]
    _ok(_send(client, finance, memo, "DM", "information"), 201)
    # Programmes received it (unacknowledged), so it may pass it on as well.
    _ok(_send(client, dps, memo, "DVM", "information"), 201)
    # The owner of the dossier sends it.
    _ok(client.post("/api/v1/transfers", headers=dps, json=dossier), 201)


# --- 10. register details ---------------------------------------------------------------


def test_reading_another_departments_register_details_is_refused(
    client: TestClient, backend: Backend, auth: Auth, browser_as: Browser
) -> None:
    clerk, legal, dps_clerk, auditor = (
        auth(u) for u in ("registro", "juridico", "preparador", "auditora")
    )
    start = _ok(client.get("/api/v1/register/size"))["size"]
    secret = _upload(client, clerk, "Oficio reservado", confidentiality="confidential")
    entry = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={"direction": "incoming", "document_id": secret,
                  "subject": "Asunto reservado del sumario", "counterpart": "Fiscalía"},
        ),
        201,
    )  # fmt: skip
    to_hr = _ok(
        _send(client, legal, secret, "DRH", "action", instructions="Instrucción reservada"), 201
    )
    receipt = _acknowledge(client, auth("rrhh"), to_hr["id"])["receipt"]
    leaves = _leaves(client, start)
    version_leaf = _leaf_of(leaves, "document.version", secret)
    entry_leaf = _leaf_of(leaves, "register.entry", entry["id"])
    transfer_leaf = _leaf_of(leaves, "transfer", to_hr["id"])
    receipt_leaf = _leaf_of(leaves, "receipt", receipt["id"])

    def details(headers: dict[str, str], index: int) -> Any:
        return client.get(f"/api/v1/register/leaves/{index}/details", headers=headers)

    # Programmes' registry clerk: the entry is a 404 for her, and so are its details, and
    # those of the document's version, the transfer and its receipt between two others.
    assert (
        client.get(f"/api/v1/register/entries/{entry['id']}", headers=dps_clerk).status_code == 404
    )
    for index in (entry_leaf, version_leaf, transfer_leaf, receipt_leaf):
        _refused(details(dps_clerk, index), 404, "leaf_not_found")
    missing = details(dps_clerk, 10**9)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "leaf_not_found"

    # Legal's own staff see them all; the auditor the entry, the transfer and the receipt.
    assert _ok(details(clerk, entry_leaf))["subject"] == "Asunto reservado del sumario"
    assert _ok(details(clerk, transfer_leaf))["instructions"] == "Instrucción reservada"
    for index in (version_leaf, receipt_leaf):
        _ok(details(clerk, index))
    for index in (entry_leaf, transfer_leaf, receipt_leaf):
        _ok(details(auditor, index))

    # Once sent to Programmes: its transfer and the document are its to see, the entry not.
    to_dps = _ok(_send(client, legal, secret, "DPS", "information", instructions="Para DPS"), 201)
    assert to_dps["case_id"] == entry["case_id"]
    dps_transfer_leaf = _leaf_of(_leaves(client, start), "transfer", to_dps["id"])
    assert _ok(details(dps_clerk, dps_transfer_leaf))["instructions"] == "Para DPS"
    _ok(details(dps_clerk, version_leaf))
    _refused(details(dps_clerk, entry_leaf), 404, "leaf_not_found")
    _refused(details(dps_clerk, transfer_leaf), 404, "leaf_not_found")

    # The case page shows Programmes what it may see of the case, and no more.
    timeline = browser_as("preparador").get(f"/casos/{entry['case_id']}")
    assert timeline.status_code == 200, timeline.text
    assert "Para DPS" in timeline.text
    assert "Asunto reservado del sumario" not in timeline.text
    assert "Instrucción reservada" not in timeline.text
    legal_timeline = browser_as("registro").get(f"/casos/{entry['case_id']}")
    assert "Asunto reservado del sumario" in legal_timeline.text
