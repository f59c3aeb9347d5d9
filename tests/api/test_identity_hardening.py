"""The identity findings of the security review, each as its attack: refused, while the
legitimate path still works.

- parallel wrong passwords are all counted and lock the account;
- denials (a document of another department, the audit trail, a wrong PIN, a PIN lockout)
  are audit events with who, what, from where and why;
- changing or resetting a password ends the user's other sessions, disabling ends them
  all, and enabling revives none, not even a login that was in flight;
- an administrator alone cannot make an auditor or an administrator: a second one must
  approve, through the API and the CLI; the first administrators need no approval.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from docsvc.actors import sessions
from docsvc.actors.actor import Origin
from docsvc.audit.denials import already_recorded, record_denial
from docsvc.cli.main import app as cli_app
from docsvc.db.base import utcnow
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN
from docsvc.errors import NotAuthenticated, PermissionDenied
from docsvc.identity import service as identity
from docsvc.models import AuditEvent, Role, User
from docsvc.organisation import service as organisation
from docsvc.organisation.schemas import UserIn
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.documents import upload
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
NEW_PASSWORD = "otra-clave-larga-2026"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """With the development PKI, so that officials have PINs to get wrong."""
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"identity-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _token(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def _events(client: TestClient, auth: Auth, **params: str) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/audit/events", headers=auth("auditora"), params={"limit": "1000", **params}
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _user(backend: Backend, username: str) -> User:
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


# --- 11: login lockout under concurrency -----------------------------------------------------


def test_thirty_parallel_wrong_passwords_lock_the_account(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    username, attempts = "rrhh", 30
    start = threading.Barrier(attempts)

    def wrong(i: int) -> int:
        start.wait()
        return int(_token(client, username, f"adivinanza-{i:04d}").status_code)

    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(wrong, range(attempts)))
    assert statuses == [401] * attempts

    # Every attempt was counted: the account is locked, and even the right password is
    # refused, with the same answer as a wrong one.
    locked_until = _user(backend, username).locked_until
    assert locked_until is not None and locked_until > utcnow()
    refused = _token(client, username)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "bad_credentials"
    user_id = str(_user(backend, username).id)
    locks = _events(client, auth, action="auth.account_locked", object_id=user_id)
    assert len(locks) == 1 and locks[0]["outcome"] == "denied"
    failures = _events(client, auth, action="auth.login_failed", object_id=username)
    assert len(failures) == attempts + 1
    assert failures[0]["details"] == {"reason": "locked"}

    # When the lock expires, the right password works again (and resets the count).
    with backend.services.sessions() as db:
        db.execute(
            update(User)
            .where(User.username == username)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )
        db.commit()
    assert _token(client, username).status_code == 200
    assert _user(backend, username).failed_logins == 0


# --- 15: denials in the audit trail ----------------------------------------------------------


def test_denied_reads_wrong_pins_and_pin_lockouts_are_audited(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    agent = {"User-Agent": "sonda-denegaciones/1.0"}
    secret = upload(
        client, auth("registro"), unique_pdf(), title="Reservado", confidentiality="confidential"
    )
    doc_id = str(secret["id"])
    # The owner's department reads it: no denial.
    assert client.get(f"/api/v1/documents/{doc_id}", headers=auth("juridico")).status_code == 200
    assert not [e for e in _events(client, auth, object_id=doc_id) if e["outcome"] == "denied"]

    # Another department probes it, the audit trail, and objects it may not know of.
    outsider = {**auth("rrhh"), **agent}
    assert client.get(f"/api/v1/documents/{doc_id}", headers=outsider).status_code == 404
    assert client.get(f"/api/v1/documents/{doc_id}/content", headers=outsider).status_code == 404
    assert client.get("/api/v1/audit/events", headers=outsider).status_code == 403
    ghost = str(uuid.uuid4())
    for path in (
        f"/api/v1/transfers/{ghost}",
        f"/api/v1/register/entries/{ghost}",
        f"/api/v1/cases/{ghost}",
        f"/api/v1/signing-lines/{ghost}",
    ):
        assert client.get(path, headers=outsider).status_code == 404, path

    denied = _events(client, auth, action="access.denied", actor="rrhh")
    on_doc = [e for e in denied if e["object_id"] == doc_id]
    assert len(on_doc) == 2
    read = next(e for e in on_doc if e["details"]["route"] == "/api/v1/documents/{document_id}")
    assert read["object_type"] == "document"
    assert read["outcome"] == "denied"
    assert read["client_ip"] == "testclient"
    assert read["user_agent"] == "sonda-denegaciones/1.0"
    assert read["details"]["code"] == "document_not_found"
    assert read["details"]["status"] == 404
    assert read["details"]["method"] == "GET"
    trail = [e for e in denied if e["object_type"] == "audit"]
    assert trail and trail[0]["details"]["code"] == "auditor_only"
    assert {e["object_type"] for e in denied if e["object_id"] == ghost} == {
        "transfer",
        "register_entry",
        "case",
        "signing_line",
    }

    # Wrong PINs, then the lockout they cause, then a refusal while locked: each recorded
    # (by whichever layer records it first: the signing code or the HTTP error mapping).
    official = {**auth("viceministro"), **agent}
    max_failures = backend.settings.pin_max_failures
    for _ in range(max_failures):
        wrong = client.post("/api/v1/signing/session", headers=official, json={"pin": "0000"})
        assert wrong.status_code == 403
        assert wrong.json()["error"]["code"] == "wrong_pin"
    locked = client.post("/api/v1/signing/session", headers=official, json={"pin": DEMO_PIN})
    assert locked.status_code == 423
    pin_denials = [
        e
        for e in _events(client, auth, actor="viceministro")
        if e["outcome"] == "denied" and e["details"].get("code") in ("wrong_pin", "pin_locked")
    ]
    codes = sorted(e["details"]["code"] for e in pin_denials)
    assert codes.count("wrong_pin") == max_failures
    assert codes.count("pin_locked") >= 1
    assert all(e["user_agent"] == "sonda-denegaciones/1.0" for e in pin_denials)
    # Another official's right PIN still opens a signing session, with no denial.
    assert (
        client.post(
            "/api/v1/signing/session", headers=auth("juridico"), json={"pin": DEMO_PIN}
        ).status_code
        == 200
    )


def test_a_denial_recorded_at_its_source_survives_the_rollback_and_is_not_recorded_twice(
    backend: Backend,
) -> None:
    """``record_denial`` is what the signing and batch code call for wrong PINs: it writes
    in its own transaction, so the request's rollback keeps it."""
    user = _user(backend, "ministra")
    actor = sessions.actor_for(user, Origin(client_ip="203.0.113.7", user_agent="prueba"))
    credential = str(uuid.uuid4())
    with backend.services.sessions() as request_db:
        assert request_db.get(User, user.id) is not None  # the request has read, not written
        error = record_denial(
            backend.services.sessions,
            actor,
            PermissionDenied("Wrong PIN.", code="wrong_pin"),
            action="signing.pin_failed",
            object_type="credential",
            object_id=credential,
        )
        request_db.add(AuditEvent(action="never.committed", object_id=credential))
        request_db.flush()
        request_db.rollback()  # the request fails
    assert already_recorded(error)
    with backend.services.sessions() as db:
        events = db.scalars(select(AuditEvent).where(AuditEvent.object_id == credential)).all()
    assert [(e.action, e.actor_username, e.client_ip, e.outcome) for e in events] == [
        ("signing.pin_failed", "ministra", "203.0.113.7", "denied")
    ]
    assert '"code": "wrong_pin"' in events[0].details


