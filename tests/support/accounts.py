"""Logging in as a demo user."""

from __future__ import annotations

from fastapi.testclient import TestClient

from docsvc.demo.seed import DEMO_PASSWORD


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
