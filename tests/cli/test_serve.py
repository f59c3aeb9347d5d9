"""``docsvc init --demo`` then ``docsvc serve``: what the README's run command does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx2 as httpx
import pytest

from docsvc.demo.seed import DEMO_PASSWORD
from tests.support.live_server import free_port
from tests.support.served import wait_until_healthy


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_DATA_DIR": str(data_dir)
    }
    init = subprocess.run(
        [sys.executable, "-m", "docsvc", "init", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stderr
    port = free_port()
    log = (data_dir / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "docsvc", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, data_dir / "serve.log")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_the_served_demo_has_its_documents(served: str) -> None:
    assert httpx.get(f"{served}/readyz").status_code == 200
    token = httpx.post(
        f"{served}/api/v1/auth/token", json={"username": "registro", "password": DEMO_PASSWORD}
    ).json()["access_token"]
    listed = httpx.get(
        f"{served}/api/v1/documents", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert listed["total"] >= 1
    first = listed["items"][0]
    content = httpx.get(
        f"{served}/api/v1/documents/{first['id']}/content",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert content.status_code == 200
    assert content.content.startswith(b"%PDF-")
    page = httpx.get(f"{served}/login")
    assert "Iniciar sesión" in page.text
    assert "server" not in page.headers
