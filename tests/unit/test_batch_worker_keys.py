"""The keys a warm signing process keeps open (docsvc/batches/worker.py): opened once and
reused by the next run that brings the same key, each key apart from any other, never more
than a few at once, and all dropped by ``forget``."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12
from cryptography.x509.oid import NameOID

from docsvc.batches import worker


def _pkcs12(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        name.encode(), key, certificate, None, NoEncryption()
    )


@pytest.fixture(autouse=True)
def nothing_held() -> Iterator[None]:
    worker.forget()
    yield
    worker.forget()


def test_a_later_run_with_the_same_key_finds_it_open() -> None:
    key = _pkcs12("Ana")
    first = worker._open(worker.KeyHandle("job-1:1", key))
    again = worker._open(worker.KeyHandle("job-2:1", key))
    assert again is first
    assert worker.held_keys() == 1


def test_another_key_or_authority_is_opened_apart() -> None:
    ana, luis = _pkcs12("Ana"), _pkcs12("Luis")
    with_ana = worker._open(worker.KeyHandle("job-1:1", ana))
    with_luis = worker._open(worker.KeyHandle("job-1:1", luis))
    with_other_tsa = worker._open(worker.KeyHandle("job-1:1", ana, tsa_url="http://tsa.test"))
    assert len({id(with_ana), id(with_luis), id(with_other_tsa)}) == 3
    assert "Ana" in with_ana.key.subject and "Luis" in with_luis.key.subject
    assert worker.held_keys() == 3


def test_no_more_than_a_few_keys_are_held_and_forget_drops_them_all() -> None:
    keys = [_pkcs12(f"Persona {i}") for i in range(worker.KEPT_KEYS + 2)]
    for i, key in enumerate(keys):
        worker._open(worker.KeyHandle(f"job-{i}:1", key))
    assert worker.held_keys() == worker.KEPT_KEYS
    # The least recently used went first: the newest is still open.
    newest = worker._open(worker.KeyHandle("job-x:1", keys[-1]))
    assert worker._open(worker.KeyHandle("job-y:1", keys[-1])) is newest
    worker.forget()
    assert worker.held_keys() == 0
