"""Throw-away SoftHSM2 tokens holding an official's key, for the PKCS#11 signing tests.

``shared_softhsm()`` gives the one ``SoftHsm`` of this test process: its own
``softhsm2.conf`` and token directory in a temporary directory, removed when the process
exits. ``SoftHsm.add_official(pkcs12, ...)`` makes a new token, imports the official's
private key with ``softhsm2-util --import`` (so it lands CKA_SENSITIVE and not extractable)
and the certificate and CA chain with python-pkcs11, the certificate with the key's CKA_ID
and label so that it is found the way a card's would be.

Two facts of SoftHSM2 shape this:

- It reads ``SOFTHSM2_CONF`` when the library is loaded, and python-pkcs11 keeps a loaded
  library for the life of the process. So there is one conf per process, set in
  ``os.environ`` before anything here loads the library; if it was loaded earlier (with
  some other conf), ``shared_softhsm()`` refuses rather than make tokens nobody can see.
  Subprocesses (the ``docsvc`` CLI) get the same conf through ``SoftHsm.env``.
- It reads the token directory only at ``C_Initialize``: a token that ``softhsm2-util``
  makes later is invisible to a library already loaded here. So after each new token the
  harness finalises and initialises the loaded library again. That ends any open session,
  which is why tokens are made in fixtures, never while a test holds a key open.
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pkcs11 import Attribute
from pkcs11.util.x509 import decode_x509_certificate

# Debian's softhsm2 package. Resolved, because python-pkcs11 caches libraries by path
# string and signing.pkcs11 resolves the path it is given: both must name it the same way.
SOFTHSM_LIB = Path("/usr/lib/softhsm/libsofthsm2.so").resolve()
SO_PIN = "12345678"
KEY_ID = bytes.fromhex("a1")


class SoftHsmError(RuntimeError):
    """The test token could not be made; the message carries softhsm2-util's output."""


@dataclass(frozen=True, slots=True)
class TokenKey:
    """Where a test official's key lives: everything ``open_pkcs11_key`` and the CLI need."""

    lib: Path
    token_label: str
    key_label: str
    pin: str


class SoftHsm:
    """One SoftHSM2 configuration and token directory; tokens are added, never removed."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.tokendir = workdir / "tokens"
        self.tokendir.mkdir(parents=True, exist_ok=True)
        self.conf = workdir / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {self.tokendir}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = false\n"
        )
        self._labels = itertools.count(1)

    @property
    def env(self) -> dict[str, str]:
        """What a subprocess needs in its environment to see these tokens."""
        return {"SOFTHSM2_CONF": str(self.conf)}

    def add_official(
        self, pkcs12_data: bytes, pkcs12_pin: str, *, key_label: str, pin: str
    ) -> TokenKey:
        """A new token, unlocked by ``pin``, holding the key, certificate and CA chain
        of the PKCS#12 (as made by ``signing.dev_pki.issue_official``)."""
        key, cert, cas = pkcs12.load_key_and_certificates(pkcs12_data, pkcs12_pin.encode())
        if key is None or cert is None:
            raise SoftHsmError("the PKCS#12 has no key or no certificate")
        token_label = f"docsvc-test-{next(self._labels)}"
        self._util(
            "--init-token", "--free", "--label", token_label, "--so-pin", SO_PIN, "--pin", pin
        )
        # softhsm2-util imports from a file only; it lives for the import, readable by us.
        pem = self.workdir / f"{token_label}.key.pem"
        pem.touch(mode=0o600)
        try:
            pem.write_bytes(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            self._util(
                "--import",
                str(pem),
                "--token",
                token_label,
                "--label",
                key_label,
                "--id",
                KEY_ID.hex(),
                "--pin",
                pin,
            )
        finally:
            pem.unlink(missing_ok=True)
        lib = pkcs11.lib(str(SOFTHSM_LIB))
        # See the module docstring: the loaded library has not seen the new token yet.
        lib.reinitialize()
        token = lib.get_token(token_label=token_label)
        with token.open(rw=True, user_pin=pin) as session:
            session.create_object(
                _certificate(cert.public_bytes(serialization.Encoding.DER), key_label, KEY_ID)
            )
            for number, ca in enumerate(cas, start=1):
                der = ca.public_bytes(serialization.Encoding.DER)
                session.create_object(_certificate(der, f"{key_label}-ca-{number}", b""))
        return TokenKey(lib=SOFTHSM_LIB, token_label=token_label, key_label=key_label, pin=pin)

    def _util(self, *args: str) -> None:
        done = subprocess.run(
            ["softhsm2-util", *args],
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise SoftHsmError(
                f"softhsm2-util {args[0]} failed ({done.returncode}): "
                f"{done.stdout.strip()} {done.stderr.strip()}"
            )


def _certificate(der: bytes, label: str, cert_id: bytes) -> dict[Attribute, object]:
    template: dict[Attribute, object] = {
        **decode_x509_certificate(der),
        Attribute.TOKEN: True,
        Attribute.PRIVATE: False,
        Attribute.LABEL: label,
    }
    if cert_id:
        template[Attribute.ID] = cert_id
    return template


_shared: SoftHsm | None = None


def shared_softhsm() -> SoftHsm:
    """The SoftHSM2 of this test process, made on first use (see the module docstring)."""
    global _shared  # one per process is the point
    if _shared is not None:
        return _shared
    if shutil.which("softhsm2-util") is None or not SOFTHSM_LIB.is_file():
        raise SoftHsmError("SoftHSM2 is missing: scripts/install-test-deps.sh installs softhsm2")
    if _library_loaded():
        raise SoftHsmError(
            "libsofthsm2 was loaded in this process before the harness set SOFTHSM2_CONF; "
            "its tokens would be invisible. Call shared_softhsm() before any PKCS#11 use."
        )
    workdir = Path(tempfile.mkdtemp(prefix="docsvc-softhsm-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    hsm = SoftHsm(workdir)
    os.environ.update(hsm.env)
    _shared = hsm
    return hsm


def _library_loaded() -> bool:
    maps = Path("/proc/self/maps")
    return maps.is_file() and SOFTHSM_LIB.name in maps.read_text()
