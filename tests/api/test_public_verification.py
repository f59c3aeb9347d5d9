"""Public verification without an account: a report for any uploaded PDF with its copy
check against the register, and the public record behind a verification code."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

import transparency as merkle
import transparency as notes
from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"public-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _signed(client: TestClient, auth: Auth, title: str, confidentiality: str) -> dict:
    legal = auth("juridico")
    created = client.post(
        "/api/v1/documents",
        headers=legal,
        data={"doc_type": "resolution", "title": title, "confidentiality": confidentiality},
        files={"file": ("r.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    doc_id = created.json()["id"]
    signed = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=legal, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    versions = {
        n: client.get(f"/api/v1/documents/{doc_id}/versions/{n}/content", headers=legal).content
        for n in (1, 2)
    }
    return {"id": doc_id, "code": signed.json()["verification_code"], "versions": versions}


def _verify(client: TestClient, data: bytes, name: str = "copia.pdf") -> dict:
    response = client.post(
        "/api/v1/verify", files={"file": (name, data, "application/pdf")}
    )  # no login
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def test_an_uploaded_copy_is_verified_and_placed_against_the_register(
    client: TestClient, auth: Auth
) -> None:
    document = _signed(client, auth, "Resolución pública de becas", "public")
    latest = _verify(client, document["versions"][2])
    assert latest["verdict"] == "valid", latest
    assert "Lucía Fernández" in latest["signatures"][0]["signer"]["name"]
    assert latest["copy"] == {
        "status": "identical",
        "verification_code": document["code"],
        "version": 2,
        "latest_version": 2,
    }
    original = _verify(client, document["versions"][1])
    assert original["verdict"] == "indeterminate"  # no signature yet in version 1
    assert original["copy"]["status"] == "earlier_version" and original["copy"]["version"] == 1

    # The signed version with something appended after the signature.
    writer = IncrementalPdfFileWriter(io.BytesIO(document["versions"][2]), strict=False)
    writer.root["/DocsvcTest"] = generic.TextStringObject("añadido después de la firma")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    appended = _verify(client, out.getvalue())
    assert appended["copy"]["status"] == "later_revision"
    assert appended["copy"]["verification_code"] == document["code"]
    assert appended["copy"]["version"] == 2
    assert appended["signatures"][0]["modifications_after"] != "none"

    stranger = _verify(client, unique_pdf("Un documento ajeno"))
    assert stranger["copy"]["status"] == "unknown" and stranger["verdict"] == "indeterminate"
    not_pdf = client.post("/api/v1/verify", files={"file": ("x.pdf", b"hola", "application/pdf")})
    assert not_pdf.status_code == 400 and "error" in not_pdf.json()
    missing = client.post("/api/v1/verify", data={"nothing": "here"})
    assert missing.status_code in (400, 422)


def test_a_verification_code_leads_to_the_public_record(client: TestClient, auth: Auth) -> None:
    public = _signed(client, auth, "Resolución de becas 2026", "public")
    registered = client.post(
        "/api/v1/register/entries",
        headers=auth("juridico"),
        json={"direction": "outgoing", "document_id": public["id"], "subject": "Becas",
              "counterpart": "Ciudadanía"},
    )  # fmt: skip
    assert registered.status_code == 201, registered.text
    # Public reads sign no checkpoint (tests/api/test_public_reads_write_nothing.py): the
    # next one, which the service's schedule would make, is asked for now.
    made = client.post("/api/v1/register/checkpoints", headers=auth("registro"))
    assert made.status_code == 201, made.text
    record = client.get(f"/api/v1/verify/{public['code'].lower()}")  # typed in lower case
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["title"] == "Resolución de becas 2026" and body["public"]
    assert body["registry_numbers"] == [registered.json()["number"]]
    assert [s["name"] for s in body["signers"]] == ["Lucía Fernández"]
    versions = body["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["previous_sha256"] == versions[0]["sha256"]
    for number, version in zip((1, 2), versions, strict=True):
        assert version["sha256"] == hashlib.sha256(public["versions"][number]).hexdigest()
    # Each version's register leaf is proven against the signed checkpoint given with it.
    note = notes.SignedNote.parse(body["checkpoint"])
    checkpoint = notes.Checkpoint.parse_text(note.text)
    notes.verify_note(note, notes.VerifierKey.parse(client.get("/api/v1/register/key").text))
    for version in versions:
        leaf = client.get(f"/api/v1/register/leaves/{version['register_index']}").json()
        assert leaf["leaf"]["data"]["sha256"] == version["sha256"]
        merkle.verify_inclusion(
            version["register_index"],
            checkpoint.size,
            bytes.fromhex(leaf["leaf_hash"]),
            [bytes.fromhex(p) for p in version["proof"]],
            checkpoint.root,
        )
    download = client.get(f"/api/v1/verify/{public['code']}/content")
    assert download.status_code == 200 and download.content == public["versions"][2]

    secret = _signed(client, auth, "Sumario administrativo reservado", "confidential")
    hidden = client.get(f"/api/v1/verify/{secret['code']}").json()
    assert hidden["title"] is None and not hidden["public"] and hidden["download_url"] is None
    assert hidden["signers"] and len(hidden["versions"]) == 2
    assert client.get(f"/api/v1/verify/{secret['code']}/content").status_code == 404
    assert client.get("/api/v1/verify/AAAA-BBBB-CCCC-DDDD").status_code == 404
    assert client.get("/api/v1/verify/not a code").status_code == 404


def test_the_etsi_report_is_there_for_signed_files_only(client: TestClient, auth: Auth) -> None:
    document = _signed(client, auth, "Resolución para el informe ETSI", "internal")
    xml = client.post(
        "/api/v1/verify",
        params={"format": "etsi"},
        files={"file": ("r.pdf", document["versions"][2], "application/pdf")},
    )
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    assert b"ValidationReport" in xml.content and b"total-passed" in xml.content
    unsigned = client.post(
        "/api/v1/verify",
        params={"format": "etsi"},
        files={"file": ("r.pdf", document["versions"][1], "application/pdf")},
    )
    assert unsigned.status_code == 400 and unsigned.json()["error"]["code"] == "no_signature"


def test_public_verification_is_rate_limited_per_client(backend: Backend) -> None:
    from docsvc.app import create_app

    settings = backend.settings.model_copy(update={"public_requests_per_minute": 3})
    with TestClient(create_app(settings, backend.services)) as limited:
        for _ in range(3):
            assert limited.get("/api/v1/verify/AAAA-BBBB-CCCC-DDDD").status_code == 404
        refused = limited.get("/api/v1/verify/AAAA-BBBB-CCCC-DDDD")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Other routes are not counted.
        assert limited.get("/api/v1/register/size").status_code == 200


def test_the_window_slides() -> None:
    from docsvc.errors import TooManyRequests
    from docsvc.throttles import RateLimiter

    limiter = RateLimiter(2)
    limiter.check("10.0.0.1", now=0.0)
    limiter.check("10.0.0.1", now=30.0)
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("10.0.0.1", now=59.0)
    assert refused.value.retry_after == 1
    limiter.check("10.0.0.2", now=59.0)  # another client has its own window
    limiter.check("10.0.0.1", now=60.5)  # the first hit has left the window
