"""Scenario A (docs/architecture.md) through the API: a legal request registered as incoming
and forwarded with signed transfer notes to Human Resources (5 business days) and the
Minister's Office; HR's signed receipt and reply with the documents; the Minister signs the
answering resolution; the whole chain is one case history whose every item, and the
checkpoint it is proven against, verify offline. Refusals change nothing."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import transparency as merkle
import transparency as notes
from docsvc.calendar.local import local_date
from docsvc.demo.seed import DEMO_PIN
from signing.cades import verify_record
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.cli import DOCSVC
from tests.support.pdfs import unique_pdf
from transparency import canonical

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"scenario-a-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _upload(client: TestClient, headers: dict[str, str], title: str, **fields: str) -> str:
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": fields.pop("doc_type", "letter"), "title": title, **fields},
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _ok(response: object, status: int = 200) -> dict:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body: dict = response.json()  # type: ignore[attr-defined]
    return body


def _acknowledge(client: TestClient, headers: dict[str, str], transfer: dict) -> dict:
    """The receiving official's signed receipt, which must be accepted."""
    return _ok(
        client.post(
            f"/api/v1/transfers/{transfer['id']}/acknowledge",
            headers=headers,
            json={"pin": DEMO_PIN},
        )
    )


def test_scenario_a_legal_request_with_a_deadline(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    clerk, legal, hr, minister = (auth(u) for u in ("registro", "juridico", "rrhh", "ministra"))

    # 1-2. The State Attorney's letter is registered as incoming in Legal Advisory.
    letter = _upload(client, clerk, "Oficio PGE-2026-1187: expediente laboral")
    entry = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={
                "direction": "incoming",
                "document_id": letter,
                "subject": "Solicitud de documentos del juicio laboral",
                "counterpart": "Procuraduría General del Estado",
            },
        ),
        201,
    )
    case_id = entry["case_id"]

    # A wrong PIN signs nothing and creates nothing.
    before = _ok(client.get("/api/v1/transfers", headers=legal, params={"box": "outgoing"}))
    wrong = client.post(
        "/api/v1/transfers",
        headers=legal,
        json={"document_id": letter, "to_department": "DRH", "purpose": "action", "pin": "0000"},
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_pin"
    after = _ok(client.get("/api/v1/transfers", headers=legal, params={"box": "outgoing"}))
    assert after["total"] == before["total"]

    # Forwarded with signed notes: to HR for action in 5 business days, and to the
    # Minister's Office for authorisation to answer.
    to_hr = _ok(
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": letter,
                "to_department": "DRH",
                "purpose": "action",
                "instructions": "Remitir el expediente laboral del servidor demandante.",
                "deadline_days": 5,
                "pin": DEMO_PIN,
            },
        ),
        201,
    )
    to_minister = _ok(
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": letter,
                "to_department": "DM",
                "purpose": "action",
                "instructions": "Autorizar la respuesta a la Procuraduría.",
                "pin": DEMO_PIN,
            },
        ),
        201,
    )
    assert to_hr["case_id"] == case_id == to_minister["case_id"]
    assert to_hr["signature_level"] == "B-T" and to_hr["status"] == "sent"
    due = date.fromisoformat(to_hr["due_on"])
    assert (
        due - local_date(backend.settings)
    ).days >= 5  # five business days: at least a week's span
    deadlines = _ok(client.get("/api/v1/transfers/deadlines", headers=hr, params={"soon_days": 10}))
    assert [t["id"] for t in deadlines["due_soon"]] == [to_hr["id"]]

    # Refusals that change nothing: someone else's transfer, and forwarding unacknowledged.
    assert client.post(
        f"/api/v1/transfers/{to_hr['id']}/acknowledge", headers=minister, json={"pin": DEMO_PIN}
    ).status_code in (403, 404)
    early_reply = client.post(
        "/api/v1/transfers",
        headers=hr,
        json={"document_id": letter, "to_department": "DAJ", "purpose": "reply",
              "reply_to": to_hr["id"], "pin": DEMO_PIN},
    )  # fmt: skip
    assert (
        early_reply.status_code == 409 and early_reply.json()["error"]["code"] == "not_acknowledged"
    )

    # 3. HR acknowledges with a signed receipt, attaches the documents and returns them.
    received = _acknowledge(client, hr, to_hr)
    assert received["status"] == "acknowledged" and received["receipt"]["by"] == "rrhh"
    twice = client.post(
        f"/api/v1/transfers/{to_hr['id']}/acknowledge", headers=hr, json={"pin": DEMO_PIN}
    )
    assert twice.status_code == 409
    record_file = _upload(client, hr, "Expediente laboral del servidor", doc_type="report")
    reply = _ok(
        client.post(
            "/api/v1/transfers",
            headers=hr,
            json={
                "document_id": record_file,
                "to_department": "DAJ",
                "purpose": "reply",
                "reply_to": to_hr["id"],
                "instructions": "Se adjunta el expediente solicitado.",
                "pin": DEMO_PIN,
            },
        ),
        201,
    )
    assert reply["case_id"] == case_id
    assert not _ok(client.get(f"/api/v1/transfers/{to_hr['id']}", headers=hr))["open"]
    _acknowledge(client, legal, reply)

    # 4. The Minister acknowledges, and signs the answering resolution Legal drafted.
    _acknowledge(client, minister, to_minister)
    resolution = _upload(
        client, legal, "Resolución: respuesta a la Procuraduría", doc_type="resolution"
    )
    for_signature = _ok(
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={"document_id": resolution, "to_department": "DM", "purpose": "signature",
                  "case_id": case_id, "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    _acknowledge(client, minister, for_signature)
    signed = client.post(
        f"/api/v1/documents/{resolution}/signatures", headers=minister, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    back = _ok(
        client.post(
            "/api/v1/transfers",
            headers=minister,
            json={"document_id": resolution, "to_department": "DAJ", "purpose": "reply",
                  "reply_to": for_signature["id"], "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    _acknowledge(client, legal, back)
    outgoing = _ok(
        client.post(
            "/api/v1/register/entries",
            headers=clerk,
            json={"direction": "outgoing", "document_id": resolution, "subject": "Respuesta",
                  "counterpart": "Procuraduría General del Estado"},
        ),
        201,
    )  # fmt: skip
    assert outgoing["case_id"] == case_id and "-S-" in outgoing["number"]

    # 5. One case history, in time order, every item proven against a signed checkpoint.
    history = _ok(client.get(f"/api/v1/cases/{case_id}", headers=legal))
    kinds = [item["kind"] for item in history["items"]]
    assert kinds.count("register.entry") == 2
    assert kinds.count("transfer") == 5 and kinds.count("receipt") == 5
    assert "document.signature" in kinds and kinds.count("document.version") >= 4
    assert [i["index"] for i in history["items"]] == sorted(i["index"] for i in history["items"])
    assert kinds.index("register.entry") < kinds.index("transfer") < kinds.index("receipt")
    key = notes.VerifierKey.parse(client.get("/api/v1/register/key").text)
    note = notes.SignedNote.parse(history["checkpoint"])
    notes.verify_note(note, key)
    checkpoint = notes.Checkpoint.parse_text(note.text)
    assert (checkpoint.size, checkpoint.root.hex()) == (history["size"], history["root"])
    for item in history["items"]:
        leaf = client.get(f"/api/v1/register/leaves/{item['index']}").json()
        assert merkle.leaf_hash(canonical(leaf["leaf"])).hex() == item["leaf_hash"]
        merkle.verify_inclusion(
            item["index"],
            checkpoint.size,
            bytes.fromhex(item["leaf_hash"]),
            [bytes.fromhex(p) for p in item["proof"]],
            checkpoint.root,
        )
    (tmp_path / "history.json").write_text(json.dumps(history))

    # The same chain from the command line, its proofs checked there.
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")
    } | backend.settings_env()
    shown = subprocess.run(
        [*DOCSVC, "cases", "history", case_id, "--json"],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    cli_items = json.loads(shown.stdout)["items"]
    assert [i["index"] for i in cli_items] == [i["index"] for i in history["items"]]
    text = subprocess.run(
        [*DOCSVC, "cases", "history", case_id],
        env=environment, capture_output=True, text=True, timeout=120, check=False,
    ).stdout  # fmt: skip
    assert "register.entry" in text and "purpose=action" in text and "level=" in text

    # Every transfer note and receipt verifies offline, and OpenSSL agrees.
    root = backend.root_der()
    (tmp_path / "root.pem").write_bytes((backend.settings.pki_dir / "root.pem").read_bytes())
    for transfer in (to_hr, to_minister, reply, for_signature, back):
        for part in ("", "receipt/"):
            record = client.get(f"/api/v1/transfers/{transfer['id']}/{part}record", headers=legal)
            signature = client.get(
                f"/api/v1/transfers/{transfer['id']}/{part}signature", headers=legal
            )
            assert record.status_code == 200 and signature.status_code == 200
            check = verify_record(record.content, signature.content, [root])
            assert check.verdict == "valid", check
            assert check.timestamp_time is not None
    (tmp_path / "note.json").write_bytes(record.content)
    (tmp_path / "note.p7s").write_bytes(signature.content)
    openssl = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER",
         "-in", str(tmp_path / "note.p7s"), "-content", str(tmp_path / "note.json"),
         "-CAfile", str(tmp_path / "root.pem"),
         "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert openssl.returncode == 0, openssl.stderr
    tampered = verify_record(
        record.content.replace(b"acknowledged", b"returned"), signature.content, [root]
    )
    assert tampered.verdict == "invalid"


def test_a_transfer_can_be_returned_with_a_reason(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    legal, finance = auth("juridico"), auth("financiero")
    letter = _upload(client, legal, "Oficio mal dirigido")
    sent = _ok(
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={"document_id": letter, "to_department": "DF", "purpose": "information",
                  "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    short = client.post(
        f"/api/v1/transfers/{sent['id']}/return",
        headers=finance,
        json={"reason": "no", "pin": DEMO_PIN},
    )
    assert short.status_code == 422
    returned = _ok(
        client.post(
            f"/api/v1/transfers/{sent['id']}/return",
            headers=finance,
            json={"reason": "No corresponde a la Dirección Financiera", "pin": DEMO_PIN},
        )
    )
    assert returned["status"] == "returned"
    assert returned["receipt"]["reason"] == "No corresponde a la Dirección Financiera"
    again = client.post(
        f"/api/v1/transfers/{sent['id']}/acknowledge", headers=finance, json={"pin": DEMO_PIN}
    )
    assert again.status_code == 409
    assert (
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": letter,
                "to_department": "DAJ",
                "purpose": "action",
                "pin": DEMO_PIN,
            },
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={
                "document_id": letter,
                "to_department": "NOPE",
                "purpose": "action",
                "pin": DEMO_PIN,
            },
        ).status_code
        == 404
    )


def test_holidays_move_business_day_deadlines(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    from docsvc.calendar.business_days import add_business_days
    from docsvc.calendar.local import local_date

    today = local_date(backend.settings)
    existing = {
        date.fromisoformat(h["day"])
        for h in _ok(client.get("/api/v1/calendar/holidays", headers=auth("juridico")))
    }
    next_day = add_business_days(today, 1, existing)
    holiday = {"day": next_day.isoformat(), "name": "Feriado de prueba"}
    assert (
        client.post("/api/v1/calendar/holidays", headers=auth("juridico"), json=holiday).status_code
        == 403
    )
    _ok(client.post("/api/v1/calendar/holidays", headers=auth("admin"), json=holiday), 201)
    try:
        letter = _upload(client, auth("juridico"), "Oficio con plazo de un día")
        sent = _ok(
            client.post(
                "/api/v1/transfers",
                headers=auth("juridico"),
                json={"document_id": letter, "to_department": "DF", "purpose": "action",
                      "deadline_days": 1, "pin": DEMO_PIN},
            ),
            201,
        )  # fmt: skip
        assert sent["due_on"] == add_business_days(today, 1, existing | {next_day}).isoformat()
        assert date.fromisoformat(sent["due_on"]) > next_day
    finally:
        removed = client.delete(f"/api/v1/calendar/holidays/{next_day}", headers=auth("admin"))
        assert removed.status_code == 204


def test_forwarding_links_transfers_and_overdue_ones_show_until_answered(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    import uuid
    from datetime import timedelta

    from sqlalchemy import update

    from docsvc.models import Transfer

    legal, hr, finance = auth("juridico"), auth("rrhh"), auth("financiero")
    letter = _upload(client, legal, "Oficio para reenviar")
    sent = _ok(
        client.post(
            "/api/v1/transfers",
            headers=legal,
            json={"document_id": letter, "to_department": "DRH", "purpose": "action",
                  "deadline_days": 3, "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    _acknowledge(client, hr, sent)
    forwarded = _ok(
        client.post(
            "/api/v1/transfers",
            headers=hr,
            json={"document_id": letter, "to_department": "DF", "purpose": "information",
                  "forwarded_from": sent["id"], "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    assert forwarded["forwarded_from"] == sent["id"] and forwarded["case_id"] == sent["case_id"]
    # Finance may now read the letter it was sent, and acknowledges it.
    assert client.get(f"/api/v1/documents/{letter}", headers=finance).status_code == 200
    _acknowledge(client, finance, forwarded)
    # One cannot forward what one's department did not receive.
    stolen = client.post(
        "/api/v1/transfers",
        headers=finance,
        json={"document_id": letter, "to_department": "DM", "purpose": "information",
              "forwarded_from": sent["id"], "pin": DEMO_PIN},
    )  # fmt: skip
    assert stolen.status_code == 404

    # Past its due date and unanswered, it is overdue for HR, until HR replies.
    with backend.services.sessions() as db:
        db.execute(
            update(Transfer)
            .where(Transfer.id == uuid.UUID(sent["id"]))
            .values(due_on=local_date(backend.settings) - timedelta(days=1))
        )
        db.commit()
    late = _ok(client.get("/api/v1/transfers/deadlines", headers=hr))
    assert sent["id"] in [t["id"] for t in late["overdue"]]
    assert _ok(client.get(f"/api/v1/transfers/{sent['id']}", headers=legal))["overdue"]
    assert (
        client.get(
            "/api/v1/transfers/deadlines", headers=hr, params={"department": "DAJ"}
        ).status_code
        == 403
    )
    _ok(
        client.post(
            "/api/v1/transfers",
            headers=hr,
            json={"document_id": letter, "to_department": "DAJ", "purpose": "reply",
                  "reply_to": sent["id"], "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    answered = _ok(client.get("/api/v1/transfers/deadlines", headers=hr))
    assert sent["id"] not in [t["id"] for t in answered["overdue"]]
    assert not _ok(client.get(f"/api/v1/transfers/{sent['id']}", headers=legal))["overdue"]


def test_a_sealed_dossier_goes_to_one_official_and_its_note_verifies_from_the_cli(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    """Scenario B's last step: the payment dossier is transferred to Finance, to the director
    himself; the note pins every document's hash; closing the dossier is an archival event in
    the register; ``docsvc transfers verify`` checks the note offline."""
    from docsvc.demo.seed import PAYMENT_DOSSIER_TITLE

    preparer, finance = auth("preparador"), auth("financiero")
    listing = _ok(client.get("/api/v1/dossiers", headers=preparer))
    (dossier,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    detail = _ok(client.get(f"/api/v1/dossiers/{dossier['id']}", headers=preparer))
    sent = _ok(
        client.post(
            "/api/v1/transfers",
            headers=preparer,
            json={"dossier_id": dossier["id"], "to_department": "DF", "to_user": "financiero",
                  "purpose": "action", "instructions": "Para el pago.", "pin": DEMO_PIN},
        ),
        201,
    )  # fmt: skip
    assert sent["to_user"] == "financiero" and sent["dossier_id"] == dossier["id"]
    record = client.get(f"/api/v1/transfers/{sent['id']}/record", headers=finance).content
    pinned = json.loads(record)["what"]
    assert pinned["type"] == "dossier"
    assert [d["sha256"] for d in pinned["documents"]] == [i["sha256"] for i in detail["items"]]
    # Only the named official answers it.
    assert client.post(
        f"/api/v1/transfers/{sent['id']}/acknowledge", headers=auth("rrhh"), json={"pin": DEMO_PIN}
    ).status_code in (403, 404)
    _acknowledge(client, finance, sent)

    size_before = _ok(client.get("/api/v1/register/size"))["size"]
    _ok(client.post(f"/api/v1/dossiers/{dossier['id']}/close", headers=preparer))
    size = _ok(client.get("/api/v1/register/size"))["size"]
    assert size == size_before + 1
    closed = _ok(client.get(f"/api/v1/register/leaves/{size - 1}"))["leaf"]
    assert closed["kind"] == "archive.dossier_close"
    assert closed["object"] == {"type": "dossier", "id": dossier["id"]}

    (tmp_path / "note.json").write_bytes(record)
    (tmp_path / "note.p7s").write_bytes(
        client.get(f"/api/v1/transfers/{sent['id']}/signature", headers=finance).content
    )
    (tmp_path / "forged.json").write_bytes(record.replace(b"Para el pago.", b"Para archivo."))
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")
    } | backend.settings_env()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*DOCSVC, "transfers", "verify", *args],
            env=environment, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip

    good = cli(str(tmp_path / "note.json"), str(tmp_path / "note.p7s"), "--json")
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(good.stdout)["signer"] == "Sofía Castillo"
    forged = cli(str(tmp_path / "forged.json"), str(tmp_path / "note.p7s"))
    assert forged.returncode == 1 and forged.stdout.startswith("invalid")
    garbage = cli(str(tmp_path / "note.json"), str(tmp_path / "note.json"))
    assert garbage.returncode == 2 and "Traceback" not in garbage.stderr
