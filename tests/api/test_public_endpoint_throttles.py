"""Floods of the routes anyone can call without an account, each as the attack was run:
the CRL and OCSP routes signed an answer for every request, the TSA and OCSP ones had no
limit, and every unauthenticated login cost an Argon2 hash (64 MiB) with no limit. Now a
CRL (and an OCSP answer without a nonce) is signed once per state, fresh signatures are
limited per client address and wait for one of a few signing slots, and failed logins are
limited per address before their password is hashed, hashing itself waiting for a slot;
the legitimate caller from another address is served all along."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD
from docsvc.errors import TooManyRequests
from docsvc.identity import service as identity
from docsvc.pki import service as pki_service
from docsvc.pki.service import dev_pki, record_issued, revoke
from docsvc.throttles import Busy, ConcurrencyGate, RateLimiter, Throttles
from signing.revocation import CRL_VALIDITY
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of

ATTACKER = ("203.0.113.66", 41000)
NEIGHBOUR = ("198.51.100.8", 42000)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"throttles-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _app(backend: Backend, **settings: Any) -> FastAPI:
    return create_app(backend.settings.model_copy(update=settings), backend.services)


def _flood(count: int, request: Callable[[int], Any]) -> list[Any]:
    """``count`` requests sent at the same moment from as many threads."""
    start = threading.Barrier(count)

    def one(i: int) -> Any:
        start.wait()
        return request(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _later(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    """The PKI's clock, moved on."""
    monkeypatch.setattr(pki_service, "_now", lambda: datetime.now(UTC) + by)


def _counting(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def _recorded_certificate(backend: Backend) -> x509.Certificate:
    """A certificate from the issuing CA (an EC key: quick to make), recorded as issued."""
    pki = dev_pki(backend.services.keys)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Prueba")]))
        .issuer_name(pki.issuing.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(pki.issuing.key, hashes.SHA256())
    )
    with backend.services.sessions() as db:
        record_issued(db, certificate, "test")
        db.commit()
    return certificate


def _revoke(backend: Backend, certificate: x509.Certificate) -> None:
    with backend.services.sessions() as db:
        revoke(db, None, certificate.serial_number, x509.ReasonFlags.key_compromise)
        db.commit()


def _tsa_query(i: int = 0) -> bytes:
    digest = hashlib.sha256(f"resolucion-{i}".encode()).digest()
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": 1000 + i,
            "cert_req": True,
        }
    )
    return bytes(request.dump())


def _ask_tsa(client: TestClient, i: int = 0) -> Any:
    return client.post(
        "/pki/tsa", content=_tsa_query(i), headers={"Content-Type": "application/timestamp-query"}
    )


def _granted(response: Any) -> bool:
    status = tsp.TimeStampResp.load(response.content)["status"]["status"].native
    return bool(response.status_code == 200 and status == "granted")


def _ocsp_request(certificate: x509.Certificate, backend: Backend) -> bytes:
    issuer = dev_pki(backend.services.keys).issuing.certificate
    built = ocsp.OCSPRequestBuilder().add_certificate(certificate, issuer, hashes.SHA256())
    return built.build().public_bytes(Encoding.DER)


def _ask_ocsp(client: TestClient, request_der: bytes) -> Any:
    return client.post(
        "/pki/ocsp", content=request_der, headers={"Content-Type": "application/ocsp-request"}
    )


# --- the CRL and OCSP answers: signed once per state -----------------------------------------