# --- 16: sessions end with a password change and with disabling -----------------------------


def test_a_password_change_ends_every_other_session_and_a_reset_ends_all(
    client: TestClient, backend: Backend
) -> None:
    username = "programas"
    mine = login(client, username)
    stolen = login(client, username)
    # A wrong current password is refused (and counted like a failed login).
    wrong = client.post(
        "/api/v1/me/password",
        headers=stolen,
        json={"current_password": "no-es-la-clave", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 403
    assert client.get("/api/v1/me", headers=stolen).status_code == 200

    changed = client.post(
        "/api/v1/me/password",
        headers=mine,
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"sessions_ended": 1}
    assert client.get("/api/v1/me", headers=stolen).status_code == 401
    assert client.get("/api/v1/me", headers=mine).status_code == 200  # the one that changed it
    assert _token(client, username).status_code == 401
    assert _token(client, username, NEW_PASSWORD).status_code == 200

    # An administrator's reset (the CLI's `users set-password`) ends every session.
    with backend.services.sessions() as db:
        organisation.set_password(db, None, username, DEMO_PASSWORD)
        db.commit()
    assert client.get("/api/v1/me", headers=mine).status_code == 401
    assert client.get("/api/v1/me", headers=login(client, username)).status_code == 200


def test_a_login_in_flight_during_a_password_reset_gets_a_dead_session(
    backend: Backend,
) -> None:
    """The login checked the old password; the reset commits before the login's session
    does. That session must not work: it was issued for a password that no longer holds."""
    username, origin = "preparador", Origin(client_ip="198.51.100.1")
    with backend.services.sessions() as login_db:
        user = identity.authenticate(login_db, backend.settings, username, DEMO_PASSWORD, origin)
        login_db.commit()  # the reset lands between the password check and the session
        with backend.services.sessions() as admin_db:
            organisation.set_password(admin_db, None, username, NEW_PASSWORD)
            admin_db.commit()
        issued = identity.open_session(login_db, backend.settings, user, "api", origin)
        login_db.commit()
    with backend.services.sessions() as db, pytest.raises(NotAuthenticated):
        sessions.resolve_session(db, issued.token, "api", origin)
    with backend.services.sessions() as db:
        fresh = identity.authenticate(db, backend.settings, username, NEW_PASSWORD, origin)
        issued = identity.open_session(db, backend.settings, fresh, "api", origin)
        db.commit()
        assert sessions.resolve_session(db, issued.token, "api", origin)[0].username == username


def test_disabling_then_enabling_an_account_does_not_revive_its_tokens(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    username = "archivista"
    api = login(client, username)
    web = TestClient(client.app)
    page = web.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert (
        web.post(
            "/login",
            data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert web.get("/api/v1/me").status_code == 200

    with backend.services.sessions() as db:
        organisation.set_active(db, None, username, False)
        db.commit()
    assert client.get("/api/v1/me", headers=api).status_code == 401
    assert _token(client, username).status_code == 401
    with backend.services.sessions() as db:
        organisation.set_active(db, None, username, True)
        db.commit()
    # Enabled again: the old token and the old web session stay dead; a new login works.
    assert client.get("/api/v1/me", headers=api).status_code == 401
    assert web.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers=login(client, username)).status_code == 200
    user_id = str(_user(backend, username).id)
    ended = _events(client, auth, action="auth.sessions_ended", object_id=user_id)
    assert ended[0]["details"] == {
        "reason": "account_disabled",
        "revoked": 2,
        "kept_current": False,
    }


# --- 17: privileged roles take two administrators -------------------------------------------


def _second_admin(backend: Backend) -> str:
    """The institution's second administrator, made by the operator at the server: with
    fewer than two administrators there is no one to approve, so that is the bootstrap."""
    with backend.services.sessions() as db:
        if organisation.repository.user_by_username(db, "admin2") is None:
            organisation.create_user(
                db,
                None,
                UserIn(
                    username="admin2",
                    full_name="Segunda administradora",
                    password=DEMO_PASSWORD,
                    department="DTI",
                    roles=[Role.admin],
                ),
            )
            db.commit()
    return "admin2"


def test_an_admin_alone_cannot_create_an_auditor_or_an_admin(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    admin = auth("admin")
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "auditor2",
            "full_name": "Auditor nuevo",
            "password": DEMO_PASSWORD,
            "department": "UAI",
            "roles": ["auditor", "official"],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["official"]
    assert created.json()["pending_roles"] == ["auditor"]
    newcomer = login(client, "auditor2")
    assert client.get("/api/v1/audit/events", headers=newcomer).status_code == 403

    pending = client.get("/api/v1/role-requests", headers=admin).json()
    request = next(r for r in pending if r["username"] == "auditor2")
    assert (request["role"], request["status"], request["requested_by"]) == (
        "auditor",
        "pending",
        "admin",
    )
    # The requester cannot approve their own request; nor can a non-administrator.
    own = client.post(f"/api/v1/role-requests/{request['id']}/approve", headers=admin)
    assert own.status_code == 403 and own.json()["error"]["code"] == "own_request"
    assert (
        client.post(
            f"/api/v1/role-requests/{request['id']}/approve", headers=auth("auditora")
        ).status_code
        == 403
    )
    # Granting admin to an existing account is a request too.
    granted = client.post("/api/v1/users/financiero/roles", headers=admin, json={"role": "admin"})
    assert granted.status_code == 201 and granted.json()["status"] == "pending"
    assert client.get("/api/v1/users", headers=login(client, "financiero")).status_code == 403
    # Ordinary roles are granted at once.
    plain = client.post("/api/v1/users/auditor2/roles", headers=admin, json={"role": "legal"})
    assert plain.json()["status"] == "granted"

    # A second administrator approves: now the account holds the role.
    second = login(client, _second_admin(backend))
    approved = client.post(f"/api/v1/role-requests/{request['id']}/approve", headers=second)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "admin2"
    assert client.get("/api/v1/audit/events", headers=newcomer).status_code == 200
    again = client.post(f"/api/v1/role-requests/{request['id']}/approve", headers=second)
    assert again.status_code == 409

    # Nor does the account approve a role for itself.
    for_second = client.post("/api/v1/users/admin2/roles", headers=admin, json={"role": "auditor"})
    own_account = client.post(
        f"/api/v1/role-requests/{for_second.json()['request']['id']}/approve", headers=second
    )
    assert own_account.status_code == 403
    assert own_account.json()["error"]["code"] == "own_account"
    rejected = client.post(
        f"/api/v1/role-requests/{for_second.json()['request']['id']}/reject", headers=admin
    )
    assert rejected.json()["status"] == "rejected"

    # Both steps are in the audit trail.
    auditor2 = str(_user(backend, "auditor2").id)
    actions = {e["action"]: e for e in _events(client, auth, object_id=auditor2)}
    assert actions["user.role_requested"]["actor_username"] == "admin"
    assert actions["user.role_approved"]["actor_username"] == "admin2"
    assert actions["user.role_approved"]["details"]["requested_by"] == "admin"

    # With two administrators, the operator no longer grants them directly either.
    with backend.services.sessions() as db, pytest.raises(PermissionDenied):
        organisation.grant_role(db, None, "financiero", Role.auditor)

    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/role-requests/{request_id}/approve" in paths
    assert "/api/v1/users/{username}/roles" in paths
    assert "/api/v1/me/password" in paths


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def _cli(args: list[str], env: dict[str, str], stdin: str | None = None) -> CliResult:
    """``docsvc ARGS`` in this process (a new process costs seconds of imports), with only
    ``env``'s DOCSVC_* settings."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("DOCSVC_")}
    result = CliRunner().invoke(cli_app, args, input=stdin, env={**unset, **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def test_an_admin_alone_cannot_make_an_auditor_from_the_cli(backend: Backend) -> None:
    env = backend.settings_env()
    second = _second_admin(backend)
    user = [
        "users",
        "add",
        "auditor3",
        "--name",
        "Auditora CLI",
        "--department",
        "UAI",
        "--role",
        "auditor",
        "--password-stdin",
    ]
    # Without naming an administrator: refused outright.
    alone = _cli(user, env, f"{DEMO_PASSWORD}\n")
    assert alone.returncode == 1 and "second administrator" in alone.stderr
    # A wrong administrator password: refused.
    bad = _cli([*user, "--by", "admin", "--by-password-stdin"], env, f"{DEMO_PASSWORD}\nmala\n")
    assert bad.returncode == 1 and "Wrong username or password" in bad.stderr

    asked = _cli(
        [*user, "--by", "admin", "--by-password-stdin"], env, f"{DEMO_PASSWORD}\n{DEMO_PASSWORD}\n"
    )
    assert asked.returncode == 0, asked.stderr
    assert "awaiting another administrator's approval: auditor" in asked.stdout
    listed = _cli(["users", "requests"], env)
    line = next(x for x in listed.stdout.splitlines() if "auditor3" in x)
    request_id = line.split()[0]
    assert "(pending: auditor)" in _cli(["users", "list"], env).stdout

    own = _cli(
        ["users", "approve", request_id, "--by", "admin", "--by-password-stdin"],
        env,
        f"{DEMO_PASSWORD}\n",
    )
    assert own.returncode == 1 and "another administrator must approve" in own.stderr
    done = _cli(
        ["users", "approve", request_id, "--by", second, "--by-password-stdin"],
        env,
        f"{DEMO_PASSWORD}\n",
    )
    assert done.returncode == 0, done.stderr
    assert "approved auditor for auditor3 (asked by admin)" in done.stdout
    assert Role.auditor in _user(backend, "auditor3").role_set


def test_the_first_administrators_of_an_institution_need_no_approval(tmp_path: Path) -> None:
    env = {"DOCSVC_ENV": "test", "DOCSVC_DATA_DIR": str(tmp_path)}
    assert _cli(["init"], env).returncode == 0

    def add(name: str, *extra: str, stdin: str = f"{DEMO_PASSWORD}\n") -> Any:
        return _cli(
            [
                "users",
                "add",
                name,
                "--name",
                name.title(),
                "--department",
                "TI",
                "--role",
                "admin",
                "--password-stdin",
                *extra,
            ],
            env,
            stdin,
        )

    assert _cli(["departments", "add", "TI", "Tecnologías"], env).returncode == 0
    first, second = add("primera"), add("segunda")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "awaiting" not in first.stdout + second.stdout
    listed = _cli(["users", "list"], env).stdout
    assert "primera" in listed and "segunda" in listed and "pending" not in listed
    # The third is asked for by one of them and approved by the other.
    assert add("tercera").returncode == 1
    asked = add("tercera", "--by", "primera", "--by-password-stdin", stdin=f"{DEMO_PASSWORD}\n" * 2)
    assert asked.returncode == 0, asked.stderr
    request_id = _cli(["users", "requests"], env).stdout.split()[0]
    approved = _cli(
        ["users", "approve", request_id, "--by", "segunda", "--by-password-stdin"],
        env,
        f"{DEMO_PASSWORD}\n",
    )
    assert approved.returncode == 0, approved.stderr
    assert "tercera          TI     admin" in _cli(["users", "list"], env).stdout
