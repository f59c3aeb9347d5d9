"""Module-scoped fixtures shared by the signing tests: a fresh development PKI per test
module, an official of it, its TSA and the demo resolution to sign. A module that needs
another variant overrides the fixture locally."""

from __future__ import annotations

from pathlib import Path

import pytest

from docsvc.demo.sample_pdfs import demo_documents
from signing.dev_pki import DevPki, OfficialCertificate, create_dev_pki, issue_official
from signing.pades import LocalTimeStamper
from tests.support.pki import INSTITUTION, OFFICIAL_NAME, PIN, URLS, tsa


@pytest.fixture(scope="module")
def pki() -> DevPki:
    return create_dev_pki(INSTITUTION, URLS)


@pytest.fixture(scope="module")
def official(pki: DevPki) -> OfficialCertificate:
    """The minister, whose PKCS#12 opens with ``PIN``."""
    return issue_official(
        pki,
        full_name=OFFICIAL_NAME,
        username="ministra",
        organisation=INSTITUTION,
        position="Ministra",
        pin=PIN,
    )


@pytest.fixture(scope="module")
def timestamper(pki: DevPki) -> LocalTimeStamper:
    return LocalTimeStamper(tsa(pki))


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "resolucion.pdf"
    path.write_bytes(demo_documents()[1].pdf)
    return path
