"""Checkpoints and the auditor's offline check: signed, time-stamped checkpoints at the
API; ``docsvc register verify`` accepts them with inclusion and consistency proofs, and
fails against a checkpoint saved earlier once a leaf is changed or removed in the database."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update

from docsvc.models import LogLeaf
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.cli import DOCSVC
from tests.support.register import upload_and_register

Auth = Callable[[str], dict[str, str]]


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"checkpoints-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _cli(backend: Backend, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")
    } | backend.settings_env()
    return subprocess.run(
        [*DOCSVC, "register", "verify", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_checkpoints_and_proofs_verify_offline_and_tampering_is_caught(
    client: TestClient, backend: Backend, auth: Auth, tmp_path: Path
) -> None:
    clerk = auth("registro")
    entries = [
        upload_and_register(
            client,
            clerk,
            f"Respuesta {n}",
            direction="outgoing",
            counterpart="Ministerio de Finanzas",
        )
        for n in range(3)
    ]
    # The service made one at start-up; this one is asked for now, and the public endpoint
    # then serves it.
    first = client.post("/api/v1/register/checkpoints", headers=clerk)
    assert first.status_code == 201 and first.headers["content-type"].startswith("text/plain")
    assert client.get("/api/v1/register/checkpoint").text == first.text
    key = client.get("/api/v1/register/key").text.strip()
    origin = key.split("+")[0]
    assert first.text.startswith(origin + "\n")
    assert f"\u2014 {origin} " in first.text and f"\u2014 {origin}/timestamp " in first.text
    first_size = int(first.text.split("\n")[1])
    (tmp_path / "first.txt").write_text(first.text)
    (tmp_path / "key.txt").write_text(key + "\n")
    (tmp_path / "root.pem").write_bytes((backend.settings.pki_dir / "root.pem").read_bytes())

    # The log grows; a checkpoint on demand, only for registry, audit or admin staff.
    entries.append(
        upload_and_register(
            client,
            clerk,
            "Respuesta final",
            direction="outgoing",
            counterpart="Ministerio de Finanzas",
        )
    )
    annul = client.post(
        f"/api/v1/register/entries/{entries[0]['id']}/annul",
        headers=clerk,
        json={"reason": "Enviado al destinatario equivocado"},
    )
    assert annul.status_code == 200
    assert (
        client.post("/api/v1/register/checkpoints", headers=auth("financiero")).status_code == 403
    )
    second = client.post("/api/v1/register/checkpoints", headers=clerk)
    assert second.status_code == 201, second.text
    second_size = int(second.text.split("\n")[1])
    assert second_size == first_size + 3  # a version and an entry, then the annulment
    assert client.get("/api/v1/register/checkpoint").text == second.text
    (tmp_path / "second.txt").write_text(second.text)

    index = second_size - 2  # the last registration's entry
    inclusion = client.get(
        "/api/v1/register/proof/inclusion", params={"index": index, "size": second_size}
    ).json()
    leaf = client.get(f"/api/v1/register/leaves/{index}").json()
    consistency = client.get(
        "/api/v1/register/proof/consistency", params={"from": first_size, "to": second_size}
    ).json()
    for name, value in (("inclusion", inclusion), ("leaf", leaf), ("consistency", consistency)):
        (tmp_path / f"{name}.json").write_text(json.dumps(value))

    common = ["--key", str(tmp_path / "key.txt"), "--trust", str(tmp_path / "root.pem")]
    checked = _cli(
        backend,
        str(tmp_path / "second.txt"),
        *common,
        "--inclusion", str(tmp_path / "inclusion.json"),
        "--leaf", str(tmp_path / "leaf.json"),
        "--previous", str(tmp_path / "first.txt"),
        "--consistency", str(tmp_path / "consistency.json"),
        "--database",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "time-stamped" in checked.stdout
    assert f"leaf {index} is in the checkpoint of size {second_size}" in checked.stdout
    assert f"extends the log of size {first_size}" in checked.stdout
    assert "FAILED" not in checked.stdout

    # A forged checkpoint (its size changed), a foreign key, or garbage: refused.
    forged = second.text.replace(f"\n{second_size}\n", f"\n{second_size + 1}\n", 1)
    (tmp_path / "forged.txt").write_text(forged)
    refused = _cli(backend, str(tmp_path / "forged.txt"), *common)
    assert refused.returncode == 1 and "does not verify" in refused.stdout
    foreign = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    other_key = _cli(backend, str(tmp_path / "second.txt"), "--key", foreign)
    assert other_key.returncode == 1
    (tmp_path / "garbage.txt").write_text("not a checkpoint")
    garbage = _cli(backend, str(tmp_path / "garbage.txt"), *common)
    assert garbage.returncode == 2 and "Traceback" not in garbage.stderr

    # Tampering in the database shows against the checkpoint saved earlier.
    target = first_size - 1
    with backend.services.sessions() as db:
        original = db.get(LogLeaf, target)
        assert original is not None
        saved = (bytes(original.leaf), bytes(original.leaf_hash))
        db.execute(
            update(LogLeaf)
            .where(LogLeaf.idx == target)
            .values(leaf=saved[0].replace(b"register.entry", b"register.entrx"))
        )
        db.commit()
    changed = _cli(backend, str(tmp_path / "first.txt"), *common, "--database")
    assert changed.returncode == 1, changed.stdout
    assert "do not give the checkpoint's root" in changed.stdout
    with backend.services.sessions() as db:
        db.execute(update(LogLeaf).where(LogLeaf.idx == target).values(leaf=saved[0]))
        db.commit()
    assert _cli(backend, str(tmp_path / "first.txt"), *common, "--database").returncode == 0
    with backend.services.sessions() as db:
        row = db.get(LogLeaf, target)
        assert row is not None
        columns = ("idx", "leaf_hash", "kind", "object_type", "object_id", "leaf", "details")
        copy = {c: getattr(row, c) for c in (*columns, "created_at")}
        db.execute(delete(LogLeaf).where(LogLeaf.idx == target))
        db.commit()
    removed = _cli(backend, str(tmp_path / "first.txt"), *common, "--database")
    assert removed.returncode == 1, removed.stdout
    assert f"leaf {target} is missing" in removed.stdout, removed.stdout
    with backend.services.sessions() as db:
        db.add(LogLeaf(**copy))
        db.commit()
    # A leaf removed from the middle shows too, as a gap.
    with backend.services.sessions() as db:
        middle = db.get(LogLeaf, 1)
        assert middle is not None
        kept = {c: getattr(middle, c) for c in (*columns, "created_at")}
        db.execute(delete(LogLeaf).where(LogLeaf.idx == 1))
        db.commit()
    gap = _cli(backend, str(tmp_path / "second.txt"), *common, "--database")
    assert gap.returncode == 1 and "leaf 1 is missing" in gap.stdout, gap.stdout
    with backend.services.sessions() as db:
        db.add(LogLeaf(**kept))
        db.commit()
    assert _cli(backend, str(tmp_path / "second.txt"), *common, "--database").returncode == 0


def test_the_scheduled_checkpoint_is_made_only_when_the_log_grew(
    client: TestClient, backend: Backend
) -> None:
    """What the service's schedule runs: no new checkpoint while the log has not grown.
    Each check in one transaction, so that the service's own start-up run cannot interleave."""
    from docsvc.ledger import log
    from docsvc.ledger.checkpoints import checkpoint_if_grown, make_checkpoint
    from docsvc.ledger.log import LogEvent
    from docsvc.pki.authorities import checkpoint_signer

    settings = backend.settings
    signer = checkpoint_signer(backend.services.keys)
    with backend.services.sessions() as db:
        made = make_checkpoint(db, settings, signer)
        assert checkpoint_if_grown(db, settings, signer) is None  # nothing new to sign
        db.commit()
    with backend.services.sessions() as db:
        log.append(db, [LogEvent("register.entry", "register_entry", "x", {"number": "x"})])
        grown = checkpoint_if_grown(db, settings, signer)
        assert grown is not None and grown.size == made.size + 1
        db.rollback()  # a test leaf: not kept
