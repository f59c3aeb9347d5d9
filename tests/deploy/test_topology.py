"""The production topology, run here natively (tests/harness/topology.py): HAProxy with
deploy/haproxy/haproxy.cfg in front of two ``docsvc serve`` processes, on PostgreSQL and a
SeaweedFS cluster of one master, two volume servers (replication 001) and a filer with its
S3 gateway.

What SeaweedFS does when a volume server dies (kill -9), as these tests pin it down:
- Reads go on: every needle has a copy on the other server, and the filer reads from
  whichever location answers, so documents stored before download unchanged.
- Writes stop. A 001 volume needs both copies to take a write, and with one of two
  servers left no 001 volume can be placed anywhere, so each upload waited and docsvc
  answered 503 (about 90 s each, SeaweedFS 4.48 on this machine): never a 2xx for a
  document that was not stored. Run three volume servers to keep writing through the
  loss of one.
- Started again on its directory, the server reports its volumes to the master, and new
  writes are replicated to it again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx2 as httpx
import pytest
from sqlalchemy import update

from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.models import SigningSession
from tests.harness.seaweedfs import S3Endpoint
from tests.harness.topology import Topology, run_topology
from tests.support.backends import Backend, build_backend_on
from tests.support.pdfs import unique_pdf

PUBLIC_PER_MINUTE = 60
SIGNATURES = 50
# The institution each module run prepared (its services read the database directly).
BACKENDS: list[Backend] = []
USER = "ministra"


@pytest.fixture(scope="module")
def topology(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Topology]:
    from tests.harness.postgres import create_database

    workdir = tmp_path_factory.mktemp("topology")
    backends = BACKENDS

    def prepare(s3: S3Endpoint) -> dict[str, str]:
        backend = build_backend_on(
            workdir / "data",
            create_database(postgres_url, f"docsvc_topology_{int(time.time())}"),
            s3,
            pki=True,
        )
        backends.append(backend)
        return backend.settings_env() | {
            "DOCSVC_PUBLIC_REQUESTS_PER_MINUTE": str(PUBLIC_PER_MINUTE)
        }

    try:
        with run_topology(
            workdir, prepare, public_requests_per_minute=PUBLIC_PER_MINUTE
        ) as running:
            yield running
    finally:
        for backend in backends:
            backend.services.close()
        backends.clear()


def _client() -> httpx.Client:
    """A new connection per request, as many browsers behind the balancer would make."""
    return httpx.Client(limits=httpx.Limits(max_keepalive_connections=0), timeout=60)


def _login(client: httpx.Client, base: str) -> dict[str, str]:
    response = client.post(
        f"{base}/api/v1/auth/token", json={"username": USER, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _upload(
    client: httpx.Client, base: str, headers: dict[str, str], title: str
) -> tuple[httpx.Response, str]:
    """The answer, and the SHA-256 of the file sent."""
    pdf = unique_pdf(title)
    response = client.post(
        f"{base}/api/v1/documents",
        headers=headers,
        data={"doc_type": "letter", "title": title},
        files={"file": ("d.pdf", pdf, "application/pdf")},
    )
    return response, hashlib.sha256(pdf).hexdigest()


def _download_sha256(client: httpx.Client, base: str, headers: dict[str, str], doc: str) -> str:
    response = client.get(f"{base}/api/v1/documents/{doc}/content", headers=headers)
    assert response.status_code == 200, response.text
    return hashlib.sha256(response.content).hexdigest()


def test_requests_through_the_balancer_reach_both_processes(topology: Topology) -> None:
    base = topology.base
    with _client() as client:
        assert client.get(f"{base}/healthz").status_code == 200
        headers = _login(client, base)
        marker = "/api/v1/documents"
        before = [app.access_log_requests(marker) for app in topology.apps]
        for n in range(6):
            pdf_title = f"Oficio {n}"
            created, sha256 = _upload(client, base, headers, pdf_title)
            assert created.status_code == 201, created.text
            doc = str(created.json()["id"])
            assert _download_sha256(client, base, headers, doc) == sha256
        after = [app.access_log_requests(marker) for app in topology.apps]
    served = [b - a for a, b in zip(before, after, strict=True)]
    assert all(count > 0 for count in served), served


def _sign(client: httpx.Client, base: str, headers: dict[str, str], doc: str) -> str:
    """The error's code, or an empty string when it was signed."""
    response = client.post(
        f"{base}/api/v1/documents/{doc}/signatures",
        headers=headers,
        json={"level": "B-B", "visible": False},
    )
    if response.status_code == 201:
        return ""
    return str(response.json().get("error", {}).get("code", response.status_code))


