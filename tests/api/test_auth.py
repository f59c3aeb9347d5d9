"""Login, tokens, lockout, web sessions and CSRF."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PASSWORD
from tests.support.accounts import login
from tests.support.backends import Backend


def test_a_token_works_until_it_is_revoked(client: TestClient) -> None:
    headers = login(client, "viceministro")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/me", headers=headers)
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    wrong = client.post("/api/v1/auth/token", json={"username": "ministra", "password": "nope"})
    unknown = client.post("/api/v1/auth/token", json={"username": "nadie", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_repeated_failures_lock_the_account(client: TestClient, backend: Backend) -> None:
    username = "financiero"
    for _ in range(backend.settings.login_max_failures):
        bad = client.post("/api/v1/auth/token", json={"username": username, "password": "x" * 12})
        assert bad.status_code == 401
    # Now even the right password is refused until the lock expires.
    locked = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert locked.status_code == 401
    events = client.get(
        "/api/v1/audit/events",
        headers=login(client, "auditora"),
        params={"action": "auth.login_failed", "object_id": username},
    ).json()["items"]
    assert events[0]["details"] == {"reason": "locked"}
    assert events[0]["outcome"] == "denied"


def test_web_login_sets_a_secure_session_and_checks_csrf(client: TestClient) -> None:
    client.cookies.clear()
    page = client.get("/login")
    assert page.status_code == 200
    assert "Iniciar sesión" in page.text  # Spanish by default
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token

    # Without the form token: refused.
    refused = client.post(
        "/login",
        data={"username": "ministra", "password": DEMO_PASSWORD},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    # The refusal shows a fresh form, with a fresh token, as a browser would see it.
    token = re.search(r'name="csrf_token" value="([^"]+)"', refused.text)
    assert token

    done = client.post(
        "/login",
        data={"username": "ministra", "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    cookie = done.headers["set-cookie"]
    assert "docsvc_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie.replace("Strict", "strict")

    home = client.get("/")
    assert home.status_code == 200
    assert "Ana María Rojas" in home.text
    # The API accepts the cookie for reads, but writes need the CSRF header too.
    assert client.get("/api/v1/me").status_code == 200
    no_csrf = client.post("/api/v1/dossiers", json={"title": "x"})
    assert no_csrf.status_code == 403
    assert no_csrf.json()["error"]["code"] == "csrf_failed"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf
    with_csrf = client.post(
        "/api/v1/dossiers",
        json={"title": "Expediente web"},
        headers={"X-CSRF-Token": csrf.group(1)},
    )
    assert with_csrf.status_code == 201, with_csrf.text

    # Logout needs the session's CSRF token.
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_english_on_request(client: TestClient) -> None:
    assert "Log in" in client.get("/login?lang=en").text


def test_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in response.headers  # plain HTTP here
