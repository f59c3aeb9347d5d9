"""Signing through the API, as officials do: a PIN or an unlocked session, the default level
per document type, certification then approvals, each signature a new version that our
verifier and poppler's pdfsig both accept; and every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PIN
from docsvc.documents import codes
from signing.verification import VerificationPolicy, verify
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.holdings import holdings
from tests.support.pdfs import unique_pdf
from tests.support.pdfsig import PDFSIG_AVAILABLE, pdfsig_output

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """Seeded with the development PKI, so that the demo officials hold credentials."""
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"sign-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _document_id(client: TestClient, headers: dict[str, str], title_start: str) -> str:
    listing = client.get("/api/v1/documents", headers=headers, params={"limit": 100}).json()
    (match,) = [d for d in listing["items"] if d["title"].startswith(title_start)]
    return str(match["id"])


def _download(client: TestClient, headers: dict[str, str], doc_id: str, path: Path) -> Path:
    response = client.get(f"/api/v1/documents/{doc_id}/content", headers=headers)
    assert response.status_code == 200
    path.write_bytes(response.content)
    return path


def test_an_official_has_a_credential_and_no_open_session(client: TestClient, auth: Auth) -> None:
    credential = client.get("/api/v1/signing/credential", headers=auth("viceministro")).json()
    assert credential["kind"] == "pkcs12"
    assert "Carlos Méndez" in credential["subject"]
    state = client.get("/api/v1/signing/session", headers=auth("viceministro")).json()
    assert state == {"unlocked": False, "expires_at": None}


def test_certification_then_two_approvals_each_make_a_valid_version(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    doc_id = _document_id(client, auth("preparador"), "Resolución N.º MDS-DPS")
    first = client.post(
        f"/api/v1/documents/{doc_id}/signatures",
        headers=auth("preparador"),
        json={"pin": DEMO_PIN, "certify": True},
    )
    assert first.status_code == 201, first.text
    result = first.json()
    # Resolutions are kept for decades: B-LT unless the request says otherwise.
    assert result["signature"]["level"] == "B-LT"
    assert result["signature"]["kind"] == "certification"
    assert result["signature"]["version_number"] == 2
    code = result["verification_code"]
    assert codes.normalise(code.lower()) == code
    assert result["verification_url"].endswith(f"/verificar/{code}")

    # Social Programmes sends it to Finance and to the Deputy Minister for signature: the
    # only way another department's officials may sign it.
    for department in ("DF", "DVM"):
        sent = client.post(
            "/api/v1/transfers",
            headers=auth("preparador"),
            json={"document_id": doc_id, "to_department": department, "purpose": "signature",
                  "pin": DEMO_PIN},
        )  # fmt: skip
        assert sent.status_code == 201, sent.text

    # The second signer unlocks a session once, then signs without the PIN.
    unlocked = client.post(
        "/api/v1/signing/session", headers=auth("financiero"), json={"pin": DEMO_PIN}
    )
    assert unlocked.status_code == 200 and unlocked.json()["unlocked"], unlocked.text
    second = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=auth("financiero"), json={}
    )
    assert second.status_code == 201, second.text
    assert second.json()["signature"]["kind"] == "approval"
    assert second.json()["verification_code"] == code

    third = client.post(
        f"/api/v1/documents/{doc_id}/signatures",
        headers=auth("viceministro"),
        json={"pin": DEMO_PIN, "level": "B-T", "base_version": 3},
    )
    assert third.status_code == 201, third.text
    assert third.json()["signature"]["version_number"] == 4

    listed = client.get(f"/api/v1/documents/{doc_id}/signatures", headers=auth("programas"))
    assert [s["version_number"] for s in listed.json()] == [2, 3, 4]
    document = client.get(f"/api/v1/documents/{doc_id}", headers=auth("programas")).json()
    assert [v["number"] for v in document["versions"]] == [1, 2, 3, 4]

    signed = _download(client, auth("programas"), doc_id, tmp_path / "firmado.pdf")
    report = verify(signed, VerificationPolicy([backend.root_der()])).report
    assert report.verdict == "valid", report.as_json()
    names = [s.signer.name for s in report.signatures]
    assert len(names) == 3
    assert "Sofía Castillo" in names[0] and "Roberto Álvarez" in names[1]
    assert "Carlos Méndez" in names[2]
    assert report.signatures[2].level == "B-T"
    if PDFSIG_AVAILABLE:
        out = pdfsig_output(signed, backend.settings.pki_dir / "root.pem", tmp_path)
        assert out.count("Signature is Valid.") == 3, out
        assert out.count("Certificate is Trusted.") == 3, out


def test_default_level_for_other_types_and_an_explicit_b_b(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    doc_id = _document_id(client, auth("financiero"), "Certificación presupuestaria")
    signed = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=auth("financiero"), json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    assert signed.json()["signature"]["level"] == "B-T"
    again = client.post(
        f"/api/v1/documents/{doc_id}/signatures",
        headers=auth("financiero"),
        json={"pin": DEMO_PIN, "level": "B-B"},
    )
    assert again.status_code == 201, again.text
    report = verify(
        _download(client, auth("financiero"), doc_id, tmp_path / "c.pdf"),
        VerificationPolicy([backend.root_der()]),
    ).report
    assert report.verdict == "valid", report.as_json()
    assert [s.level for s in report.signatures] == ["B-T", "B-B"]


_SIGNED_ONCE: dict[str, str] = {}


def _signed_once(client: TestClient, auth: Auth) -> str:
    """A fresh Social Programmes document with one signature, made once per module, so
    that these tests do not depend on the order they run in."""
    if (
        "id" not in _SIGNED_ONCE
        or not client.get(
            f"/api/v1/documents/{_SIGNED_ONCE['id']}", headers=auth("programas")
        ).is_success
    ):
        created = client.post(
            "/api/v1/documents",
            headers=auth("preparador"),
            data={"doc_type": "report", "title": "Informe de seguimiento"},
            files={
                "file": ("informe.pdf", unique_pdf("Informe de seguimiento"), "application/pdf")
            },
        )
        assert created.status_code == 201, created.text
        doc_id = created.json()["id"]
        signed = client.post(
            f"/api/v1/documents/{doc_id}/signatures",
            headers=auth("preparador"),
            json={"pin": DEMO_PIN},
        )
        assert signed.status_code == 201, signed.text
        _SIGNED_ONCE["id"] = doc_id
    return _SIGNED_ONCE["id"]


@pytest.mark.parametrize(
    ("user", "body", "status", "code"),
    [
        ("registro", {"pin": DEMO_PIN}, 403, "not_an_official"),
        ("programas", {}, 400, "pin_required"),
        ("programas", {"pin": DEMO_PIN, "certify": True}, 409, "cannot_certify_signed"),
        ("programas", {"pin": DEMO_PIN, "base_version": 1}, 409, "version_changed"),
        ("programas", {"pin": DEMO_PIN, "level": "B-X"}, 422, None),
    ],
)
def test_refusals_change_nothing(
    client: TestClient,
    backend: Backend,
    auth: Auth,
    user: str,
    body: dict[str, object],
    status: int,
    code: str | None,
) -> None:
    doc_id = _signed_once(client, auth)
    before = holdings(backend)
    response = client.post(f"/api/v1/documents/{doc_id}/signatures", headers=auth(user), json=body)
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"]["code"] == code
    assert holdings(backend) == before


def test_wrong_pins_lock_signing_and_the_right_pin_waits(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    created = client.post(
        "/api/v1/documents",
        headers=auth("rrhh"),
        data={"doc_type": "report", "title": "Lista de beneficiarios de Recursos Humanos"},
        files={"file": ("lista.pdf", unique_pdf("Lista de beneficiarios"), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    before = holdings(backend)
    url = f"/api/v1/documents/{doc_id}/signatures"
    limit = backend.settings.pin_max_failures
    for attempt in range(limit):
        response = client.post(url, headers=auth("rrhh"), json={"pin": "9999"})
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "wrong_pin"
        assert ("locked" in response.json()["error"]["message"]) == (attempt == limit - 1)
    locked = client.post(url, headers=auth("rrhh"), json={"pin": DEMO_PIN})
    assert locked.status_code == 423, locked.text
    assert locked.json()["error"]["code"] == "pin_locked"
    assert (
        client.post(
            "/api/v1/signing/session", headers=auth("rrhh"), json={"pin": DEMO_PIN}
        ).status_code
        == 423
    )
    assert holdings(backend) == before
    audit = client.get("/api/v1/audit/events", headers=auth("rrhh"), params={"limit": 5})
    assert audit.status_code in (200, 403)


def test_locking_the_session_forgets_the_key(client: TestClient, auth: Auth) -> None:
    headers = auth("ministra")
    assert client.post("/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}).json()[
        "unlocked"
    ]
    assert client.get("/api/v1/signing/session", headers=headers).json()["unlocked"]
    assert client.delete("/api/v1/signing/session", headers=headers).json() == {
        "unlocked": False,
        "expires_at": None,
    }
    doc_id = _document_id(client, headers, "Resolución Ministerial")
    response = client.post(f"/api/v1/documents/{doc_id}/signatures", headers=headers, json={})
    assert response.json()["error"]["code"] == "pin_required"
    wrong = client.post("/api/v1/signing/session", headers=headers, json={"pin": "0000"})
    assert wrong.status_code == 403
