"""``docsvc serve --workers 2`` on PostgreSQL and SeaweedFS, as a deployment runs it: an
official opens her signing session once, then signs 50 documents over new connections,
which the two worker processes share between them; none is refused. Locking it, or its
expiry, refuses the next signatures in both processes at once.

Before signing sessions were kept in the database, 6 of 10 such requests answered
``pin_required``, depending on which process took the connection."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx2 as httpx
import psutil
import pytest
from sqlalchemy import update

from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.models import SigningSession
from tests.support.backends import Backend, build_backend
from tests.support.live_server import free_port
from tests.support.pdfs import unique_pdf
from tests.support.served import wait_until_healthy

SIGNATURES = 50
OFFICIAL = "ministra"


@dataclass(frozen=True, slots=True)
class Deployment:
    backend: Backend
    base: str
    server: psutil.Process


@pytest.fixture(scope="module")
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    backend = build_backend(
        "postgres-s3", tmp_path_factory.mktemp("served-sessions"), request, pki=True
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")}
    env |= backend.settings_env() | {"DOCSVC_PUBLIC_URL": base, "PYTHONUNBUFFERED": "1"}
    log_path = backend.settings.data_dir / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "docsvc", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(base, process, log_path)
            yield Deployment(backend, base, psutil.Process(process.pid))
        finally:
            process.terminate()
            process.wait(timeout=30)
            backend.services.close()


def _fresh() -> httpx.Client:
    """A client that opens a new connection for every request, as browsers behind a load
    balancer reach whichever process accepts it."""
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=60)


def _workers(server: psutil.Process) -> dict[int, float]:
    """Each worker process's CPU seconds so far."""
    times: dict[int, float] = {}
    for child in server.children(recursive=True):
        try:
            cpu = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        times[child.pid] = cpu.user + cpu.system
    return times


def _login(client: httpx.Client, base: str) -> str:
    response = client.post(
        f"{base}/api/v1/auth/token", json={"username": OFFICIAL, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _sign(client: httpx.Client, base: str, headers: dict[str, str], doc_id: str) -> str:
    """The error's code, or an empty string when it was signed."""
    response = client.post(
        f"{base}/api/v1/documents/{doc_id}/signatures",
        headers=headers,
        json={"level": "B-B", "visible": False},
    )
    if response.status_code == 201:
        return ""
    return str(response.json().get("error", {}).get("code", response.status_code))


def test_fifty_signatures_through_two_processes_none_refused(deployment: Deployment) -> None:
    base = deployment.base
    with _fresh() as client:
        token = _login(client, base)
        headers = {"Authorization": f"Bearer {token}"}
        documents = []
        for n in range(SIGNATURES):
            created = client.post(
                f"{base}/api/v1/documents",
                headers=headers,
                data={"doc_type": "letter", "title": f"Resolución {n}"},
                files={"file": ("r.pdf", unique_pdf("Resolución"), "application/pdf")},
            )
            assert created.status_code == 201, created.text
            documents.append(str(created.json()["id"]))
        opened = client.post(
            f"{base}/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}
        )
        assert opened.status_code == 200 and opened.json()["unlocked"], opened.text

        before = _workers(deployment.server)
        with ThreadPoolExecutor(max_workers=4) as pool:
            refused = [
                code
                for code in pool.map(lambda d: _sign(client, base, headers, d), documents)
                if code
            ]
        after = _workers(deployment.server)
        assert refused == [], refused
        # Both worker processes signed some of them.
        busy = [pid for pid, cpu in after.items() if cpu - before.get(pid, 0.0) > 0.2]
        assert len(busy) >= 2, (before, after)

        # Locked through one process, every process refuses at once.
        locked = client.delete(f"{base}/api/v1/signing/session", headers=headers)
        assert locked.json() == {"unlocked": False, "expires_at": None}
        assert {_sign(client, base, headers, d) for d in documents[:8]} == {"pin_required"}


def test_an_expired_session_is_refused_by_every_process(deployment: Deployment) -> None:
    base = deployment.base
    with _fresh() as client:
        token = _login(client, base)
        headers = {"Authorization": f"Bearer {token}"}
        created = client.post(
            f"{base}/api/v1/documents",
            headers=headers,
            data={"doc_type": "letter", "title": "Resolución que caduca"},
            files={"file": ("r.pdf", unique_pdf("Resolución"), "application/pdf")},
        )
        doc_id = str(created.json()["id"])
        assert client.post(
            f"{base}/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}
        ).json()["unlocked"]
        # Every process has used (and cached) the key.
        assert {_sign(client, base, headers, doc_id) for _ in range(6)} == {""}
        with deployment.backend.services.sessions() as db:
            db.execute(
                update(SigningSession)
                .where(SigningSession.auth_session == hashlib.sha256(token.encode()).hexdigest())
                .values(expires_at=utcnow())
            )
            db.commit()
        assert {_sign(client, base, headers, doc_id) for _ in range(8)} == {"pin_required"}
