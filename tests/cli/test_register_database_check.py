"""``docsvc register verify --database`` checks the rows people read against the leaves that
recorded them: an edit made directly in the database (an entry's subject, a document's
confidentiality, a transfer's destination, an annulment, a leaf's stored details) fails the
check with one line naming the object, the field and the leaf, though the log itself is
untouched and still gives the checkpoint's root. Confidential values are never printed."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from docsvc.demo.seed import DEMO_PIN
from docsvc.models import (
    Department,
    Document,
    Dossier,
    LogLeaf,
    Receipt,
    RegisterEntry,
    Transfer,
)
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.cli import DOCSVC
from tests.support.pdfs import unique_pdf
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]
SECRET_SUBJECT = "Asunto reservado: sumario administrativo 14/2026"
EDITED_SUBJECT = "Asunto inocuo"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"metadata-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@dataclass(frozen=True)
class Institution:
    """What the register holds, and a checkpoint of it with the files to verify it."""

    entry: str
    annulled: str
    confidential: str
    dossier: str
    transfer: str
    checkpoint: Path
    options: tuple[str, ...]


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload(client: TestClient, headers: dict[str, str], title: str, **fields: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "report", "title": title, **fields},
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
    )
    return str(_ok(created, 201)["id"])


@pytest.fixture(scope="module")
def institution(
    client: TestClient, backend: Backend, auth: Auth, tmp_path_factory: pytest.TempPathFactory
) -> Institution:
    """Entries (one annulled), a confidential document signed after it was made (its leaves
    record two versions), transfers acknowledged and returned, a closed dossier; then a
    checkpoint of all of it."""
    clerk, legal = auth("registro"), auth("juridico")
    entry = upload_and_register(client, clerk, "Oficio reservado", subject=SECRET_SUBJECT)
    annulled = upload_and_register(client, clerk, "Oficio duplicado")
    _ok(
        client.post(
            f"/api/v1/register/entries/{annulled['id']}/annul",
            headers=clerk,
            json={"reason": "Duplicado"},
        )
    )
    confidential = _upload(client, legal, "Informe reservado", confidentiality="confidential")
    _ok(
        client.post(
            f"/api/v1/documents/{confidential}/signatures", headers=legal, json={"pin": DEMO_PIN}
        ),
        201,
    )
    dossier = _ok(
        client.post("/api/v1/dossiers", headers=legal, json={"title": "Expediente cerrado"}), 201
    )
    _ok(
        client.post(
            f"/api/v1/dossiers/{dossier['id']}/items",
            headers=legal,
            json={"document_id": confidential},
        ),
        201,
    )
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=legal))

    finance, programmes = auth("financiero"), auth("programas")
    sent = [
        _ok(
            client.post(
                "/api/v1/transfers",
                headers=finance,
                json={
                    "document_id": _upload(client, finance, f"Informe de pagos {n}"),
                    "to_department": "DPS",
                    "purpose": "action",
                    "instructions": "Revisar los pagos reservados antes del viernes",
                    "deadline_days": 5,
                    "pin": DEMO_PIN,
                },
            ),
            201,
        )
        for n in range(2)
    ]
    _ok(
        client.post(
            f"/api/v1/transfers/{sent[0]['id']}/acknowledge",
            headers=programmes,
            json={"pin": DEMO_PIN},
        )
    )
    _ok(
        client.post(
            f"/api/v1/transfers/{sent[1]['id']}/return",
            headers=programmes,
            json={"pin": DEMO_PIN, "reason": "No es de nuestra competencia"},
        )
    )

    checkpoint = client.post("/api/v1/register/checkpoints", headers=clerk)
    assert checkpoint.status_code == 201, checkpoint.text
    files = tmp_path_factory.mktemp(f"checkpoint-{backend.name}")
    (files / "checkpoint.txt").write_text(checkpoint.text)
    (files / "key.txt").write_text(client.get("/api/v1/register/key").text.strip() + "\n")
    (files / "root.pem").write_bytes((backend.settings.pki_dir / "root.pem").read_bytes())
    return Institution(
        entry=str(entry["id"]),
        annulled=str(annulled["id"]),
        confidential=confidential,
        dossier=str(dossier["id"]),
        transfer=str(sent[0]["id"]),
        checkpoint=files / "checkpoint.txt",
        options=("--key", str(files / "key.txt"), "--trust", str(files / "root.pem")),
    )


def _verify(backend: Backend, institution: Institution) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")
    } | backend.settings_env()
    return subprocess.run(
        [
            *DOCSVC,
            "register",
            "verify",
            str(institution.checkpoint),
            *institution.options,
            "--database",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _leaf(backend: Backend, object_id: str, kind: str) -> LogLeaf:
    """The latest leaf of ``kind`` about the object."""
    with backend.services.sessions() as db:
        found = db.scalars(
            select(LogLeaf)
            .where(LogLeaf.object_id == object_id, LogLeaf.kind == kind)
            .order_by(LogLeaf.idx.desc())
        ).first()
        assert found is not None
        return found


@contextmanager
def _changed(backend: Backend, statement: Any, restore: Any) -> Iterator[None]:
    """``statement`` run directly in the database, and ``restore`` after the test."""
    with backend.services.sessions() as db:
        assert db.execute(statement).rowcount == 1  # type: ignore[attr-defined]
        db.commit()
    try:
        yield
    finally:
        with backend.services.sessions() as db:
            db.execute(restore)
            db.commit()


def _failed(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines of a failed verification, once it is clear the log itself still checks:
    only the rows were changed, which rehashing the leaves alone cannot see."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ok: the database's" in result.stdout and "leaves give the checkpoint's root" in (
        result.stdout
    ), result.stdout
    return [line for line in result.stdout.splitlines() if line.startswith("FAILED: ")]


def test_an_untouched_database_passes(backend: Backend, institution: Institution) -> None:
    result = _verify(backend, institution)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout
    assert "say what their latest leaves do" in result.stdout


def test_an_entry_subject_edited_in_the_database_is_found(
    backend: Backend, institution: Institution
) -> None:
    ident = uuid.UUID(institution.entry)
    leaf = _leaf(backend, institution.entry, "register.entry")
    with _changed(
        backend,
        update(RegisterEntry).where(RegisterEntry.id == ident).values(subject=EDITED_SUBJECT),
        update(RegisterEntry).where(RegisterEntry.id == ident).values(subject=SECRET_SUBJECT),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f"FAILED: register_entry {ident}: subject differs from what leaf {leaf.idx} records "
        "(a confidential detail, not shown)"
    ]
    # Neither the confidential subject nor its replacement is printed.
    assert SECRET_SUBJECT not in result.stdout and EDITED_SUBJECT not in result.stdout


def test_a_document_flipped_from_confidential_to_public_is_found(
    backend: Backend, institution: Institution
) -> None:
    ident = uuid.UUID(institution.confidential)
    # Signing made version 2: the document's latest leaf is that version's.
    leaf = _leaf(backend, institution.confidential, "document.version")
    assert b'"version":2' in leaf.leaf
    with _changed(
        backend,
        update(Document).where(Document.id == ident).values(confidentiality="public"),
        update(Document).where(Document.id == ident).values(confidentiality="confidential"),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f"FAILED: document {ident}: confidentiality differs from what leaf {leaf.idx} records "
        "(a confidential detail, not shown)"
    ]


def test_a_transfer_rerouted_in_the_database_is_found(
    backend: Backend, institution: Institution
) -> None:
    ident = uuid.UUID(institution.transfer)
    leaf = _leaf(backend, institution.transfer, "transfer")
    with backend.services.sessions() as db:
        legal = db.scalar(select(Department.id).where(Department.code == "DAJ"))
        programmes = db.scalar(select(Department.id).where(Department.code == "DPS"))
    with _changed(
        backend,
        update(Transfer).where(Transfer.id == ident).values(to_department_id=legal),
        update(Transfer).where(Transfer.id == ident).values(to_department_id=programmes),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f'FAILED: transfer {ident}: to is "DAJ" in the database, leaf {leaf.idx} records "DPS"'
    ]


def test_a_transfer_acknowledged_in_the_database_without_a_receipt_is_found(
    backend: Backend, institution: Institution
) -> None:
    """The returned transfer, marked acknowledged: its receipt's leaf says returned."""
    with backend.services.sessions() as db:
        returned = db.scalar(select(Transfer).where(Transfer.status == "returned"))
        assert returned is not None
    receipt = _leaf(backend, str(_receipt_id(backend, returned.id)), "receipt")
    with _changed(
        backend,
        update(Transfer).where(Transfer.id == returned.id).values(status="acknowledged"),
        update(Transfer).where(Transfer.id == returned.id).values(status="returned"),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f'FAILED: transfer {returned.id}: status is "acknowledged" in the database, '
        f'leaf {receipt.idx} records "returned"'
    ]


