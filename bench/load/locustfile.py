"""The everyday load on a deployment, as Locust users (``bench/load_topology.py`` runs it
against the topology of HAProxy, two app processes, a worker, PostgreSQL and a SeaweedFS
cluster; ``tests/deploy/test_faults_under_load.py`` runs it during each fault):

- officials open their inbox and their documents (pages, with the login cookie), and sign
  (the API, with the signing session they opened once with the PIN);
- registry clerks upload what arrived, register it, and send documents to another
  department with a signed transfer;
- the public verify a signed document (the public API) and open the verification page,
  each as a client address of its own (HAProxy believes X-Forwarded-For from 127.0.0.1,
  like a TLS proxy in front of it).

Request names are grouped by kind: ``page ...`` and ``read ...`` (target p99 ≤ 1 s),
``sign`` (target p99 ≤ 2 s), ``write ...``, ``public ...``.

Every write answered 2xx is appended as one JSON line to ``DOCSVC_LOAD_RECORD`` (when set),
so that a fault test can check afterwards that each of them is still there. Settings come
from the environment: ``DOCSVC_LOAD_SIGNED_PDF`` (a signed document the public verify),
``DOCSVC_LOAD_PASSWORD`` and ``DOCSVC_LOAD_PIN`` (the demo's by default)."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import threading
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.documents.text_pdf import build_text_pdf

PASSWORD = os.environ.get("DOCSVC_LOAD_PASSWORD", DEMO_PASSWORD)
PIN = os.environ.get("DOCSVC_LOAD_PIN", DEMO_PIN)
SIGNED_PDF = os.environ.get("DOCSVC_LOAD_SIGNED_PDF", "")
RECORD = os.environ.get("DOCSVC_LOAD_RECORD", "")

# The demo's officials who sign, and the clerks who register and send (each with the
# department their transfers go to).
OFFICIALS = ("ministra", "viceministro", "juridico", "rrhh", "financiero", "programas")
CLERKS = (("preparador", "DRH"), ("preparador", "DF"))
_official_turn = itertools.cycle(OFFICIALS)
_clerk_turn = itertools.cycle(CLERKS)
_client_numbers = itertools.count(1)
_record_lock = threading.Lock()
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def record(kind: str, **fields: Any) -> None:
    """One write the deployment answered 2xx: it must be there after any fault."""
    if not RECORD:
        return
    line = json.dumps({"kind": kind, **fields}, ensure_ascii=False)
    with _record_lock, Path(RECORD).open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def _pdf(title: str) -> bytes:
    marker = uuid.uuid4().hex
    return build_text_pdf(
        f"{title} {marker[:8]}", [f"Párrafo {i} — ref. {marker}." for i in range(3)]
    )


class _Staff(HttpUser):
    abstract = True
    wait_time = between(1, 3)
    username = ""

    def on_start(self) -> None:
        token = self.client.post(
            "/api/v1/auth/token",
            json={"username": self.username, "password": PASSWORD},
            name="write login (API)",
        )
        token.raise_for_status()
        self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        form = self.client.get("/login", name="page login")
        found = _CSRF.search(form.text)
        assert found is not None, "no CSRF token on the login page"
        with self.client.post(
            "/login",
            data={"username": self.username, "password": PASSWORD, "csrf_token": found[1]},
            allow_redirects=False,
            name="write login (page)",
            catch_response=True,
        ) as done:
            if done.status_code != 303:
                done.failure(f"login answered {done.status_code}")
        self.documents: list[str] = []

    def upload(self, title: str, doc_type: str = "letter") -> str | None:
        pdf = _pdf(title)
        with self.client.post(
            "/api/v1/documents",
            headers=self.headers,
            data={"doc_type": doc_type, "title": title},
            files={"file": ("documento.pdf", pdf, "application/pdf")},
            name="write upload",
            catch_response=True,
        ) as created:
            if created.status_code != 201:
                created.failure(f"{created.status_code}: {created.text[:200]}")
                return None
            doc_id = str(created.json()["id"])
        record("document", id=doc_id, sha256=hashlib.sha256(pdf).hexdigest(), user=self.username)
        self.documents.append(doc_id)
        return doc_id

    @task(3)
    def inbox(self) -> None:
        self.client.get("/bandeja", name="page inbox")

    @task(2)
    def document_page(self) -> None:
        if self.documents:
            doc_id = self.documents[len(self.documents) // 2]
            self.client.get(f"/documentos/{doc_id}", name="page document")

    @task(1)
    def document_read(self) -> None:
        if self.documents:
            doc_id = self.documents[-1]
            self.client.get(
                f"/api/v1/documents/{doc_id}", headers=self.headers, name="read document"
            )


class Official(_Staff):
    weight = 4

    def on_start(self) -> None:
        self.username = next(_official_turn)
        super().on_start()
        opened = self.client.post(
            "/api/v1/signing/session",
            headers=self.headers,
            json={"pin": PIN},
            name="write open signing session",
        )
        opened.raise_for_status()

    @task(2)
    def sign(self) -> None:
        doc_id = self.upload("Resolución para firmar")
        if doc_id is None:
            return
        with self.client.post(
            f"/api/v1/documents/{doc_id}/signatures",
            headers=self.headers,
            json={},
            name="sign",
            catch_response=True,
        ) as signed:
            if signed.status_code != 201:
                signed.failure(f"{signed.status_code}: {signed.text[:200]}")
                return
            body = signed.json()
        signature = body["signature"]
        record(
            "signature",
            document_id=doc_id,
            version=signature["version_number"],
            sha256=signature["sha256"],
            user=self.username,
        )


class Clerk(_Staff):
    weight = 3

    def on_start(self) -> None:
        self.username, self.send_to = next(_clerk_turn)
        super().on_start()

    @task(2)
    def register_incoming(self) -> None:
        doc_id = self.upload("Solicitud recibida", "request")
        if doc_id is None:
            return
        with self.client.post(
            "/api/v1/register/entries",
            headers=self.headers,
            json={
                "direction": "incoming",
                "subject": "Solicitud de información",
                "counterpart": "Ciudadano",
                "document_id": doc_id,
            },
            name="write register entry",
            catch_response=True,
        ) as entry:
            if entry.status_code != 201:
                entry.failure(f"{entry.status_code}: {entry.text[:200]}")
                return
            entry_id = str(entry.json()["id"])
        record("entry", id=entry_id, document_id=doc_id)

    @task(1)
    def send(self) -> None:
        doc_id = self.upload("Oficio para enviar")
        if doc_id is None:
            return
        with self.client.post(
            "/api/v1/transfers",
            headers=self.headers,
            json={
                "document_id": doc_id,
                "to_department": self.send_to,
                "purpose": "action",
                "deadline_days": 5,
                "pin": PIN,
            },
            name="write transfer",
            catch_response=True,
        ) as sent:
            if sent.status_code != 201:
                sent.failure(f"{sent.status_code}: {sent.text[:200]}")
                return
            transfer_id = str(sent.json()["id"])
        record("transfer", id=transfer_id, document_id=doc_id)

    @task(1)
    def register_page(self) -> None:
        self.client.get("/registro", name="page register")


class Public(HttpUser):
    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        # A client address of its own, so that the limit per address applies per person.
        number = next(_client_numbers)
        self.forwarded = {"X-Forwarded-For": f"198.51.100.{number % 250 + 1}"}
        self.signed = Path(SIGNED_PDF).read_bytes() if SIGNED_PDF else b""

    @task(3)
    def verify(self) -> None:
        if not self.signed:
            return
        self.client.post(
            "/api/v1/verify",
            headers=self.forwarded,
            files={"file": ("firmado.pdf", self.signed, "application/pdf")},
            name="public verify",
        )

    @task(1)
    def verify_page(self) -> None:
        self.client.get("/verificar", headers=self.forwarded, name="page verify")
