"""The officials' pages over HTTP, as a browser uses them: log in with the form, see the
inbox, sign a signing line with the PIN or reject it with a reason, acknowledge or return
a received transfer. Every form needs the session's CSRF token; a refusal changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
HOSTILE = 'Oficio <script>alert("x")</script>'


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"officials-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _line(client: TestClient, auth: Auth, title: str, signer: str = "programas") -> dict:
    requester = auth("preparador")
    created = client.post(
        "/api/v1/documents",
        headers=requester,
        data={"doc_type": "letter", "title": title},
        files={"file": ("o.pdf", unique_pdf("Oficio"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    line = client.post(
        "/api/v1/signing-lines",
        headers=requester,
        json={"document_id": created.json()["id"], "steps": [{"signers": [{"user": signer}]}]},
    )
    assert line.status_code == 201, line.text
    return dict(line.json())


def _text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_inbox_needs_a_login(client: TestClient) -> None:
    response = client.get("/bandeja", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_an_official_signs_from_the_inbox_with_the_pin(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    line = _line(client, auth, HOSTILE)
    official = browser_as("programas")
    inbox = official.get("/bandeja")
    assert inbox.status_code == 200
    assert "Para firmar" in inbox.text and f'href="/firmas/{line["id"]}"' in inbox.text
    assert "<script>alert" not in inbox.text  # the hostile title is text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in inbox.text

    page = official.get(f"/firmas/{line['id']}")
    assert page.status_code == 200 and "Firmar ahora" in page.text
    token = csrf_of(page.text)
    wrong = official.post(f"/firmas/{line['id']}/firmar", data={"csrf_token": token, "pin": "0000"})
    assert wrong.status_code == 403 and "PIN incorrecto." in wrong.text
    state = client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("programas")).json()
    assert state["status"] == "in_signature"

    done = official.post(
        f"/firmas/{line['id']}/firmar",
        data={"csrf_token": token, "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/bandeja?hecho=signed"
    after = official.get(done.headers["location"])
    assert "Firmado. El documento tiene una nueva versión con su firma." in after.text
    assert f'href="/firmas/{line["id"]}"' not in after.text.split("Remisiones")[0]
    state = client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("programas")).json()
    assert state["status"] == "signed"


def test_a_rejection_needs_a_reason_and_a_form_token(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    line = _line(client, auth, "Oficio para rechazar")
    official = browser_as("programas")
    token = csrf_of(official.get(f"/firmas/{line['id']}").text)
    forged = official.post(f"/firmas/{line['id']}/rechazar", data={"reason": "sin token"})
    assert forged.status_code == 403 and "La sesión del formulario caducó" in forged.text
    empty = official.post(
        f"/firmas/{line['id']}/rechazar", data={"csrf_token": token, "reason": " "}
    )
    assert empty.status_code == 403 and "Indique el motivo." in empty.text
    state = client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("programas")).json()
    assert state["status"] == "in_signature"
    done = official.post(
        f"/firmas/{line['id']}/rechazar",
        data={"csrf_token": token, "reason": "Falta el anexo de presupuesto."},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/bandeja?hecho=rejected"
    state = client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("programas")).json()
    assert state["status"] == "rejected"
    assert state["rejection_reason"] == "Falta el anexo de presupuesto."
    # A reader who is not a signer sees the line, rejected, with no forms; signing is refused.
    other = browser_as("financiero")
    page = other.get(f"/firmas/{line['id']}")
    assert page.status_code == 200 and "devuelta" in page.text and "Firmar ahora" not in page.text
    refused = other.post(
        f"/firmas/{line['id']}/firmar", data={"csrf_token": csrf_of(page.text), "pin": DEMO_PIN}
    )
    assert refused.status_code == 409 and "ya no está en firma" in refused.text


def test_a_department_acknowledges_or_returns_a_transfer(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    legal = auth("juridico")
    documents = []
    for title in ("Pedido de expediente laboral", "Pedido duplicado"):
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
                "instructions": f"Atender: {title}.",
                "deadline_days": 5,
                "pin": DEMO_PIN,
            },
        )
        assert sent.status_code == 201, sent.text
        documents.append(sent.json())
    hr = browser_as("rrhh")
    inbox = hr.get("/bandeja")
    text = _text(inbox.text)
    assert "Atender: Pedido de expediente laboral." in text and "Para trámite" in text
    token = csrf_of(inbox.text)

    acknowledged = hr.post(
        f"/remisiones/{documents[0]['id']}/responder",
        data={"csrf_token": token, "pin": DEMO_PIN, "action": "acknowledge"},
        follow_redirects=False,
    )
    assert acknowledged.status_code == 303
    assert acknowledged.headers["location"] == "/bandeja?hecho=acknowledged"
    no_reason = hr.post(
        f"/remisiones/{documents[1]['id']}/responder",
        data={"csrf_token": token, "pin": DEMO_PIN, "action": "return", "reason": ""},
    )
    assert no_reason.status_code == 400 and "Indique el motivo." in no_reason.text
    returned = hr.post(
        f"/remisiones/{documents[1]['id']}/responder",
        data={
            "csrf_token": token,
            "pin": DEMO_PIN,
            "action": "return",
            "reason": "Corresponde a la Dirección Financiera.",
        },
        follow_redirects=False,
    )
    assert returned.status_code == 303
    states = {
        t["id"]: t
        for t in client.get(
            "/api/v1/transfers", headers=legal, params={"box": "outgoing", "limit": 500}
        ).json()["items"]
    }
    assert states[documents[0]["id"]]["status"] == "acknowledged"
    assert states[documents[1]["id"]]["status"] == "returned"
    assert (
        states[documents[1]["id"]]["receipt"]["reason"] == "Corresponde a la Dirección Financiera."
    )
    again = hr.post(
        f"/remisiones/{documents[0]['id']}/responder",
        data={"csrf_token": token, "pin": DEMO_PIN, "action": "acknowledge"},
    )
    assert again.status_code in (404, 409) and "<html" in again.text

    # Acknowledged, it stays on HR's list, awaiting the answer, with its title and a link
    # to answer it; the returned one leaves it.
    received = hr.get("/bandeja").text.split('id="received"', 1)[1].split('id="sent"', 1)[0]
    assert "Pedido de expediente laboral" in received and "Pedido duplicado" not in received
    assert "recibida, pendiente de respuesta" in received
    assert f"/remitir?responde={documents[0]['id']}" in received
    assert "/api/" not in received
    # The sender follows both in her sent box.
    legal_page = browser_as("juridico").get("/bandeja").text
    sent_box = legal_page.split('id="sent"', 1)[1].split("</section>", 1)[0]
    assert "Pedido de expediente laboral" in sent_box and "Pedido duplicado" in sent_box
    assert "devuelta" in sent_box and "recibida, pendiente de respuesta" in sent_box
    # HR answers with a reply, from the dialog the card opens: the transfer is answered.
    dialog = hr.get(
        f"/documentos/{documents[0]['document_id']}/remitir?responde={documents[0]['id']}"
    )
    assert f'<option value="{documents[0]["id"]}" selected>' in dialog.text
    replied = hr.post(
        f"/documentos/{documents[0]['document_id']}/remitir",
        data={
            "csrf_token": csrf_of(dialog.text),
            "to_department": "DAJ",
            "purpose": "reply",
            "reply_to": documents[0]["id"],
            "instructions": "Adjunto el expediente laboral.",
            "pin": DEMO_PIN,
        },
        follow_redirects=False,
    )
    assert replied.status_code == 303, replied.text
    received = hr.get("/bandeja").text.split('id="received"', 1)[1].split('id="sent"', 1)[0]
    assert "Pedido de expediente laboral" not in received


def test_a_transfer_for_signature_closes_when_the_signature_is_made(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={"doc_type": "resolution", "title": "Resolución para la firma de la Ministra"},
        files={"file": ("r.pdf", unique_pdf("Resolución para firma"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    sent = client.post(
        "/api/v1/transfers",
        headers=legal,
        json={
            "document_id": created.json()["id"],
            "to_department": "DM",
            "purpose": "signature",
            "deadline_days": 3,
            "pin": DEMO_PIN,
        },
    ).json()
    minister = browser_as("ministra")
    inbox = minister.get("/bandeja")
    assert "Resolución para la firma de la Ministra" in inbox.text
    acknowledged = minister.post(
        f"/remisiones/{sent['id']}/responder",
        data={"csrf_token": csrf_of(inbox.text), "pin": DEMO_PIN, "action": "acknowledge"},
        follow_redirects=False,
    )
    assert acknowledged.status_code == 303
    waiting = client.get(f"/api/v1/transfers/{sent['id']}", headers=legal).json()
    assert waiting["open"] and not waiting["signature_made"]
    document = minister.get(f"/documentos/{sent['document_id']}")
    signed = minister.post(
        f"/documentos/{sent['document_id']}/firmar",
        data={"csrf_token": csrf_of(document.text), "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    done = client.get(f"/api/v1/transfers/{sent['id']}", headers=legal).json()
    assert done["signature_made"] and not done["open"] and not done["overdue"]
    received = minister.get("/bandeja").text.split('id="received"', 1)[1]
    assert "Resolución para la firma de la Ministra" not in received.split('id="sent"', 1)[0]
    sent_box = browser_as("juridico").get("/bandeja").text.split('id="sent"', 1)[1]
    assert "firmada" in sent_box.split("</section>", 1)[0]


def test_batch_signing_from_the_inbox_shows_its_progress(
    client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    import time

    lines = [_line(client, auth, f"Oficio en lote {n}") for n in range(3)]
    official = browser_as("programas")
    inbox = official.get("/bandeja")
    for line in lines:
        assert f'name="line" value="{line["id"]}"' in inbox.text
    token = csrf_of(inbox.text)
    nothing = official.post("/firmas/lote", data={"csrf_token": token, "pin": DEMO_PIN})
    assert nothing.status_code == 400 and "Elija al menos una línea de firma." in nothing.text
    started = official.post(
        "/firmas/lote",
        data={"csrf_token": token, "pin": DEMO_PIN, "line": [lines[0]["id"], lines[1]["id"]]},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    progress_url = started.headers["location"]
    assert progress_url.startswith("/firmas/lote/")
    deadline = time.monotonic() + 120
    while True:
        page = official.get(progress_url)
        assert page.status_code == 200 and "<progress" in page.text
        if "Terminado" in page.text:
            break
        assert 'http-equiv="refresh"' in page.text  # reloads itself while it runs
        assert time.monotonic() < deadline, page.text
        time.sleep(0.5)
    assert 'http-equiv="refresh"' not in page.text
    assert 'value="2"' in page.text and "Firmados: 2" in page.text
    states = [
        client.get(f"/api/v1/signing-lines/{line['id']}", headers=auth("programas")).json()[
            "status"
        ]
        for line in lines
    ]
    assert states == ["signed", "signed", "in_signature"]


def test_security_headers_and_hsts_behind_tls(backend: Backend) -> None:
    with TestClient(create_app(backend.settings, backend.services)) as plain:
        page = plain.get("/login")
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in page.headers  # no TLS, no HSTS
    with TestClient(
        create_app(backend.settings, backend.services), base_url="https://testserver"
    ) as tls:
        page = tls.get("/login")
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
