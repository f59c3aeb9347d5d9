"""What the archive's package tests share: Scenario B's payment dossier, signed by its
signing line at B-LT and sealed by its signed index, to export; and a second institution
that trusts the first one's root, to import into."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from docsvc.composition import build_services
from docsvc.demo.seed import DEMO_PIN, PAYMENT_DOSSIER_TITLE
from tests.support.backends import Backend, build_backend
from tests.support.jobs import wait_for_seal


def seal_payment_dossier(
    backend: Backend, client: TestClient, auth: Callable[[str], dict[str, str]]
) -> str:
    """The dossier's id, once its line is signed and its index recorded."""
    listing = client.get("/api/v1/dossiers", headers=auth("preparador")).json()
    (dossier,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    line = client.post(
        "/api/v1/signing-lines",
        headers=auth("preparador"),
        json={
            "dossier_id": dossier["id"],
            "level": "B-LT",
            "steps": [
                {"role_label": "prepared", "signers": [{"user": "preparador"}]},
                {"role_label": "reviewed", "signers": [{"position": "DF:DIR-DF"}]},
            ],
        },
    )
    assert line.status_code == 201, line.text
    for user in ("preparador", "financiero"):
        signed = client.post(
            f"/api/v1/signing-lines/{line.json()['id']}/sign",
            headers=auth(user),
            json={"pin": DEMO_PIN},
        )
        assert signed.status_code == 200, signed.text
    wait_for_seal(backend.services.sessions, dossier["id"])
    return str(dossier["id"])


def trusting_receiver(
    origin: Backend, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Backend:
    """Another institution on the same kind of backend, with a PKI of its own, that trusts
    its own root and the origin's (as two administrations on one trusted list). The caller
    closes its services."""
    built = build_backend(
        origin.name, tmp_path_factory.mktemp(f"receiver-{origin.name}"), request, pki=True
    )
    built.services.close()
    settings = built.settings.model_copy(
        update={
            "trust_roots": [
                built.settings.pki_dir / "root.pem",
                origin.settings.pki_dir / "root.pem",
            ]
        }
    )
    return Backend(built.name, settings, build_services(settings))
