"""Attacks on what a request may cost, each as the attacker ran it against a live server
(uvicorn on 127.0.0.1, both backends): slow uploads that held every database connection,
a burst of signatures that exhausted the pool, unbounded JSON bodies, cut-off uploads and
killed processes that left copies of documents behind, and inputs that got a 500."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import psutil
import pytest

from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.live_server import LiveServer, serve
from tests.support.pdfs import unique_pdf

SLOW_UPLOADS = 32
ANSWER_WITHIN = 2.0


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"hardening-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def live(backend: Backend) -> Iterator[LiveServer]:
    yield from serve(backend)


def _token(live: LiveServer, username: str) -> str:
    response = httpx.post(
        f"{live.url}/api/v1/auth/token",
        json={"username": username, "password": "docsvc-demo"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def _host_port(live: LiveServer) -> tuple[str, int]:
    host, port = live.url.removeprefix("http://").split(":")
    return host, int(port)


def _slow_upload(live: LiveServer, token: str, stop: threading.Event, cut_off: list[int]) -> None:
    """Headers promising 2 MB (within the upload limit), then one byte every half second
    until told to stop; counts itself in ``cut_off`` if the server hangs up first."""
    with socket.create_connection(_host_port(live), timeout=60) as sock:
        try:
            sock.sendall(
                b"POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + f"Authorization: Bearer {token}\r\n".encode()
                + b"Content-Type: multipart/form-data; boundary=xyz\r\n"
                b"Content-Length: 2000000\r\n\r\n"
                b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"'
                b"\r\n\r\n"
            )
            while not stop.wait(0.5):
                sock.sendall(b"%")
        except OSError:
            cut_off.append(1)


def test_slow_uploads_do_not_starve_the_other_users(live: LiveServer) -> None:
    """An auditor, who may not even upload, opens 32 uploads that trickle in. Meanwhile
    another official reads, lists and signs: every answer within 2 seconds."""
    attacker = _token(live, "auditora")
    legal = {"Authorization": f"Bearer {_token(live, 'juridico')}"}
    # A service in use has loaded its signing code; the first signature of a cold process
    # (imports, the official's first key unlock) is not what this test measures.
    with httpx.Client(base_url=live.url, headers=legal, timeout=60) as client:
        warm = client.post(
            "/api/v1/documents",
            data={"doc_type": "resolution", "title": "Calentamiento"},
            files={"file": ("w.pdf", unique_pdf("calentamiento"), "application/pdf")},
        )
        assert warm.status_code == 201, warm.text
        signed = client.post(
            f"/api/v1/documents/{warm.json()['id']}/signatures",
            json={"pin": DEMO_PIN, "level": "B-B"},
        )
        assert signed.status_code == 201, signed.text
    stop = threading.Event()
    cut_off: list[int] = []
    trickles = [
        threading.Thread(target=_slow_upload, args=(live, attacker, stop, cut_off), daemon=True)
        for _ in range(SLOW_UPLOADS)
    ]
    for thread in trickles:
        thread.start()
    time.sleep(2)  # every upload has authenticated and is waiting for its body
    try:
        timings: list[tuple[str, float, int]] = []
        with httpx.Client(base_url=live.url, headers=legal, timeout=30) as client:

            def timed(what: str, method: str, url: str, **kwargs: object) -> httpx.Response:
                started = time.perf_counter()
                response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
                timings.append((what, time.perf_counter() - started, response.status_code))
                return response

            for round_ in range(3):
                created = timed(
                    "upload",
                    "POST",
                    "/api/v1/documents",
                    data={"doc_type": "resolution", "title": f"Resolución {round_}"},
                    files={"file": ("r.pdf", unique_pdf(f"lento {round_}"), "application/pdf")},
                )
                assert created.status_code == 201, created.text
                doc_id = created.json()["id"]
                timed("list", "GET", "/api/v1/documents")
                timed("read", "GET", f"/api/v1/documents/{doc_id}")
                signed = timed(
                    "sign",
                    "POST",
                    f"/api/v1/documents/{doc_id}/signatures",
                    json={"pin": DEMO_PIN, "level": "B-B"},
                )
                assert signed.status_code == 201, signed.text
        slow = [t for t in timings if t[1] > ANSWER_WITHIN or t[2] >= 500]
        assert not slow, timings
        assert not cut_off, "the slow uploads must still be open while the others are served"
        ready = httpx.get(f"{live.url}/readyz", timeout=10)
        assert ready.status_code == 200
    finally:
        stop.set()
        for thread in trickles:
            thread.join(10)


def test_twenty_parallel_signatures_by_one_official_all_succeed(live: LiveServer) -> None:
    """The pool held a connection per request while the signing pool was busy: 20 at once
    gave 500s after 30 s. Now the burst waits for threads and every signature is made."""
    headers = {"Authorization": f"Bearer {_token(live, 'juridico')}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=120) as client:
        ids = []
        for n in range(20):
            created = client.post(
                "/api/v1/documents",
                data={"doc_type": "resolution", "title": f"Lote {n}"},
                files={"file": ("r.pdf", unique_pdf(f"paralelo {n}"), "application/pdf")},
            )
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])

        def sign(doc_id: str) -> int:
            return client.post(
                f"/api/v1/documents/{doc_id}/signatures", json={"pin": DEMO_PIN, "level": "B-B"}
            ).status_code

        with ThreadPoolExecutor(20) as pool:
            statuses = list(pool.map(sign, ids))
    assert statuses == [201] * 20


def _rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def test_a_huge_json_body_is_refused_before_it_is_read(live: LiveServer) -> None:
    """500 MiB announced to the login route: a 413 at once. The same streamed without a
    length: a 413 once it passes the limit, and the server's memory does not follow."""
    host, port = _host_port(live)
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.putrequest("POST", "/api/v1/auth/token")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(500 * 2**20))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert b"body_too_large" in answer.read()
    connection.close()

    before = _rss_mib()

    def chunks() -> Iterator[bytes]:
        block = b"[" + b"1," * (2**20 // 2)
        for _ in range(64):
            yield block

    response = httpx.post(
        f"{live.url}/api/v1/auth/token",
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "body_too_large"
    assert _rss_mib() - before < 32


def _scratch_files(backend: Backend) -> list[Path]:
    root = backend.settings.shared_tmp_dir
    return [p for p in root.rglob("*") if p.is_file() and "verificaciones" not in p.parts]


@pytest.mark.parametrize("route", ["/api/v1/documents", "/api/v1/verify"])
def test_a_cut_off_upload_leaves_no_file(live: LiveServer, backend: Backend, route: str) -> None:
    """The body ends inside the file part (its length says so): a 400, and no temporary
    file stays, on the public route too."""
    before = set(_scratch_files(backend))
    token = _token(live, "juridico")
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n" + unique_pdf("cortado")[:4000]
    )
    response = httpx.post(
        f"{live.url}{route}",
        content=body,
        headers={
            "Content-Type": "multipart/form-data; boundary=xyz",
            "Authorization": f"Bearer {token}",
        },
        timeout=30,
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "upload_truncated"
    assert set(_scratch_files(backend)) == before


def test_a_client_that_disconnects_mid_upload_leaves_no_file(
    live: LiveServer, backend: Backend
) -> None:
    before = set(_scratch_files(backend))
    with socket.create_connection(_host_port(live), timeout=30) as sock:
        sock.sendall(
            b"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\n"
            b"Content-Length: 2000000\r\n\r\n"
            b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n'
            + b"%PDF-1.7\n"
            * 20000
        )
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while set(_scratch_files(backend)) != before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(_scratch_files(backend)) == before


def test_a_killed_process_leaves_no_copies_behind(backend: Backend, tmp_path: Path) -> None:
    """A process killed with kill -9 in the middle of its work (say, a batch with copies of
    documents in its scratch directory): the next start removes them. Another process's
    directory, still running, stays."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from docsvc.config import Settings\n"
        "scratch = Settings(data_dir=Path(sys.argv[1])).upload_tmp_dir\n"
        "scratch.mkdir(parents=True, exist_ok=True)\n"
        "(scratch / 'copia-de-resolucion.pdf').write_bytes(b'%PDF- confidencial')\n"
        "print(scratch, flush=True)\n"
        "time.sleep(120)\n"
    )
    data_dir = backend.settings.data_dir
    victim = subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    survivor = subprocess.Popen(
        [sys.executable, "-c", script, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert victim.stdout is not None and survivor.stdout is not None
        victim_dir = Path(victim.stdout.readline().strip())
        survivor_dir = Path(survivor.stdout.readline().strip())
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(10)
        assert (victim_dir / "copia-de-resolucion.pdf").exists()
        with backend.client():  # a start of the service
            pass
        assert not victim_dir.exists()
        assert (survivor_dir / "copia-de-resolucion.pdf").exists()
    finally:
        for process in (victim, survivor):
            process.kill()
            process.wait(10)
            if process.stdout is not None:
                process.stdout.close()


def test_bad_inputs_get_a_4xx_not_a_500(live: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {_token(live, 'juridico')}"}
    with httpx.Client(base_url=live.url, headers=headers, timeout=30) as client:
        # A date without a time zone is UTC, as the API says.
        for value in ("2026-01-01", "2026-01-01T10:00:00"):
            listed = client.get("/api/v1/documents", params={"created_from": value})
            assert listed.status_code == 200, listed.text
            listed = client.get("/api/v1/documents", params={"created_to": value})
            assert listed.status_code == 200, listed.text
        for route in (
            "/api/v1/documents",
            "/api/v1/register/entries",
            "/api/v1/transfers",
            "/api/v1/dossiers",
        ):
            huge = client.get(route, params={"offset": 2**63})
            assert huge.status_code == 422, (route, huge.text)
        created = client.post(
            "/api/v1/documents",
            data={"doc_type": "resolution", "title": "Plazo sin zona"},
            files={"file": ("r.pdf", unique_pdf("plazo sin zona"), "application/pdf")},
        )
        assert created.status_code == 201, created.text
        # A deadline without a zone is UTC too (it was compared with zoned times: a 500).
        line = client.post(
            "/api/v1/signing-lines",
            json={
                "title": "Plazo sin zona",
                "document_id": created.json()["id"],
                "steps": [{"signers": [{"user": "viceministro"}], "deadline": "2030-01-01T10:00"}],
            },
        )
        assert line.status_code == 201, line.text
        assert line.json()["steps"][0]["deadline"].startswith("2030-01-01T10:00:00")
    auditor = {"Authorization": f"Bearer {_token(live, 'auditora')}"}
    with httpx.Client(base_url=live.url, headers=auditor, timeout=30) as client:
        for value in ("2026-01-01", "2026-01-01T10:00:00"):
            for bound in ("since", "until"):
                events = client.get("/api/v1/audit/events", params={bound: value})
                assert events.status_code == 200, (bound, events.text)
        huge = client.get("/api/v1/audit/events", params={"offset": 2**63})
        assert huge.status_code == 422, huge.text
    with httpx.Client(base_url=live.url, headers=headers, timeout=30) as client:
        boundary = "b" * 300
        for route in ("/api/v1/documents", "/api/v1/verify", "/verificar"):
            response = client.post(
                route,
                content=f"--{boundary}\r\n".encode(),
                headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            )
            assert 400 <= response.status_code < 500, (route, response.text)