def test_a_crl_flood_signs_the_crl_once(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    signed = _counting(monkeypatch, pki_service, "build_crl")
    # Whatever CRL this process holds is past its reuse by now: the flood finds none.
    _later(monkeypatch, pki_service.CRL_REUSED_FOR + timedelta(minutes=1))
    with TestClient(_app(backend)) as client:
        answers = _flood(16, lambda _: client.get("/pki/crl/issuing.crl"))
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        assert len(signed) == 1
        first = x509.load_der_x509_crl(answers[0].content)
        this_update = first.last_update_utc
        assert first.next_update_utc == this_update + CRL_VALIDITY

        # Minutes later, with the revocations unchanged, it is the same CRL, still valid.
        _later(monkeypatch, pki_service.CRL_REUSED_FOR + timedelta(minutes=3))
        again = client.get("/pki/crl/issuing.crl").content
        assert again == answers[0].content
        assert len(signed) == 1

        # A revocation shows at once: a new CRL, with a later number.
        certificate = _recorded_certificate(backend)
        _revoke(backend, certificate)
        after = x509.load_der_x509_crl(client.get("/pki/crl/issuing.crl").content)
        assert len(signed) == 2
        assert after.get_revoked_certificate_by_serial_number(certificate.serial_number)
        number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        before = first.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        assert number > before

        # Past the reuse time the CRL is signed afresh: thisUpdate never grows old.
        _later(monkeypatch, 2 * pki_service.CRL_REUSED_FOR + timedelta(minutes=3))
        renewed = x509.load_der_x509_crl(client.get("/pki/crl/issuing.crl").content)
        assert len(signed) == 3
        assert renewed.last_update_utc > after.last_update_utc
        assert renewed.next_update_utc == renewed.last_update_utc + CRL_VALIDITY
        assert renewed.get_revoked_certificate_by_serial_number(certificate.serial_number)


def test_repeated_ocsp_requests_without_nonces_are_signed_once_per_status(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed = _counting(monkeypatch, pki_service, "ocsp_response")
    certificate = _recorded_certificate(backend)
    request_der = _ocsp_request(certificate, backend)
    with TestClient(_app(backend)) as client:
        answers = [_ask_ocsp(client, request_der) for _ in range(12)]
        assert {a.status_code for a in answers} == {200}
        assert len({a.content for a in answers}) == 1
        assert len(signed) == 1
        good = ocsp.load_der_ocsp_response(answers[0].content)
        assert good.certificate_status == ocsp.OCSPCertStatus.GOOD

        # The revocation is answered at once, not from the reused "good".
        _revoke(backend, certificate)
        revoked = ocsp.load_der_ocsp_response(_ask_ocsp(client, request_der).content)
        assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert len(signed) == 2

        # A request with a nonce gets an answer of its own, echoing it.
        with_nonce = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(
                certificate, dev_pki(backend.services.keys).issuing.certificate, hashes.SHA256()
            )
            .add_extension(x509.OCSPNonce(b"0123456789abcdef"), critical=False)
            .build()
        )
        answer = _ask_ocsp(client, with_nonce.public_bytes(Encoding.DER))
        nonce = ocsp.load_der_ocsp_response(answer.content).extensions.get_extension_for_class(
            x509.OCSPNonce
        )
        assert nonce.value.nonce == b"0123456789abcdef"
        assert len(signed) == 3


# --- the TSA and OCSP: limited per client, a few signing at once -----------------------------


def test_a_tsa_flood_from_one_client_is_throttled(backend: Backend) -> None:
    app = _app(backend, pki_requests_per_minute=5)
    with TestClient(app, client=ATTACKER) as attacker:
        answers = _flood(12, lambda i: _ask_tsa(attacker, i))
        assert sorted(a.status_code for a in answers) == [200] * 5 + [429] * 7
        assert all(_granted(a) for a in answers if a.status_code == 200)
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json()["error"]["code"] == "too_many_requests"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # The same budget covers OCSP, by POST and by GET.
        certificate = _recorded_certificate(backend)
        assert _ask_ocsp(attacker, _ocsp_request(certificate, backend)).status_code == 429
        assert attacker.get("/pki/ocsp/MAo=").status_code == 429
        # The CRL is not signed per request, so it is not limited.
        assert attacker.get("/pki/crl/issuing.crl").status_code == 200

    # Another client is served all along.
    neighbour = TestClient(app, client=NEIGHBOUR)
    assert _granted(_ask_tsa(neighbour))
    answer = _ask_ocsp(neighbour, _ocsp_request(certificate, backend))
    assert ocsp.load_der_ocsp_response(answer.content).certificate_status == (
        ocsp.OCSPCertStatus.GOOD
    )


def test_signing_beyond_the_slots_waits_then_is_refused_busy(backend: Backend) -> None:
    app = _app(backend)
    gate = ConcurrencyGate(1, wait_seconds=0.2, max_waiting=4, code="pki_busy")
    app.state.services = dataclasses.replace(
        app.state.services,
        limits=dataclasses.replace(app.state.services.limits, pki_signing=gate),
    )
    client = TestClient(app, client=NEIGHBOUR)
    with gate.slot():  # every signing slot is taken
        started = time.monotonic()
        busy = _ask_tsa(client)
        assert time.monotonic() - started >= 0.2
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "pki_busy"
    assert int(busy.headers["retry-after"]) >= 1
    # Once a slot is free, signing goes on.
    assert _granted(_ask_tsa(client))
    assert gate.in_use == 0


# --- logins: limited per address before hashing, a few hashes at once ------------------------


def _token(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_a_login_flood_is_throttled_before_hashing(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed = _counting(monkeypatch, identity, "verify_password")
    app = _app(backend, login_failures_per_minute=5)
    with TestClient(app, client=ATTACKER) as attacker:
        answers = _flood(20, lambda i: _token(attacker, f"nadie-{i}", "adivinanza-larga"))
        assert sorted(a.status_code for a in answers) == [401] * 5 + [429] * 15
        # Only the five counted attempts cost a hash; the rest were refused before it.
        assert len(hashed) == 5
        refused = next(a for a in answers if a.status_code == 429)
        assert refused.json()["error"]["code"] == "too_many_logins"
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Even the right password waits out the window from this address.
        assert _token(attacker, "ministra", DEMO_PASSWORD).status_code == 429
        # So does the login form: a Spanish page, with Retry-After.
        form = attacker.get("/login")
        page = attacker.post(
            "/login",
            data={"username": "ministra", "password": "x", "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert page.status_code == 429
        assert "Demasiados intentos fallidos de inicio de sesión" in page.text
        assert "Too many" not in page.text
        assert 1 <= int(page.headers["retry-after"]) <= 60
        assert len(hashed) == 5

    # A legitimate user from another address logs in at once, by the API and the form.
    neighbour = TestClient(app, client=NEIGHBOUR)
    assert _token(neighbour, "ministra", DEMO_PASSWORD).status_code == 200
    form = neighbour.get("/login")
    done = neighbour.post(
        "/login",
        data={"username": "ministra", "password": DEMO_PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


def test_an_office_behind_one_address_is_not_limited_by_its_own_logins(
    backend: Backend,
) -> None:
    """Only failed logins count: many officials behind one NAT address log in freely."""
    app = _app(backend, login_failures_per_minute=2)
    office = TestClient(app, client=("192.0.2.10", 43000))
    for username in ("ministra", "viceministro", "financiero", "rrhh", "ministra"):
        assert _token(office, username, DEMO_PASSWORD).status_code == 200
    assert _token(office, "nadie", "adivinanza-larga").status_code == 401
    assert _token(office, "ministra", DEMO_PASSWORD).status_code == 200


def test_logins_beyond_the_hashing_slots_wait_then_are_refused_busy(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashed = _counting(monkeypatch, identity, "verify_password")
    app = _app(backend, login_failures_per_minute=1)
    gate = ConcurrencyGate(1, wait_seconds=0.2, max_waiting=4, code="login_busy")
    app.state.services = dataclasses.replace(
        app.state.services,
        limits=dataclasses.replace(app.state.services.limits, password_hashing=gate),
    )
    client = TestClient(app, client=("192.0.2.20", 44000))
    with gate.slot():  # every hashing slot is taken
        busy = _token(client, "nadie", "adivinanza-larga")
        form = client.get("/login")
        page = client.post(
            "/login",
            data={"username": "nadie", "password": "x", "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "login_busy"
    assert int(busy.headers["retry-after"]) >= 1
    assert page.status_code == 503
    assert "Vuelva a intentarlo en unos segundos" in page.text
    assert "retry-after" in page.headers
    assert hashed == []
    # Refused for being busy is no failed login: the address's one attempt is still there.
    assert _token(client, "nadie", "adivinanza-larga").status_code == 401
    assert _token(client, "nadie", "adivinanza-larga").status_code == 429


def test_a_password_change_waits_for_a_hashing_slot(backend: Backend) -> None:
    app = _app(backend)
    gate = ConcurrencyGate(1, wait_seconds=0.1, max_waiting=4, code="login_busy")
    app.state.services = dataclasses.replace(
        app.state.services,
        limits=dataclasses.replace(app.state.services.limits, password_hashing=gate),
    )
    client = TestClient(app)
    token = _token(client, "financiero", DEMO_PASSWORD).json()["access_token"]
    with gate.slot():
        busy = client.post(
            "/api/v1/me/password",
            headers={"Authorization": f"Bearer {token}"},
            json={"current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD},
        )
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "login_busy"


# --- the pieces ------------------------------------------------------------------------------


def test_the_gate_caps_concurrency_across_threads() -> None:
    gate = ConcurrencyGate(2, wait_seconds=5, max_waiting=16, code="busy")
    inside, most = 0, 0
    lock = threading.Lock()

    def work(_: int) -> None:
        nonlocal inside, most
        with gate.slot():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    _flood(10, work)
    assert most == 2
    assert gate.in_use == 0


def test_the_gate_refuses_after_its_wait_and_at_once_when_the_line_is_full() -> None:
    gate = ConcurrencyGate(1, wait_seconds=0.15, max_waiting=1, code="pki_busy")
    with gate.slot():
        started = time.monotonic()
        with pytest.raises(Busy) as waited, gate.slot():
            pass
        assert time.monotonic() - started >= 0.15
        assert waited.value.status_code == 503 and waited.value.code == "pki_busy"
        assert waited.value.retry_after == 1

        # One in line fills it: the next is refused without waiting.
        in_line = threading.Event()

        def wait_in_line() -> None:
            in_line.set()
            with pytest.raises(Busy), gate.slot():
                pass

        waiter = threading.Thread(target=wait_in_line)
        waiter.start()
        in_line.wait()
        while not gate.waiting:
            time.sleep(0.001)
        started = time.monotonic()
        with pytest.raises(Busy), gate.slot():
            pass
        assert time.monotonic() - started < 0.1
        waiter.join()
    assert gate.in_use == 0


def test_the_gate_hands_a_slot_to_a_coroutine_and_survives_cancellation() -> None:
    gate = ConcurrencyGate(1, wait_seconds=5, max_waiting=8, code="login_busy")
    order: list[str] = []

    async def enter(name: str) -> None:
        async with gate.slot_async():
            order.append(name)
            await asyncio.sleep(0.01)

    async def scenario() -> None:
        held = threading.Event()
        release = threading.Event()

        def holder() -> None:  # a thread holds the only slot
            with gate.slot():
                held.set()
                release.wait()

        thread = threading.Thread(target=holder)
        thread.start()
        held.wait()
        cancelled = asyncio.create_task(enter("cancelled"))
        first = asyncio.create_task(enter("first"))
        second = asyncio.create_task(enter("second"))
        await asyncio.sleep(0.05)
        cancelled.cancel()  # a client that left while in line
        await asyncio.sleep(0.01)
        release.set()  # the thread's release wakes the next coroutine in line
        await asyncio.gather(first, second)
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        thread.join()

    asyncio.run(scenario())
    assert order == ["first", "second"]
    assert gate.in_use == 0


def test_a_success_gives_its_count_back() -> None:
    limiter = RateLimiter(2, what="failed logins", code="too_many_logins")
    limiter.take("10.0.0.1", now=0.0)
    success = limiter.take("10.0.0.1", now=1.0)
    limiter.give_back("10.0.0.1", success)
    limiter.take("10.0.0.1", now=2.0)
    with pytest.raises(TooManyRequests) as refused:
        limiter.take("10.0.0.1", now=3.0)
    assert refused.value.code == "too_many_logins"
    assert "failed logins" in refused.value.message
    assert refused.value.retry_after == 57


def test_every_app_has_its_own_throttles(backend: Backend) -> None:
    throttles = _app(backend).state.services.limits
    assert isinstance(throttles, Throttles)
    assert throttles.password_hashing.limit >= 2
    assert throttles.pki_signing.limit >= 1
    assert throttles.login_failures.per_minute == backend.settings.login_failures_per_minute
    # Held by the application's copy of the registry, not shared with another application.
    assert _app(backend).state.services.limits is not throttles
    assert backend.services.limits is not throttles
