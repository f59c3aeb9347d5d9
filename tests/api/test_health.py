"""Liveness and readiness."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient

from docsvc.app import create_app
from storage import S3ObjectStore
from tests.support.backends import Backend


def test_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "store": "ok"}}


def test_readyz_is_503_when_the_store_is_unreachable(backend: Backend, tmp_path: Path) -> None:
    dead = S3ObjectStore(
        endpoint="127.0.0.1:9", access_key="k" * 8, secret_key="s" * 16, bucket="nothing"
    )
    services = dataclasses.replace(backend.services, store=dead)
    try:
        with TestClient(create_app(backend.settings, services)) as client:
            response = client.get("/readyz")
    finally:
        dead.close()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "store": "unavailable"}


def test_openapi_describes_the_api(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/documents" in spec["paths"]
    assert "/api/v1/auth/token" in spec["paths"]
    upload = spec["paths"]["/api/v1/documents"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
