"""The register's transparency log through the public API: every registration and
annulment is a leaf; inclusion and consistency proofs at the endpoints of docs/contracts.md verify
offline against the roots the log had; confidential details appear only as a salted hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import rfc8785
from fastapi.testclient import TestClient

import transparency as merkle
from docsvc.ledger import log
from tests.support.backends import Backend
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]


def _root(backend: Backend, size: int) -> bytes:
    with backend.services.sessions() as db:
        return log.root_at(db, size)


def test_register_events_are_leaves_with_proofs_that_verify_offline(
    client: TestClient, backend: Backend, auth: Auth
) -> None:
    clerk = auth("registro")
    start = client.get("/api/v1/register/size").json()["size"]
    entries = [
        upload_and_register(client, clerk, f"Oficio {n}", subject=f"Asunto reservado: Oficio {n}")
        for n in range(5)
    ]
    first_size = client.get("/api/v1/register/size").json()["size"]
    assert first_size == start + 10  # each: the document's first version, then its entry
    first_root = _root(backend, first_size)
    annulled = client.post(
        f"/api/v1/register/entries/{entries[1]['id']}/annul",
        headers=clerk,
        json={"reason": "Duplicado del oficio anterior"},
    )
    assert annulled.status_code == 200
    entries.append(
        upload_and_register(client, clerk, "Oficio final", subject="Asunto reservado: Oficio final")
    )
    size = client.get("/api/v1/register/size").json()["size"]
    assert size == first_size + 3
    second_root = _root(backend, size)

    # Each leaf, public and without login: the entry's number, not its subject.
    kinds = []
    for index in range(start, size):
        leaf = client.get(f"/api/v1/register/leaves/{index}")
        assert leaf.status_code == 200, leaf.text
        body = leaf.json()
        document = body["leaf"]
        canonical = bytes(rfc8785.dumps(document))
        assert merkle.leaf_hash(canonical).hex() == body["leaf_hash"]
        assert "Asunto reservado" not in json.dumps(document, ensure_ascii=False)
        kinds.append(document["kind"])
        proof = client.get(
            "/api/v1/register/proof/inclusion", params={"index": index, "size": size}
        )
        assert proof.status_code == 200, proof.text
        assert proof.json()["leaf_hash"] == body["leaf_hash"]
        merkle.verify_inclusion(
            index,
            size,
            bytes.fromhex(body["leaf_hash"]),
            [bytes.fromhex(p) for p in proof.json()["proof"]],
            second_root,
        )
    assert kinds.count("register.entry") == 6 and kinds.count("register.annul") == 1
    assert kinds.count("document.version") == 6
    leaves = [
        client.get(f"/api/v1/register/leaves/{i}").json()["leaf"] for i in range(start, first_size)
    ]
    numbers = [leaf["data"]["number"] for leaf in leaves if leaf["kind"] == "register.entry"]
    assert numbers == [e["number"] for e in entries[:5]]

    # The log only grew: the consistency proof joins the two roots.
    consistency = client.get(
        "/api/v1/register/proof/consistency", params={"from": first_size, "to": size}
    )
    assert consistency.status_code == 200, consistency.text
    body = consistency.json()
    assert (body["from"], body["to"]) == (first_size, size)
    merkle.verify_consistency(
        first_size, size, first_root, second_root, [bytes.fromhex(p) for p in body["proof"]]
    )

    # The details need a login and the right to see what the leaf describes (another
    # department's entry is not there for Finance); they hash to the leaf's commitment.
    index = start + 1  # the first entry
    assert client.get(f"/api/v1/register/leaves/{index}/details").status_code == 401
    assert (
        client.get(
            f"/api/v1/register/leaves/{index}/details", headers=auth("financiero")
        ).status_code
        == 404
    )
    details = client.get(f"/api/v1/register/leaves/{index}/details", headers=auth("auditora"))
    assert details.status_code == 200, details.text
    assert details.json()["subject"] == "Asunto reservado: Oficio 0"
    commitment = client.get(f"/api/v1/register/leaves/{index}").json()["leaf"]["details_sha256"]
    assert hashlib.sha256(bytes(rfc8785.dumps(details.json()))).hexdigest() == commitment


def test_bad_proof_requests_get_a_400(client: TestClient) -> None:
    size = client.get("/api/v1/register/size").json()["size"]
    for params in (
        {"index": size, "size": size},
        {"index": 0, "size": size + 1},
        {"index": -1, "size": 1},
        {"index": "x", "size": 1},
    ):
        response = client.get("/api/v1/register/proof/inclusion", params=params)
        assert response.status_code in (400, 422), (params, response.text)
    for params in ({"from": 2, "to": 1}, {"from": 0, "to": size + 1}):
        response = client.get("/api/v1/register/proof/consistency", params=params)
        assert response.status_code == 400, (params, response.text)
    assert client.get(f"/api/v1/register/leaves/{size + 10}").status_code == 404
