"""``POST /api/v1/verify`` on files other products made and on the attacks of the literature,
as an outside institution posts them: the expected verdict with its warnings and reason
codes, through the service's verifier workers, never a 500. The institution's configured
trust anchors are the ones each file names; on PostgreSQL and S3 too, since the copy check
reads the register."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.files_from_elsewhere import Case, cases, check_report

CASES = cases()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"elsewhere-{request.param}"), request, seed=False
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def reports(backend: Backend) -> dict[str, tuple[int, dict]]:
    """Each file posted once, to a service trusting the anchors that file names."""
    found: dict[str, tuple[int, dict]] = {}

    def trust(case: Case) -> tuple[str, ...]:
        return case.trust if case.folder == "corpus" else (case.folder, *case.trust)

    for _, group in groupby(sorted(CASES, key=trust), key=trust):
        members = list(group)
        settings = backend.settings.model_copy(
            update={"trust_roots": members[0].anchors, "public_requests_per_minute": 100_000}
        )
        with TestClient(create_app(settings, backend.services)) as client:
            for case in members:
                response = client.post(
                    "/api/v1/verify",
                    files={"file": (case.name, case.path.read_bytes(), "application/pdf")},
                )
                found[case.id] = (response.status_code, response.json())
    return found


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_file_gets_its_verdict(case: Case, reports: dict[str, tuple[int, dict]]) -> None:
    status, report = reports[case.id]
    assert status == 200, report
    check_report(case, report)
    assert report["copy"]["status"] == "unknown"
