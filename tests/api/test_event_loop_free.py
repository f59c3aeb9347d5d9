"""No request blocks the event loop: a burst of logins (Argon2id, 64 MiB each, and their
database writes) runs in worker threads, so health checks sent meanwhile are answered at
once. ``docsvc serve`` runs in its own process, as users reach it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.support.pages import csrf_of
from tests.support.served import Served, serving

LOGINS = 20
USERS = ("juridico", "rrhh", "financiero", "registro", "archivista")
# One Argon2id check takes ~0.2 s on this machine's cores, so the burst takes seconds.
# With the event loop free, a health check takes milliseconds: the typical one well under
# HEALTH_MEDIAN, nine in ten under HEALTH_WITHIN, and none waits anywhere near as long as
# the burst (on a loaded 2-core CI machine the OS alone may pause the server a moment).
# Were the logins on the loop, every check would wait for the hash in progress, and one
# for the whole burst.
HEALTH_MEDIAN = 0.1
HEALTH_WITHIN = 0.5


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("loop"), demo=True) as found:
        yield found


def _web_login(base: str, username: str) -> int:
    with httpx.Client(base_url=base, timeout=120, follow_redirects=False) as client:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": username,
                "password": "docsvc-demo",
                "csrf_token": csrf_of(form.text),
            },
        )
        return response.status_code


def _api_login(base: str, username: str) -> int:
    response = httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": "docsvc-demo"},
        timeout=120,
    )
    return response.status_code


def _health_while(base: str, running: list[bool]) -> list[float]:
    latencies = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/healthz")  # the connection is open before the burst
        while running or not latencies:
            start = time.monotonic()
            assert client.get("/healthz").status_code == 200
            latencies.append(time.monotonic() - start)
            time.sleep(0.02)
    return latencies


def test_health_does_not_wait_for_a_burst_of_logins(served: Served, tmp_path: Path) -> None:
    running = [True]
    with ThreadPoolExecutor(max_workers=LOGINS + 1) as pool:
        health = pool.submit(_health_while, served.base, running)
        started = time.monotonic()
        logins = [
            pool.submit(_web_login if i % 2 else _api_login, served.base, USERS[i % len(USERS)])
            for i in range(LOGINS)
        ]
        statuses = [login.result() for login in logins]
        burst = time.monotonic() - started
        running.clear()
        latencies = health.result()
    # Every login went through (303 for the page, 200 for the API), none refused as busy.
    assert set(statuses) <= {200, 303}, statuses
    assert burst > 2 * HEALTH_WITHIN, "the burst must outlast a few health checks"
    assert len(latencies) >= 5, latencies
    figures = (statistics.median(latencies), max(latencies), burst, len(latencies))
    assert statistics.median(latencies) < HEALTH_MEDIAN, figures
    assert statistics.quantiles(latencies, n=10)[-1] < HEALTH_WITHIN, figures
    assert max(latencies) < burst / 2, figures