def _receipt_id(backend: Backend, transfer_id: uuid.UUID) -> uuid.UUID:
    with backend.services.sessions() as db:
        found = db.scalar(select(Receipt.id).where(Receipt.transfer_id == transfer_id))
        assert found is not None
        return found


def test_an_annulment_undone_in_the_database_is_found(
    backend: Backend, institution: Institution
) -> None:
    ident = uuid.UUID(institution.annulled)
    leaf = _leaf(backend, institution.annulled, "register.annul")
    with backend.services.sessions() as db:
        entry = db.get(RegisterEntry, ident)
        assert entry is not None and entry.annulled_at is not None
        saved = {
            "annulled_at": entry.annulled_at,
            "annulled_by": entry.annulled_by,
            "annulment_reason": entry.annulment_reason,
        }
    with _changed(
        backend,
        update(RegisterEntry)
        .where(RegisterEntry.id == ident)
        .values(annulled_at=None, annulled_by=None, annulment_reason=None),
        update(RegisterEntry).where(RegisterEntry.id == ident).values(**saved),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f"FAILED: register_entry {ident}: annulled is false in the database, "
        f"leaf {leaf.idx} records true"
    ]


def test_a_closed_dossier_reopened_in_the_database_is_found(
    backend: Backend, institution: Institution
) -> None:
    ident = uuid.UUID(institution.dossier)
    leaf = _leaf(backend, institution.dossier, "archive.dossier_close")
    with _changed(
        backend,
        update(Dossier).where(Dossier.id == ident).values(status="open"),
        update(Dossier).where(Dossier.id == ident).values(status="closed"),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f'FAILED: dossier {ident}: status is "open" in the database, leaf {leaf.idx} records '
        '"closed"'
    ]


