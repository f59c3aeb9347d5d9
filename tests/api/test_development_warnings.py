"""Development mode says what it is: at every start (the log), to administrators in every
page's footer, and in ``/readyz``; and when an installation's keys rest on the public
development secret, each of those says so."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from docsvc.app import create_app
from docsvc.config import DEV_SECRET_KEY, Environment, Settings
from docsvc.demo.seed import DEMO_PASSWORD
from docsvc.health import development_warnings
from tests.support.backends import Backend
from tests.support.pages import signed_in


def _in_development(backend: Backend, **changes: object) -> Settings:
    return backend.settings.model_copy(update={"env": Environment.development, **changes})


def test_readyz_says_development_mode(backend: Backend) -> None:
    with TestClient(create_app(_in_development(backend), backend.services)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    warnings = ready.json()["warnings"]
    assert any("development mode" in w for w in warnings), warnings
    # A new installation made its own secret: nothing rests on the public one.
    assert not any("public development secret" in w for w in warnings), warnings


def test_admins_see_the_warning_in_every_pages_footer_in_spanish(
    backend: Backend, tmp_path: Path
) -> None:
    pki = tmp_path / "pki"
    pki.mkdir()
    (pki / "root.pem").write_text("made by an older version")
    legacy = _in_development(backend, data_dir=tmp_path, secret_key=SecretStr(DEV_SECRET_KEY))
    for settings in (_in_development(backend), legacy):
        app = create_app(settings, backend.services)
        admin = _signed_in(app, "admin").get("/bandeja")
        assert admin.status_code == 200
        footer = admin.text[admin.text.index('admin-warnings" role="alert"') :]
        assert "Modo de desarrollo" in footer
        assert ("secreto público" in footer) is (settings is legacy), footer
        assert not re.search(r"\b(the|keys|development|secret)\b", footer), footer
        official = _signed_in(app, "juridico").get("/bandeja")
        assert official.status_code == 200
        assert 'admin-warnings" role="alert"' not in official.text


def _signed_in(app: FastAPI, username: str) -> TestClient:
    return signed_in(TestClient(app), username)


def _legacy_installation(tmp_path: Path) -> Settings:
    """An installation made before each had a secret of its own: its development PKI
    exists, encrypted under the public default, and there is no instance secret."""
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "root.pem").write_text("made by an older version")
    return Settings(data_dir=tmp_path, env=Environment.development)


def test_a_legacy_installation_is_told_its_keys_are_under_the_public_secret(
    tmp_path: Path,
) -> None:
    settings = _legacy_installation(tmp_path)
    assert settings.effective_secret == DEV_SECRET_KEY
    assert settings.public_secret_in_use
    warnings = development_warnings(settings)
    assert any("public development secret" in w for w in warnings), warnings
    production = Settings(
        data_dir=tmp_path / "prod",
        env=Environment.production,
        secret_key=SecretStr("s" * 40),
        key_pepper_file=tmp_path / "elsewhere" / "key-pepper",
    )
    assert development_warnings(production) == []
    # In production the pepper belongs outside the data directory, or /readyz says so.
    pepper_inside = production.model_copy(update={"key_pepper_file": None})
    (warning,) = development_warnings(pepper_inside)
    assert "DOCSVC_KEY_PEPPER_FILE" in warning


def test_a_legacy_installation_warns_admins_on_the_pages_and_at_start(
    backend: Backend,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _in_development(backend, data_dir=tmp_path, secret_key=SecretStr(DEV_SECRET_KEY))
    (tmp_path / "pki").mkdir()
    (tmp_path / "pki" / "root.pem").write_text("made by an older version")
    assert settings.public_secret_in_use
    with (
        caplog.at_level(logging.WARNING, logger="docsvc"),
        TestClient(create_app(settings, backend.services)) as client,
    ):
        ready = client.get("/readyz").json()
    assert any("public development secret" in w for w in ready["warnings"]), ready
    assert any("public development secret" in r.getMessage() for r in caplog.records)


def test_a_login_token_forged_from_the_public_default_is_refused(backend: Backend) -> None:
    """Login-CSRF: a token computed from the public development secret (and a nonce the
    attacker plants) worked. A new installation's secret is its own, so it is refused."""
    from docsvc.web.csrf import PRELOGIN_COOKIE, prelogin_token

    settings = _in_development(backend, secret_key=SecretStr(DEV_SECRET_KEY))
    assert not settings.public_secret_in_use
    with TestClient(create_app(settings, backend.services)) as client:
        client.cookies.set(PRELOGIN_COOKIE, "plantado")
        forged = client.post(
            "/login",
            data={
                "username": "juridico",
                "password": DEMO_PASSWORD,
                "csrf_token": prelogin_token(DEV_SECRET_KEY, "plantado"),
            },
            follow_redirects=False,
        )
        assert forged.status_code == 403
        assert _signed_in(create_app(settings, backend.services), "juridico") is not None
