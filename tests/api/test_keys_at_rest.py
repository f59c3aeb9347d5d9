"""Officials' keys and the data directory against a thief with a copy of them, and the PIN
lockout against requests that race each other.

Before: the stored PKCS#12 had a 2,048-iteration MAC, PINs could have four digits and the
database file was world-readable, so all 10,000 PINs were tried offline in ten seconds.
Now keys are sealed under the PIN and a pepper kept out of the database, PINs have six
digits or more, and everything under the data directory is the service's alone."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from docsvc.demo.seed import DEMO_PIN
from docsvc.models import SigningCredential, User
from docsvc.signatures import credentials
from docsvc.signatures.pepper import key_pepper
from signing.dev_pki import issue_official
from signing.errors import WrongPin
from signing.key_envelope import open_envelope
from tests.support.accounts import login
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pdfs import unique_pdf

ROOT = Path(__file__).parents[2]
ATTACK = ROOT / "scripts" / "offline_key_attack.py"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"keys-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _credential(backend: Backend, username: str) -> SigningCredential:
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return credentials.active_credential(db, user.id)


def test_the_database_holds_only_sealed_keys(backend: Backend) -> None:
    with backend.services.sessions() as db:
        rows = list(db.scalars(select(SigningCredential)))
    kept = [c for c in rows if c.kind == "pkcs12"]
    assert kept and all(c.pkcs12 is None and c.key_envelope for c in kept)
    one = kept[0]
    binding = f"docsvc-credential:{one.id}:{one.user_id}".encode()
    assert open_envelope(
        one.key_envelope or b"", DEMO_PIN, key_pepper(backend.services.keys), binding
    )
    with pytest.raises(WrongPin):
        open_envelope(one.key_envelope or b"", DEMO_PIN, b"\x01" * 32, binding)


def test_a_stolen_database_and_data_directory_without_the_pepper_yield_no_key(
    backend: Backend, tmp_path: Path
) -> None:
    """The offline attack script on a copy of everything but the pepper finds nothing; the
    same script with the pepper (the control) recovers the keys it tries."""
    stolen = tmp_path / "stolen"
    shutil.copytree(backend.settings.data_dir, stolen, ignore=shutil.ignore_patterns("key-pepper"))
    assert not list(stolen.rglob("key-pepper"))
    database = (
        str(stolen / "docsvc.sqlite3")
        if backend.name == "sqlite-local"
        else backend.settings.database_url
    )
    attack = subprocess.run(
        [sys.executable, str(ATTACK), database, str(stolen), "--pins", "11200"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert attack.returncode == 0, attack.stdout + attack.stderr
    assert "no key recovered" in attack.stdout
    shutil.copy(backend.settings.effective_key_pepper_file, stolen / "secrets" / "key-pepper")
    control = subprocess.run(
        [sys.executable, str(ATTACK), database, str(stolen), "--pins", "10"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert control.returncode == 1 and "RECOVERED" in control.stdout, control.stdout


def test_a_key_under_the_pin_alone_is_sealed_when_its_owner_next_signs(
    backend: Backend, client: TestClient
) -> None:
    """A credential issued before sealing: its PKCS#12 goes, an envelope comes, at the
    first right PIN; a wrong PIN changes nothing."""
    credential = _credential(backend, "juridico")
    legacy = issue_official(
        _dev_pki(backend),
        full_name="Lucía Fernández",
        username="juridico",
        organisation="M",
        position=None,
        pin=DEMO_PIN,
    )
    with backend.services.sessions() as db:
        db.execute(
            update(SigningCredential)
            .where(SigningCredential.id == credential.id)
            .values(pkcs12=legacy.pkcs12, key_envelope=None, certificate_pem=_pem(legacy))
        )
        db.commit()
    headers = login(client, "juridico")
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "resolution", "title": "Sellado al firmar"},
        files={"file": ("r.pdf", unique_pdf("sellado"), "application/pdf")},
    )
    doc_id = created.json()["id"]
    wrong = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=headers, json={"pin": "999999"}
    )
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_pin"
    assert _credential(backend, "juridico").pkcs12 is not None
    signed = client.post(
        f"/api/v1/documents/{doc_id}/signatures", headers=headers, json={"pin": DEMO_PIN}
    )
    assert signed.status_code == 201, signed.text
    after = _credential(backend, "juridico")
    assert after.pkcs12 is None and after.key_envelope


def _dev_pki(backend: Backend):  # type: ignore[no-untyped-def]
    from docsvc.pki.service import dev_pki

    return dev_pki(backend.services.keys)


def _pem(issued) -> str:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.serialization import Encoding

    return str(issued.certificate.public_bytes(Encoding.PEM).decode())


def test_a_four_digit_pin_is_refused(backend: Backend) -> None:
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == "rrhh"))
        assert user is not None
        for weak in ("1234", "12345", "abcdef", "12 456"):
            with pytest.raises(Exception, match="at least 6 digits") as refused:
                credentials.issue_dev_credential(db, backend.services.keys, user, weak)
            assert getattr(refused.value, "code", "") == "pin_too_short"
        db.rollback()


def test_twenty_parallel_wrong_pins_make_no_more_tries_than_the_limit(
    backend: Backend, client: TestClient
) -> None:
    """Sent all at once, wrong PINs and then the right one: at most five PINs are tried
    before signing locks, the others are refused untried, and the right PIN then waits."""
    headers = login(client, "financiero")
    with ThreadPoolExecutor(20) as pool:
        answers = list(
            pool.map(
                lambda n: client.post(
                    "/api/v1/signing/session", headers=headers, json={"pin": f"{n:06d}"}
                ),
                range(100, 120),
            )
        )
    codes = [a.json()["error"]["code"] for a in answers]
    assert codes.count("wrong_pin") <= backend.settings.pin_max_failures, codes
    assert set(codes) <= {"wrong_pin", "pin_locked"}, codes
    right = client.post("/api/v1/signing/session", headers=headers, json={"pin": DEMO_PIN})
    assert right.status_code == 423, right.text
    with backend.services.sessions() as db:
        db.execute(
            update(SigningCredential)
            .where(SigningCredential.user_id == _user_id(backend, "financiero"))
            .values(locked_until=None, failed_pins=0)
        )
        db.commit()


def _user_id(backend: Backend, username: str) -> uuid.UUID:
    with backend.services.sessions() as db:
        user = db.scalar(select(User).where(User.username == username))
        assert user is not None
        return user.id


def test_the_data_directory_is_the_services_alone(backend: Backend, client: TestClient) -> None:
    """After documents, previews, signatures and keys have been written: no file readable
    by group or others, every directory 0700; a file made world-readable by an older
    version is tightened at the next start."""
    headers = login(client, "juridico")
    created = client.post(
        "/api/v1/documents",
        headers=headers,
        data={"doc_type": "resolution", "title": "Privado"},
        files={"file": ("r.pdf", unique_pdf("privado"), "application/pdf")},
    )
    assert created.status_code == 201
    doc_id = created.json()["id"]
    client.get(f"/api/v1/documents/{doc_id}/versions/1/preview/1", headers=headers)
    old = backend.settings.data_dir / "left-by-an-older-version.txt"
    old.write_text("x")
    old.chmod(0o644)
    with backend.client():  # a start
        pass
    loose = [
        (str(p), oct(stat.S_IMODE(p.lstat().st_mode)))
        for p in [backend.settings.data_dir, *backend.settings.data_dir.rglob("*")]
        if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077
    ]
    assert not loose, loose
    objects = [p for p in (backend.settings.data_dir / "objects").rglob("*") if p.is_file()]
    if backend.name == "sqlite-local":
        assert objects and all(stat.S_IMODE(p.stat().st_mode) == 0o400 for p in objects)


def test_the_same_pin_again_opens_the_key_without_a_second_derivation(
    backend: Backend, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Argon2id guards the database, not the running process: an official's next
    signature with the same PIN skips it; a different PIN never does (and is counted), and
    locking her session forgets the opened key."""
    derivations: list[str] = []
    real = credentials.key_envelope.open_envelope

    def counted(envelope: bytes, pin: str, pepper: bytes, binding: bytes) -> bytes:
        derivations.append(pin)
        return real(envelope, pin, pepper, binding)

    monkeypatch.setattr(credentials.key_envelope, "open_envelope", counted)
    headers = login(client, "programas")

    def sign(pin: str) -> int:
        created = client.post(
            "/api/v1/documents",
            headers=headers,
            data={"doc_type": "resolution", "title": "Una y otra vez"},
            files={"file": ("r.pdf", unique_pdf("otra vez"), "application/pdf")},
        )
        assert created.status_code == 201, created.text
        return client.post(
            f"/api/v1/documents/{created.json()['id']}/signatures",
            headers=headers,
            json={"pin": pin, "level": "B-B"},
        ).status_code

    assert [sign(DEMO_PIN), sign(DEMO_PIN), sign(DEMO_PIN)] == [201, 201, 201]
    assert derivations == [DEMO_PIN]
    assert sign("654321") == 403  # a wrong PIN is derived, and counted
    assert derivations == [DEMO_PIN, "654321"]
    assert _credential(backend, "programas").failed_pins == 1
    assert sign(DEMO_PIN) == 201  # the right one clears the count
    assert _credential(backend, "programas").failed_pins == 0
    assert client.delete("/api/v1/signing/session", headers=headers).status_code == 200
    assert sign(DEMO_PIN) == 201
    assert derivations == [DEMO_PIN, "654321", DEMO_PIN]
