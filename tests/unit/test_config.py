"""Settings: defaults, and the refusal of placeholder secrets outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from docsvc.config import Environment, Settings, SmtpSecurity, StorageBackend


def test_embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOCSVC_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.env is Environment.development
    assert settings.storage_backend is StorageBackend.local
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/docsvc.sqlite3"
    assert settings.local_store_dir == tmp_path / "objects"
    assert settings.effective_cookie_secure is False


@pytest.mark.parametrize("secret", ["change-me", "", "dev-secret-key-not-for-production", "short"])
def test_production_refuses_placeholder_or_short_secrets(secret: str) -> None:
    with pytest.raises(ValidationError, match="DOCSVC_SECRET_KEY"):
        Settings(env=Environment.production, secret_key=SecretStr(secret))


def test_production_refuses_placeholder_s3_credentials() -> None:
    with pytest.raises(ValidationError, match="DOCSVC_S3_SECRET_KEY is a placeholder"):
        Settings(
            env=Environment.production,
            secret_key=SecretStr("k" * 40),
            storage_backend=StorageBackend.s3,
            s3_access_key=SecretStr("docsvc-app"),
            s3_secret_key=SecretStr("minioadmin"),
        )


def test_production_with_real_secrets_starts() -> None:
    settings = Settings(env=Environment.production, secret_key=SecretStr("k" * 40))
    assert settings.effective_cookie_secure is True


def test_email_is_off_by_default() -> None:
    settings = Settings()
    assert not settings.smtp_enabled
    assert settings.smtp_port == 587
    assert settings.smtp_security is SmtpSecurity.starttls


def test_smtp_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HOST": "smtp.mds.gob.example",
        "PORT": "465",
        "SECURITY": "ssl",
        "USERNAME": "docsvc",
        "PASSWORD": "relay-password-from-the-vault",
        "FROM": "Notificaciones <notificaciones@mds.gob.example>",
        "TIMEOUT_SECONDS": "2.5",
    }.items():
        monkeypatch.setenv(f"DOCSVC_SMTP_{name}", value)
    settings = Settings(env=Environment.production, secret_key=SecretStr("k" * 40))
    assert settings.smtp_enabled
    assert (settings.smtp_port, settings.smtp_security) == (465, SmtpSecurity.ssl)
    assert settings.smtp_timeout_seconds == 2.5
    assert "relay-password" not in repr(settings)


@pytest.mark.parametrize("sender", ["", "notificaciones", "Notificaciones <>"])
def test_a_mail_server_needs_a_sender_address(sender: str) -> None:
    with pytest.raises(ValidationError, match="DOCSVC_SMTP_FROM must be an e-mail address"):
        Settings(smtp_host="smtp.example", smtp_from=sender)


def test_smtp_password_needs_a_user_name_and_ascii() -> None:
    sender = "notificaciones@mds.gob.example"
    with pytest.raises(ValidationError, match="without DOCSVC_SMTP_USERNAME"):
        Settings(smtp_host="smtp.example", smtp_from=sender, smtp_password=SecretStr("p" * 20))
    with pytest.raises(ValidationError, match="must be ASCII"):
        Settings(
            smtp_host="smtp.example",
            smtp_from=sender,
            smtp_username="docsvc",
            smtp_password=SecretStr("contraseña-larga"),
        )


def test_production_refuses_smtp_credentials_in_clear() -> None:
    clear = {
        "smtp_host": "smtp.example",
        "smtp_from": "notificaciones@mds.gob.example",
        "smtp_security": SmtpSecurity.none,
        "smtp_username": "docsvc",
        "smtp_password": SecretStr("relay-password-from-the-vault"),
    }
    with pytest.raises(ValidationError, match="would send the SMTP credentials in clear"):
        Settings(env=Environment.production, secret_key=SecretStr("k" * 40), **clear)
    # Development allows it (a local test relay), and so does production without a login
    # (a relay on the same host or network that trusts its clients).
    assert Settings(**clear).smtp_enabled
    relay = {k: v for k, v in clear.items() if k not in ("smtp_username", "smtp_password")}
    assert Settings(env=Environment.production, secret_key=SecretStr("k" * 40), **relay)


def test_production_refuses_a_placeholder_smtp_password() -> None:
    with pytest.raises(ValidationError, match="DOCSVC_SMTP_PASSWORD is a placeholder"):
        Settings(
            env=Environment.production,
            secret_key=SecretStr("k" * 40),
            smtp_host="smtp.example",
            smtp_from="notificaciones@mds.gob.example",
            smtp_username="docsvc",
            smtp_password=SecretStr("change-me"),
        )


def test_the_periodic_schedule_is_accelerated_only_outside_production() -> None:
    assert Settings().periodic_time_scale == 1
    assert Settings(env=Environment.test, periodic_time_scale=60).periodic_time_scale == 60
    with pytest.raises(ValidationError, match="DOCSVC_PERIODIC_TIME_SCALE"):
        Settings(env=Environment.production, secret_key=SecretStr("k" * 40), periodic_time_scale=60)
    with pytest.raises(ValidationError, match="periodic_time_scale"):
        Settings(periodic_time_scale=0.5)
