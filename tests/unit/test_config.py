"""Settings: defaults, and the refusal of placeholder secrets outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from docsvc.config import Environment, Settings, StorageBackend


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