def test_a_leaf_whose_stored_details_were_edited_is_found(
    backend: Backend, institution: Institution
) -> None:
    """The details are outside the leaf's hash (only their sha256 is in it): rewriting them
    keeps the root, and shows here. The entry itself, still as its details were, is not
    compared with details that no longer match their commitment."""
    leaf = _leaf(backend, institution.entry, "register.entry")
    assert leaf.details is not None and SECRET_SUBJECT.encode() in leaf.details
    original = bytes(leaf.details)
    edited = original.replace(SECRET_SUBJECT.encode(), EDITED_SUBJECT.encode())
    with _changed(
        backend,
        update(LogLeaf).where(LogLeaf.idx == leaf.idx).values(details=edited),
        update(LogLeaf).where(LogLeaf.idx == leaf.idx).values(details=original),
    ):
        result = _verify(backend, institution)
    assert _failed(result) == [
        f"FAILED: leaf {leaf.idx} (register_entry {institution.entry}): its stored details "
        "do not hash to its details_sha256"
    ]
    assert SECRET_SUBJECT not in result.stdout and EDITED_SUBJECT not in result.stdout


def _stored(private: dict[str, Any] | None) -> tuple[bytes, bytes | None]:
    """A leaf and its details as ``log.append`` stores them."""
    from docsvc.ledger.log import LogEvent, leaf_document

    return leaf_document(
        LogEvent("register.annul", "register_entry", "e", {"number": "1"}, private)
    )


def test_read_leaf_checks_the_details_and_the_columns_against_the_leaf() -> None:
    """The pure half: no database. Details are opened without their salt only when they
    hash to the commitment; a leaf filed under another object is named."""
    from docsvc.ledger.events import LeafData
    from docsvc.register.metadata_check import compare, read_leaf

    columns = ("register.annul", "register_entry", "e")
    leaf, details = _stored({"reason": "Duplicado"})
    read, problems = read_leaf(7, columns, leaf, details)
    assert problems == [] and read is not None
    assert read.private == {"reason": "Duplicado"} and read.public == {"number": "1"}
    current = LeafData({"number": "2", "unrecorded": 1}, {"reason": "Otro"})
    assert [(m.field, m.private, m.index) for m in compare(read, current)] == [
        ("number", False, 7),
        ("reason", True, 7),
    ]

    for stored, says in (
        (None, "the details it commits to are gone"),
        (details.replace(b"Duplicado", b"Duplicada") if details else None, "do not hash"),
    ):
        read, problems = read_leaf(7, columns, leaf, stored)
        assert read is not None and read.private is None
        assert len(problems) == 1 and says in problems[0].line()
    unsalted, _ = _stored(None)
    assert "commits to none" in read_leaf(7, columns, unsalted, b"{}")[1][0].line()
    moved = read_leaf(7, ("register.annul", "register_entry", "other"), leaf, details)[1]
    assert [m.line() for m in moved] == [
        "leaf 7 (register_entry other): its columns say register.annul register_entry other, "
        "its JSON register.annul register_entry e"
    ]
    assert read_leaf(7, columns, b"not json", None)[0] is None
