"""``docsvc serve`` in a child process with its development PKI, as outside validators and
another institution's trust services see it.

``DOCSVC_PUBLIC_URL`` is set before ``docsvc init``, so the development PKI's certificates
name this server's port in their AIA (OCSP) and CRL distribution points. Its access log
shows which requests reached it.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest
from pydantic import SecretStr

from docsvc.composition import build_services
from docsvc.config import Environment, Settings, StorageBackend
from docsvc.pki.service import dev_pki, record_issued
from docsvc.runtime.keyring import Keyring
from signing.dev_pki import issue_official
from tests.support.live_server import free_port

PIN = "2468"
SECRET = "test-secret-key-" + "x" * 32
OCSP_REQUEST = re.compile(r'"(GET|POST) /pki/ocsp[ /]')


@dataclass(frozen=True, slots=True)
class Served:
    base: str
    settings: Settings
    env: dict[str, str]
    log: Path

    def ocsp_requests(self) -> int:
        return len(OCSP_REQUEST.findall(self.log.read_text()))

    def wait_for_ocsp_requests(self, more_than: int) -> int:
        """The access log line is written as the response starts; allow it a moment."""
        deadline = time.monotonic() + 5
        while (count := self.ocsp_requests()) <= more_than and time.monotonic() < deadline:
            time.sleep(0.05)
        return count


def wait_until_healthy(
    base: str, process: subprocess.Popen[bytes], log_path: Path, seconds: float = 30
) -> None:
    """Until ``docsvc serve`` at ``base`` answers its health check; the test fails with the
    server's log if it stops or takes more than ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            pytest.fail(log_path.read_text())
        time.sleep(0.2)


@contextlib.contextmanager
def serving(data_dir: Path, *, demo: bool = False, public_url: str | None = "") -> Iterator[Served]:
    """``docsvc init`` in ``data_dir`` (an empty folder; ``demo`` adds the demo institution
    and its accounts), then ``docsvc serve`` on a free port of 127.0.0.1 in a child
    process, until the context ends. ``DOCSVC_PUBLIC_URL`` is the served address, or
    ``public_url`` when given, or not set at all when ``public_url`` is None."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_ENV": "test",
        "DOCSVC_DATA_DIR": str(data_dir),
        "DOCSVC_SECRET_KEY": SECRET,
        # Before init: the certificates it makes point here for OCSP and the CRL.
        "DOCSVC_PUBLIC_URL": public_url or base,
        "PYTHONUNBUFFERED": "1",
    }
    if public_url is None:
        del env["DOCSVC_PUBLIC_URL"]
    settings = Settings(
        env=Environment.test,
        data_dir=data_dir,
        database_url="",
        storage_backend=StorageBackend.local,
        secret_key=SecretStr(SECRET),
        public_url=base,
    )
    init = subprocess.run(
        [sys.executable, "-m", "docsvc", "init", *(["--demo"] if demo else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    log_path = data_dir / "serve.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "docsvc", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_healthy(base, process, log_path)
        yield Served(base, settings, env, log_path)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def issue(served: Served, directory: Path, username: str) -> tuple[Path, int]:
    """An official's certificate from the served PKI, recorded so that its OCSP responder
    answers ``good`` for it; the PKCS#12 is written to ``directory``."""
    pki = dev_pki(Keyring(served.settings))
    official = issue_official(
        pki,
        full_name="Ana María Rojas",
        username=username,
        organisation=served.settings.institution_name,
        position="Ministra",
        pin=PIN,
    )
    assert pki.urls.ocsp == f"{served.base}/pki/ocsp"
    services = build_services(served.settings)
    try:
        with services.sessions() as db:
            record_issued(db, official.certificate, "signing")
            db.commit()
    finally:
        services.close()
    p12 = directory / f"{username}.p12"
    p12.write_bytes(official.pkcs12)
    return p12, official.certificate.serial_number
