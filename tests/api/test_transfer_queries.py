"""Listing transfers costs the same number of queries however many there are: an inbox, a
sent box or the API's list asks once for the whole page, not once per transfer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import Backend, build_backend
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]
_RUNNER_THREADS = ("jobs ", "job ", "warm ")


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend("sqlite-local", tmp_path_factory.mktemp("queries"), request, pki=True)
    yield built
    built.services.close()


@contextmanager
def _counting(backend: Backend) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        # The in-app job runner polls the queue on its own threads; those statements are not
        # the page's.
        if not threading.current_thread().name.startswith(_RUNNER_THREADS):
            statements.append(str(args[2]))

    engine = backend.services.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _send(client: TestClient, auth: Auth, n: int) -> None:
    for i in range(n):
        title = f"Pedido {i} de {n}"
        created = client.post(
            "/api/v1/documents",
            headers=auth("juridico"),
            data={"doc_type": "request", "title": title},
            files={"file": ("p.pdf", unique_pdf(title), "application/pdf")},
        )
        assert created.status_code == 201, created.text
        sent = client.post(
            "/api/v1/transfers",
            headers=auth("juridico"),
            json={
                "document_id": created.json()["id"],
                "to_department": "DRH",
                "purpose": ("action", "signature", "reply")[i % 3],
                "deadline_days": 1 + i % 4,
                "pin": DEMO_PIN,
            },
        )
        assert sent.status_code == 201, sent.text
        if i % 2:
            acknowledged = client.post(
                f"/api/v1/transfers/{sent.json()['id']}/acknowledge",
                headers=auth("rrhh"),
                json={"pin": DEMO_PIN},
            )
            assert acknowledged.status_code == 200, acknowledged.text


def test_listing_transfers_does_not_query_per_transfer(
    backend: Backend, client: TestClient, auth: Auth, browser_as: Callable[[str], TestClient]
) -> None:
    hr, legal = browser_as("rrhh"), browser_as("juridico")
    counts: dict[str, list[int]] = {"inbox": [], "sent box": [], "api": []}
    for batch in (3, 9):
        _send(client, auth, batch)
        for name, ask in (
            ("inbox", lambda: hr.get("/bandeja")),
            ("sent box", lambda: legal.get("/bandeja")),
            ("api", lambda: client.get("/api/v1/transfers?box=incoming", headers=auth("rrhh"))),
        ):
            ask()  # warm: the session's and the page's first queries
            # The fewest of three: the app's own job runner polls on the same engine now
            # and then, and a poll caught in the window is not the page's query.
            seen = []
            for _ in range(3):
                with _counting(backend) as statements:
                    response = ask()
                assert response.status_code == 200, response.text
                seen.append(len(statements))
            counts[name].append(min(seen))
    listed = client.get("/api/v1/transfers?box=incoming", headers=auth("rrhh")).json()
    assert listed["total"] == 12
    # 3 transfers, then 12: the same number of queries.
    assert all(few == many for few, many in counts.values()), counts
