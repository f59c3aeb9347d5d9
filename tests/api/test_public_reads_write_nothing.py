"""Item 22: anonymous reads must never write. A verification code's public record (API and
the QR code's page) signed and stored a new register checkpoint whenever the log had grown
since the last one, and ``GET /api/v1/register/checkpoint`` signed one when there was none:
anyone could make the service sign, time-stamp and store checkpoints at will. Now public
reads use the latest checkpoint there is; a version registered after it has its proof
pending until the next scheduled checkpoint, and before the first one the public
checkpoint route answers 503 ``no_checkpoint_yet``."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import transparency as merkle
import transparency as notes
from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PIN
from docsvc.ledger import log
from docsvc.ledger.checkpoints import CHECKPOINT_INTERVAL
from docsvc.models.register import RegisterCheckpoint
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"reads-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _written(backend: Backend) -> tuple[int, int]:
    """How many checkpoints the register holds, and how many leaves its log."""
    with backend.services.sessions() as db:
        count = db.scalar(select(func.count()).select_from(RegisterCheckpoint))
        return int(count or 0), log.log_size(db)


def _signed(client: TestClient, headers: dict[str, str], title: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "resolution", "title": title, "confidentiality": "public"},
        files={"file": ("r.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    signed = client.post(
        f"/api/v1/documents/{created.json()['id']}/signatures",
        headers=headers,
        json={"pin": DEMO_PIN},
    )
    assert signed.status_code == 201, signed.text
    code: str = signed.json()["verification_code"]
    return code


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _anonymous_reads(anonymous: TestClient, code: str) -> tuple[dict, str, Any]:
    record = anonymous.get(f"/api/v1/verify/{code}")
    assert record.status_code == 200, record.text
    page = anonymous.get(f"/verificar/{code}")
    assert page.status_code == 200, page.text
    return record.json(), _text(page.text), anonymous.get("/api/v1/register/checkpoint")


PENDING_NOTE = (
    "Las versiones con la prueba de inclusión pendiente se registraron después del último "
    "punto de control firmado del registro: su prueba estará disponible tras el próximo "
    "punto de control programado"
)


def test_before_the_first_checkpoint_reads_sign_none(backend: Backend) -> None:
    # The service's start-up, which signs the first checkpoint, has not run for this app.
    app = create_app(backend.settings, backend.services)
    staff = TestClient(app)
    code = _signed(staff, login(staff, "juridico"), "Resolución antes del primer punto")
    assert _written(backend)[0] == 0
    before = _written(backend)

    body, page, latest = _anonymous_reads(TestClient(app), code)

    assert _written(backend) == before  # nothing signed, nothing stored
    assert body["checkpoint"] is None and body["proof_pending"] is True
    assert [(v["proof"], v["proof_pending"]) for v in body["versions"]] == [([], True)] * 2
    assert PENDING_NOTE in page and "pendiente" in page
    assert not re.search(r"\b(pending|proof|checkpoint)\b", page), page
    assert latest.status_code == 503
    assert latest.json()["error"]["code"] == "no_checkpoint_yet"
    assert int(latest.headers["retry-after"]) >= 1


def test_a_lookup_after_signing_writes_no_checkpoint(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    # The service signed a checkpoint at start-up (a scheduled task: wait for it).
    deadline = time.monotonic() + 60
    while _written(backend)[0] == 0:
        assert time.monotonic() < deadline, "no checkpoint at start-up"
        time.sleep(0.1)
    code = _signed(client, auth("juridico"), "Resolución después del punto de control")
    before = _written(backend)  # the log has grown past the latest checkpoint
    anonymous = TestClient(client.app)

    asked = datetime.now(UTC)
    body, page, latest = _anonymous_reads(anonymous, code)

    assert _written(backend) == before  # nothing signed, nothing stored
    # The answer says which proofs wait for the next scheduled checkpoint, and until when.
    assert body["proof_pending"] is True
    assert [(v["proof"], v["proof_pending"]) for v in body["versions"]] == [([], True)] * 2
    expected = datetime.fromisoformat(body["proof_expected_by"])
    assert asked < expected <= asked + CHECKPOINT_INTERVAL + timedelta(seconds=5)
    checkpoint = notes.Checkpoint.parse_text(notes.SignedNote.parse(body["checkpoint"]).text)
    assert all(v["register_index"] >= checkpoint.size for v in body["versions"])
    assert latest.status_code == 200
    assert latest.text == body["checkpoint"]
    # The page says so in Spanish, with no English in it.
    assert PENDING_NOTE in page and "Prueba de inclusión pendiente" in page
    assert not re.search(r"\b(pending|proof|checkpoint|scheduled)\b", page), page
    english = _text(TestClient(client.app).get(f"/verificar/{code}?lang=en").text)
    assert "their proof will be available after the next scheduled checkpoint" in english
    assert _written(backend) == before

    # Once the next checkpoint is signed (staff may ask for one; the service's schedule
    # makes it anyway), the same read carries the proofs, and they verify.
    made = client.post("/api/v1/register/checkpoints", headers=auth("registro"))
    assert made.status_code == 201, made.text
    after = _written(backend)
    body, page, latest = _anonymous_reads(anonymous, code)
    assert _written(backend) == after
    assert body["proof_pending"] is False and body["proof_expected_by"] is None
    assert latest.text == made.text == body["checkpoint"]
    checkpoint = notes.Checkpoint.parse_text(notes.SignedNote.parse(body["checkpoint"]).text)
    for version in body["versions"]:
        assert not version["proof_pending"]
        leaf = anonymous.get(f"/api/v1/register/leaves/{version['register_index']}").json()
        merkle.verify_inclusion(
            version["register_index"],
            checkpoint.size,
            bytes.fromhex(leaf["leaf_hash"]),
            [bytes.fromhex(p) for p in version["proof"]],
            checkpoint.root,
        )
    assert PENDING_NOTE not in page and "Prueba de inclusión en el punto de control" in page