def test_a_signing_session_opened_through_one_process_signs_through_both(
    topology: Topology,
) -> None:
    """Opened once through the balancer, the session signs 50 documents over new
    connections, which both processes serve, none refused; it then expires in both at
    once."""
    base = topology.base
    with _client() as client:
        headers = _login(client, base)
        token = headers["Authorization"].removeprefix("Bearer ")
        documents = []
        for n in range(SIGNATURES):
            created, _ = _upload(client, base, headers, f"Resolución {n}")
            assert created.status_code == 201, created.text
            documents.append(str(created.json()["id"]))
        opened = client.post(
            f"{base}/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN}
        )
        assert opened.status_code == 200 and opened.json()["unlocked"], opened.text
        marker = "/signatures"
        before = [app.access_log_requests(marker) for app in topology.apps]
        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes = list(pool.map(lambda d: _sign(client, base, headers, d), documents))
        after = [app.access_log_requests(marker) for app in topology.apps]
        assert [code for code in outcomes if code] == []
        served = [b - a for a, b in zip(before, after, strict=True)]
        assert all(count > 0 for count in served), served

        services = BACKENDS[0].services
        with services.sessions() as db:
            db.execute(
                update(SigningSession)
                .where(SigningSession.auth_session == hashlib.sha256(token.encode()).hexdigest())
                .values(expires_at=utcnow())
            )
            db.commit()
        assert {_sign(client, base, headers, d) for d in documents[:8]} == {"pin_required"}


def test_every_object_is_on_both_volume_servers(topology: Topology) -> None:
    cluster = topology.cluster
    grown_before = [volume.dat_bytes() for volume in cluster.volumes]
    with _client() as client:
        headers = _login(client, topology.base)
        created, _ = _upload(client, topology.base, headers, "Copia doble")
        assert created.status_code == 201, created.text
    grown = [v.dat_bytes() - b for v, b in zip(cluster.volumes, grown_before, strict=True)]
    assert all(size > 0 for size in grown), grown
    locations = cluster.volume_locations()
    assert locations
    assert all(len(servers) == 2 for servers in locations.values()), locations


def test_the_balancer_limits_public_verification_once_for_all_processes(
    topology: Topology,
) -> None:
    """Each process would allow PUBLIC_PER_MINUTE; round robin would double it."""
    with _client() as client:
        codes = [
            client.get(f"{topology.base}/api/v1/verify/NO-SUCH-CODE").status_code
            for _ in range(PUBLIC_PER_MINUTE + 5)
        ]
    assert 429 not in codes[:PUBLIC_PER_MINUTE], codes
    assert set(codes[PUBLIC_PER_MINUTE:]) == {429}, codes


def test_a_dead_volume_server_loses_no_document(topology: Topology) -> None:
    cluster = topology.cluster
    base = topology.base
    with _client() as client:
        headers = _login(client, base)
        stored = {}
        for n in range(4):
            created, sha256 = _upload(client, base, headers, f"Antes {n}")
            assert created.status_code == 201, created.text
            stored[str(created.json()["id"])] = sha256

        cluster.kill_volume(1)
        for doc, sha256 in stored.items():
            assert _download_sha256(client, base, headers, doc) == sha256

        # Until the master notices the dead server (missed heartbeats), a write placed on
        # a volume with a copy there waits for it; allow that pause.
        outcomes = []
        with httpx.Client(timeout=240) as patient:
            for n in range(2):
                started = time.monotonic()
                created, sha256 = _upload(patient, base, headers, f"Durante {n}")
                outcomes.append((created.status_code, round(time.monotonic() - started, 1)))
                if created.status_code == 201:
                    doc = str(created.json()["id"])
                    assert _download_sha256(client, base, headers, doc) == sha256
        # Stored and readable, or a clear server error: never a half-stored document.
        assert all(code == 201 or 500 <= code < 600 for code, _ in outcomes), outcomes
        print(f"uploads with one volume server down (status, seconds): {outcomes}")

        cluster.restart_volume(1)
        after_dat = cluster.volumes[1].dat_bytes()
        deadline = time.monotonic() + 30
        while True:
            created, sha256 = _upload(client, base, headers, "Después")
            if created.status_code == 201 or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert created.status_code == 201, created.text
        # The restarted server takes its copy of new writes again.
        assert cluster.volumes[1].dat_bytes() > after_dat
        for doc, sha256 in stored.items():
            assert _download_sha256(client, base, headers, doc) == sha256


def test_a_dead_app_process_is_taken_out_by_the_balancer(topology: Topology) -> None:
    base = topology.base
    with _client() as client:
        headers = _login(client, base)
        created, sha256 = _upload(client, base, headers, "Antes del fallo")
        assert created.status_code == 201, created.text
        doc = str(created.json()["id"])

        topology.apps[0].managed.kill()
        for _ in range(20):
            assert client.get(f"{base}/healthz").status_code == 200
            assert _download_sha256(client, base, headers, doc) == sha256
        # Once its checks failed, even uploads (never retried) go to the live process.
        time.sleep(3)
        for n in range(3):
            again, _ = _upload(client, base, headers, f"Tras el fallo {n}")
            assert again.status_code == 201, again.text
