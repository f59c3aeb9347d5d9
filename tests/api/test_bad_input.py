"""Bad input, tried as a new user would: a clear 4xx JSON error, nothing stored, no 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.support.backends import TEST_MAX_UPLOAD, Backend
from tests.support.holdings import holdings
from tests.support.pdfs import bad_input, unique_pdf

Auth = Callable[[str], dict[str, str]]


def post_file(
    client: TestClient, headers: dict[str, str], filename: str, content: bytes
) -> tuple[int, dict[str, dict[str, str]]]:
    response = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": "Prueba"},
        files={"file": (filename, content, "application/pdf")},
    )
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("sample", "code"),
    [
        ("empty.pdf", "empty_file"),
        ("truncated.pdf", "pdf_broken"),
        ("encrypted_empty_user_password.pdf", "pdf_encrypted"),
        ("encrypted_with_password.pdf", "pdf_encrypted"),
        ("jpeg_named.pdf", "not_a_pdf"),
        ("html_named.pdf", "not_a_pdf"),
        ("hybrid_xref.pdf", "pdf_hybrid_xref"),
        ("no_pages.pdf", "pdf_no_pages"),
        ("many_pages.pdf", "pdf_too_many_pages"),
        ("many_objects.pdf", "pdf_too_many_objects"),
        ("png_named.pdf", "not_a_pdf"),
        ("docx_named.pdf", "not_a_pdf"),
        ("trailer_size_lie.pdf", "pdf_broken"),
        ("page_tree_loop.pdf", "pdf_broken"),
        ("encrypted_rc4_empty_user_password.pdf", "pdf_encrypted"),
        ("encrypted_for_certificates.pdf", "pdf_encrypted"),
        ("hybrid_xref_escaped_name.pdf", "pdf_hybrid_xref"),
        ("hybrid_xref_in_earlier_revision.pdf", "pdf_hybrid_xref"),
    ],
)
def test_broken_files_are_refused_and_nothing_is_stored(
    client: TestClient, backend: Backend, auth: Auth, sample: str, code: str
) -> None:
    before = holdings(backend)
    status, body = post_file(client, auth("registro"), sample, bad_input(sample))
    assert status == 400, body
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert holdings(backend) == before


def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    before = holdings(backend)
    too_big = b"%PDF-1.7\n" + b"0" * (TEST_MAX_UPLOAD + 1)
    status, body = post_file(client, auth("registro"), "grande.pdf", too_big)
    assert status == 413
    assert body["error"]["code"] == "file_too_large"
    assert holdings(backend) == before


@pytest.mark.parametrize(
    "filename",
    ["../../etc/passwd.pdf", "..\\..\\windows\\system.ini", "/etc/shadow", "..", "dir/a.pdf"],
)
def test_a_path_traversal_file_name_is_refused(
    client: TestClient, backend: Backend, auth: Auth, filename: str
) -> None:
    before = holdings(backend)
    status, body = post_file(client, auth("registro"), filename, unique_pdf())
    assert status == 400
    assert body["error"]["code"] == "bad_filename"
    assert holdings(backend) == before


def test_no_token_is_401(client: TestClient, backend: Backend) -> None:
    before = holdings(backend)
    status, body = post_file(client, {}, "oficio.pdf", unique_pdf())
    assert status == 401
    assert body["error"]["code"] == "not_authenticated"
    assert client.get("/api/v1/documents").status_code == 401
    bad = client.get("/api/v1/documents", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "invalid_token"
    assert holdings(backend) == before


def test_a_role_that_may_not_author_is_403(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    before = holdings(backend)
    for username in ("auditora", "admin"):
        status, body = post_file(client, auth(username), "oficio.pdf", unique_pdf())
        assert status == 403
        assert body["error"]["code"] == "role_cannot_create_documents"
    assert holdings(backend) == before


def test_missing_fields_and_wrong_content_type(client: TestClient, auth: Auth) -> None:
    headers = auth("registro")
    no_file = client.post(
        "/api/v1/documents",
        headers=headers,
        files={"doc_type": (None, "letter"), "title": (None, "x")},
    )
    assert no_file.status_code == 400
    assert no_file.json()["error"]["code"] == "file_missing"
    as_json = client.post("/api/v1/documents", headers=headers, json={"title": "x"})
    assert as_json.status_code == 400
    assert as_json.json()["error"]["code"] == "not_multipart"
    bad_type = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "memo", "title": "x"},
        files={"file": ("a.pdf", unique_pdf(), "application/pdf")},
    )
    assert bad_type.status_code == 400
    assert bad_type.json()["error"]["code"] == "invalid_metadata"
    two_files = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": "x"},
        files=[
            ("file", ("a.pdf", unique_pdf(), "application/pdf")),
            ("file", ("b.pdf", unique_pdf(), "application/pdf")),
        ],
    )
    assert two_files.status_code == 400
    assert two_files.json()["error"]["code"] == "too_many_files"


def test_unknown_routes_and_ids_are_json_4xx(client: TestClient, auth: Auth) -> None:
    headers = auth("registro")
    assert client.get("/api/v1/nothing-here").json()["error"]["code"] == "not_found"
    not_uuid = client.get("/api/v1/documents/not-a-uuid", headers=headers)
    assert not_uuid.status_code == 422
    absent = client.get("/api/v1/documents/00000000-0000-4000-8000-000000000000", headers=headers)
    assert absent.status_code == 404
    assert absent.json()["error"]["code"] == "document_not_found"
