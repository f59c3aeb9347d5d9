"""A signing session opened through one app process signs through every other, and ends in
all of them at once: two app instances, each with its own services (engine, pool, signing
runtime), on one database and one store, as two processes or two hosts behind a load
balancer. The key is kept sealed under the client's token: the database alone cannot open
it. On SQLite + local store and on PostgreSQL + SeaweedFS."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from docsvc.actors.sessions import token_key
from docsvc.app import create_app
from docsvc.composition import build_services
from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.models import SigningCredential, SigningSession, User
from docsvc.services import Services
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.documents import upload
from tests.support.pages import page_text, redirected, submit
from tests.support.pdfs import unique_pdf

OFFICIAL = "ministra"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"sessions-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture
def processes(backend: Backend) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app processes of one deployment: each its own services and signing runtime."""
    built: list[Services] = [build_services(backend.settings) for _ in range(2)]
    clients = [TestClient(create_app(backend.settings, services)) for services in built]
    for client in clients:
        client.__enter__()
    yield clients[0], clients[1]
    for client in clients:
        client.__exit__(None, None, None)
    for services in built:
        services.close()


def _token(client: TestClient) -> str:
    response = client.post(
        "/api/v1/auth/token", json={"username": OFFICIAL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _document(client: TestClient, headers: dict[str, str]) -> str:
    return str(upload(client, headers, unique_pdf("Resolución de prueba"))["id"])


def _sign(client: TestClient, headers: dict[str, str], doc_id: str) -> tuple[int, str]:
    response = client.post(
        f"/api/v1/documents/{doc_id}/signatures",
        headers=headers,
        json={"level": "B-B", "visible": False},
    )
    code = response.json().get("error", {}).get("code", "") if response.status_code >= 400 else ""
    return response.status_code, code


def _row(backend: Backend, token: str) -> SigningSession | None:
    with backend.services.sessions() as db:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return db.get(SigningSession, digest)


def test_a_session_opened_in_one_process_signs_in_the_other(
    backend: Backend, processes: tuple[TestClient, TestClient]
) -> None:
    first, second = processes
    token = _token(first)
    headers = {"Authorization": f"Bearer {token}"}
    documents = [_document(first, headers) for _ in range(4)]
    assert _sign(second, headers, documents[0]) == (400, "pin_required")

    opened = first.post("/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN})
    assert opened.status_code == 200 and opened.json()["unlocked"], opened.text
    assert second.get("/api/v1/signing/session", headers=headers).json() == opened.json()
    # Alternately through each process: none asks for the PIN again.
    for n, doc_id in enumerate(documents):
        assert _sign(processes[n % 2], headers, doc_id) == (201, "")

    # Locked through the second, it is locked in the first at once.
    locked = second.delete("/api/v1/signing/session", headers=headers)
    assert locked.json() == {"unlocked": False, "expires_at": None}
    assert _sign(first, headers, documents[0]) == (400, "pin_required")
    assert _row(backend, token) is None


def test_a_session_expires_in_every_process_at_once(
    backend: Backend, processes: tuple[TestClient, TestClient]
) -> None:
    first, second = processes
    token = _token(second)
    headers = {"Authorization": f"Bearer {token}"}
    doc_id = _document(first, headers)
    assert first.post("/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}).json()[
        "unlocked"
    ]
    # Both processes have used (and cached) the key before it expires.
    assert _sign(first, headers, doc_id) == (201, "")
    assert _sign(second, headers, doc_id) == (201, "")
    with backend.services.sessions() as db:
        db.execute(
            update(SigningSession)
            .where(SigningSession.auth_session == hashlib.sha256(token.encode()).hexdigest())
            .values(expires_at=utcnow())
        )
        db.commit()
    for client in processes:
        assert client.get("/api/v1/signing/session", headers=headers).json()["unlocked"] is False
        assert _sign(client, headers, doc_id) == (400, "pin_required")


def test_the_database_alone_cannot_open_the_kept_key(
    backend: Backend, processes: tuple[TestClient, TestClient]
) -> None:
    """What the database holds (the token's digest, the sealed key) opens nothing; only the
    token the client holds does. A session is this login's: another login of the same
    official does not use it, and logging out ends it."""
    first, second = processes
    token = _token(first)
    headers = {"Authorization": f"Bearer {token}"}
    assert first.post("/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}).json()[
        "unlocked"
    ]
    row = _row(backend, token)
    assert row is not None
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == OFFICIAL))
        assert user is not None
        credential = db.scalar(
            select(SigningCredential).where(
                SigningCredential.user_id == user.id, SigningCredential.active.is_(True)
            )
        )
        assert credential is not None
    bound = f"docsvc-signing-session:{row.auth_session}:{credential.id}:{user.id}".encode()
    nonce, sealed = row.sealed[:12], row.sealed[12:]
    for guess in (row.auth_session.encode()[:32], hashlib.sha256(b"").digest()):
        with pytest.raises(InvalidTag):
            AESGCM(guess).decrypt(nonce, sealed, bound)
    plain = AESGCM(token_key(token)).decrypt(nonce, sealed, bound)
    assert plain[:1] == b"\x30"  # a DER PKCS#12: only the token's holder gets here

    other = {"Authorization": f"Bearer {_token(second)}"}
    assert second.get("/api/v1/signing/session", headers=other).json()["unlocked"] is False
    assert _sign(second, other, _document(second, other)) == (400, "pin_required")

    assert second.post("/api/v1/auth/logout", headers=headers).status_code in (200, 204)
    assert _row(backend, token) is None


def test_an_official_opens_and_locks_her_session_in_the_pages(
    backend: Backend, browser_as: object, processes: tuple[TestClient, TestClient]
) -> None:
    """In the pages, in Spanish: the inbox opens the session with the PIN, a document is
    signed from its page with the PIN left empty, and the inbox locks it again."""
    assert callable(browser_as)
    official: TestClient = browser_as(OFFICIAL)
    api = {"Authorization": f"Bearer {_token(processes[0])}"}
    doc_id = _document(processes[0], api)

    inbox = page_text(official.get("/bandeja").text)
    assert "Sesión de firma" in inbox and "Abrir la sesión de firma" in inbox
    wrong = submit(official, "/bandeja", "/firma/sesion", pin="0000")
    assert wrong.status_code == 403 and "PIN incorrecto." in page_text(wrong.text)
    redirected(
        submit(official, "/bandeja", "/firma/sesion", pin=DEMO_PIN),
        r"/bandeja\?hecho=signing_session_opened",
    )
    inbox = page_text(official.get("/bandeja?hecho=signing_session_opened").text)
    assert "Sesión de firma abierta" in inbox
    assert "Su sesión de firma está abierta hasta las" in inbox
    assert "Cerrar la sesión de firma" in inbox

    signed = submit(official, f"/documentos/{doc_id}", f"/documentos/{doc_id}/firmar", pin="")
    redirected(signed, rf"/documentos/{doc_id}\?hecho=signed")

    redirected(
        submit(official, "/bandeja", "/firma/sesion/cerrar"),
        r"/bandeja\?hecho=signing_session_locked",
    )
    inbox = page_text(official.get("/bandeja?hecho=signing_session_locked").text)
    assert "la próxima firma pedirá el PIN" in inbox and "Abrir la sesión de firma" in inbox
    again = submit(official, f"/documentos/{doc_id}", f"/documentos/{doc_id}/firmar", pin="")
    assert again.status_code == 400 and "Escriba su PIN de firma." in page_text(again.text)
