"""Administration in the pages, for administrators only: accounts (create, signing
credential issued and revoked, password reset, deactivation), departments, positions,
holidays, the trust roots and the stand-ins, in Spanish."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from docsvc.models import IssuedCertificate, SigningCredential, User
from tests.support.backends import Backend, build_backend
from tests.support.pages import csrf_of

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("admin-pages"), request, pki=True)
    yield built
    built.services.close()


def _login(client: TestClient, username: str, password: str) -> int:
    form = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    ).status_code


def test_an_administrator_keeps_accounts_and_the_calendar(
    backend: Backend, browser_as: Callable[[str], TestClient]
) -> None:
    admin = browser_as("admin")
    page = admin.get("/admin")
    assert page.status_code == 200 and "Administración" in page.text
    assert "Raíces de confianza" in page.text and "válido hasta el" in page.text
    token = csrf_of(page.text)

    short = admin.post(
        "/admin/usuarios",
        data={
            "csrf_token": token,
            "username": "mgarcia",
            "full_name": "Marta García",
            "department": "DRH",
            "roles": "official",
            "password": "corta",
        },
    )
    assert short.status_code == 400 and 'value="Marta García"' in short.text
    created = admin.post(
        "/admin/usuarios",
        data={
            "csrf_token": token,
            "username": "mgarcia",
            "full_name": "Marta García",
            "department": "DRH",
            "roles": "official",
            "password": "una-clave-larga-1",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = admin.get(created.headers["location"])
    assert "Usuario creado." in page.text and "Marta García" in page.text

    issued = admin.post(
        "/admin/usuarios/mgarcia/credencial",
        data={"csrf_token": token, "pin": "482915"},
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == "mgarcia"))
        assert user is not None
        credential = db.scalar(
            select(SigningCredential).where(
                SigningCredential.user_id == user.id, SigningCredential.active.is_(True)
            )
        )
        assert credential is not None
    revoked = admin.post(
        "/admin/usuarios/mgarcia/credencial/revocar",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    with backend.services.sessions() as db:
        assert db.get(SigningCredential, credential.id).active is False  # type: ignore[union-attr]
        certificate = db.scalar(
            select(IssuedCertificate).where(IssuedCertificate.user_id == user.id)
        )
        assert certificate is not None and certificate.revoked_at is not None

    with backend.client() as fresh:
        assert _login(fresh, "mgarcia", "una-clave-larga-1") == 303
    reset = admin.post(
        "/admin/usuarios/mgarcia/contrasena",
        data={"csrf_token": token, "password": "otra-clave-larga-2"},
        follow_redirects=False,
    )
    assert reset.status_code == 303
    deactivated = admin.post(
        "/admin/usuarios/mgarcia/activo",
        data={"csrf_token": token, "active": "no"},
        follow_redirects=False,
    )
    assert deactivated.status_code == 303
    with backend.client() as fresh:
        assert _login(fresh, "mgarcia", "otra-clave-larga-2") != 303
    assert "desactivado" in admin.get("/admin").text

    department = admin.post(
        "/admin/unidades",
        data={"csrf_token": token, "code": "DCOM", "name": "Dirección de Comunicación"},
        follow_redirects=False,
    )
    assert department.status_code == 303
    position = admin.post(
        "/admin/cargos",
        data={
            "csrf_token": token,
            "department": "DCOM",
            "code": "DIR-DCOM",
            "title": "Director de Comunicación",
        },
        follow_redirects=False,
    )
    assert position.status_code == 303
    holiday = admin.post(
        "/admin/festivos",
        data={"csrf_token": token, "day": "2027-05-24", "name": "Día de la Interculturalidad"},
        follow_redirects=False,
    )
    assert holiday.status_code == 303
    page = admin.get("/admin").text
    assert "Dirección de Comunicación" in page and "Director de Comunicación" in page
    assert re.search(r"24 de mayo de 2027 · Día de la Interculturalidad", page)
    removed = admin.post(
        "/admin/festivos/2027-05-24/quitar", data={"csrf_token": token}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert "Día de la Interculturalidad" not in admin.get("/admin").text

    official = browser_as("juridico")
    assert official.get("/admin", headers=HTML).status_code == 403
    assert 'href="/admin"' not in official.get("/bandeja").text
