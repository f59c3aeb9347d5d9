"""Item 6: one client looping a file that keeps a verifier busy for the whole time limit
(``hostile/many_revisions.pdf``: 2,000 empty revisions, about 20 s of pyHanko's difference
analysis) must not crowd out everyone else. Counting requests was not enough: within its
60 a minute, such a client held every worker, and legitimate verifications waited until
they failed with 503. Now each client address has a fair share of the verifier (worker
seconds per minute and verifications in flight; 429 ``verification_budget`` beyond it), and
a request that finds every worker busy waits in line, first come first served, for the
next one (a killed worker's room included).

The settings are small so that the test is quick: a 2 s time limit, 2 workers, a budget of
3 worker seconds a minute and one verification in flight per client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.errors import TooManyRequests
from docsvc.throttles import VerificationBudget
from signing.isolation import IsolatedVerifier
from signing.verification import VerificationPolicy
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of

DATA = Path(__file__).parents[1] / "data"
SLOW = DATA / "hostile" / "many_revisions.pdf"  # runs to any time limit under 20 s
SIGNED = DATA / "signed" / "signed_b_b.pdf"  # verified in well under a second
ATTACKER = ("203.0.113.66", 41000)
SMALL = {
    "verify_seconds": 2,
    "verify_processes": 2,
    "verify_wait_seconds": 10,
    "public_verify_seconds_per_minute": 3,
    "public_verifications_in_flight": 1,
}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"fair-share-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _app(backend: Backend) -> FastAPI:
    settings = backend.settings.model_copy(update=SMALL)
    app = create_app(settings, backend.services)
    app.state.services.verifier.warm()  # no request waits for a worker to start
    return app


def _der(pem: Path) -> bytes:
    return x509.load_pem_x509_certificate(pem.read_bytes()).public_bytes(Encoding.DER)


def _verify(client: TestClient, path: Path, **params: str) -> Any:
    return client.post(
        "/api/v1/verify",
        params=params,
        files={"file": (path.name, path.read_bytes(), "application/pdf")},
    )


def test_one_client_looping_slow_files_cannot_crowd_out_others(backend: Backend) -> None:
    app = _app(backend)
    attacker = TestClient(app, client=ATTACKER)
    attacked: list[Any] = []
    legitimate: list[tuple[str, Any]] = []
    started = time.monotonic()

    def attack() -> None:
        # Three loops at once from one address for 10 s, within its 60 requests a minute.
        while time.monotonic() - started < 10:
            attacked.append(_verify(attacker, SLOW))
            time.sleep(1)

    def citizen(n: int) -> None:
        neighbour = TestClient(app, client=(f"198.51.100.{n}", 42000 + n))
        time.sleep(n)  # they come one after another while the attack goes on
        for _ in range(2):
            legitimate.append((f"198.51.100.{n}", _verify(neighbour, SIGNED)))

    with ThreadPoolExecutor(3 + 8) as pool:
        futures = [pool.submit(attack) for _ in range(3)]
        futures += [pool.submit(citizen, n) for n in range(1, 9)]
        for future in futures:
            future.result()
    took = time.monotonic() - started

    # Every legitimate verification was served.
    failed = [(who, r.status_code, r.text[:200]) for who, r in legitimate if r.status_code != 200]
    assert not failed, failed
    assert len(legitimate) == 16
    assert all(r.json()["signatures"][0]["intact"] for _, r in legitimate)

    # The looping client ran into its share: one slow file at a time, stopped at the time
    # limit while it had budget (3 s: two of them), and then told to come back later.
    codes = [r.json()["error"]["code"] if r.status_code != 200 else "ok" for r in attacked]
    assert set(codes) <= {"verification_time_limit", "verification_budget"}, codes
    assert codes.count("verification_time_limit") == 2, codes
    refused = [r for r in attacked if r.status_code == 429]
    assert all(r.json()["error"]["code"] == "verification_budget" for r in refused)
    assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in refused)
    assert any("used its share" in r.json()["error"]["message"] for r in refused), codes
    # Its budget, overdrawn by the one verification it had in flight.
    budget: VerificationBudget = app.state.services.limits.verification
    assert 3 <= budget.spent(ATTACKER[0]) <= 3 + 2 + 1
    assert took < 30

    # Over budget, the other ways in are refused too: the ETSI report, and the page (in
    # Spanish, with Retry-After).
    etsi = _verify(attacker, SIGNED, format="etsi")
    assert etsi.status_code == 429 and etsi.json()["error"]["code"] == "verification_budget"
    form = attacker.get("/verificar")
    page = attacker.post(
        "/verificar",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("copia.pdf", SIGNED.read_bytes(), "application/pdf")},
        follow_redirects=False,
    )
    assert page.status_code == 429
    assert "Desde su dirección ya se usó la parte del tiempo de verificación" in page.text
    assert int(page.headers["retry-after"]) >= 1
    # Another address is still served, by the page too.
    neighbour = TestClient(app, client=("198.51.100.200", 43000))
    form = neighbour.get("/verificar")
    done = neighbour.post(
        "/verificar",
        data={"csrf_token": csrf_of(form.text)},
        files={"file": ("copia.pdf", SIGNED.read_bytes(), "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_a_waiting_request_gets_the_room_of_a_killed_worker(backend: Backend) -> None:
    """The root of the 503s: a request waiting for a worker was not told when a worker
    was killed at the time limit, so the room went to whoever asked next (the looping
    client) and the waiting request gave up. Now it waits in line and is served."""
    policy = VerificationPolicy([backend.root_der(), _der(DATA / "signed" / "pki_root.pem")])
    verifier = IsolatedVerifier(1, 0)  # the verifier alone, with one worker
    try:
        verifier.warm()
        outcomes: dict[str, Any] = {}

        def slow() -> None:
            try:
                verifier.verify(SLOW, policy, timeout=2)
            except Exception as exc:
                outcomes["slow"] = type(exc).__name__

        def legitimate() -> None:
            time.sleep(0.5)  # the only worker is busy with the slow file by now
            try:
                report = verifier.verify(SIGNED, policy, timeout=20, wait=15).report
                outcomes["legitimate"] = report.signatures[0].intact
            except Exception as exc:
                outcomes["legitimate"] = type(exc).__name__

        threads = [threading.Thread(target=slow), threading.Thread(target=legitimate)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert outcomes == {"slow": "VerificationTimedOut", "legitimate": True}
    finally:
        verifier.close()


def test_the_budget_counts_worker_seconds_and_verifications_in_flight() -> None:
    budget = VerificationBudget(30, 2, longest=40)
    first = budget.admit("10.0.0.1", now=0.0)
    second = budget.admit("10.0.0.1", now=1.0)
    with pytest.raises(TooManyRequests) as in_flight:
        budget.admit("10.0.0.1", now=2.0)
    assert in_flight.value.code == "verification_budget"
    assert in_flight.value.retry_after == 38  # the oldest ends by 0 + 40
    budget.admit("10.0.0.2", now=2.0)  # another client has its own share
    budget.settle("10.0.0.1", first, 20.0, now=20.0)
    budget.settle("10.0.0.1", second, 12.0, now=25.0)
    assert budget.spent("10.0.0.1", now=25.0) == 32.0
    with pytest.raises(TooManyRequests) as spent:
        budget.admit("10.0.0.1", now=30.0)
    assert spent.value.code == "verification_budget"
    assert spent.value.retry_after == 50  # the 20 s charged at 20 leave the window at 80
    assert budget.spent("10.0.0.1", now=80.0) == 12.0
    budget.admit("10.0.0.1", now=80.0)
    # A verification that used nothing (refused before it ran) costs nothing.
    cheap = budget.admit("10.0.0.3", now=0.0)
    budget.settle("10.0.0.3", cheap, 0.0, now=0.5)
    assert budget.spent("10.0.0.3", now=0.5) == 0.0


def test_one_client_never_gets_more_than_half_the_workers(backend: Backend) -> None:
    settings = backend.settings.model_copy(
        update={"verify_processes": 4, "public_verifications_in_flight": 8}
    )
    assert VerificationBudget.for_settings(settings).in_flight == 2
    one = settings.model_copy(update={"verify_processes": 1})
    assert VerificationBudget.for_settings(one).in_flight == 1
