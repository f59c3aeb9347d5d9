"""Signing keys that stay on a PKCS#11 token: an HSM, or an official's own card.

``open_pkcs11_key`` logs in to one token and yields a ``SigningKey`` for ``sign_file``. The
private key never leaves the token: pyHanko hands it the data to sign through the token's
own signature mechanism, and only certificates are read out. The session (and with it the
login) ends when the ``with`` block does, so a key is unlocked only as long as it is used.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pkcs11
from asn1crypto import x509
from pkcs11 import Attribute, ObjectClass, PKCS11Error, Session
from pkcs11 import exceptions as p11
from pyhanko.config.pkcs11 import TokenCriteria
from pyhanko.sign.pkcs11 import PKCS11Signer, find_token

from signing.errors import KeyNotFound, TokenError, TokenNotFound, WrongPin
from signing.pades import SigningKey

# Longest chain followed from the signer's certificate up to a root; a guard against
# certificates on a token that issue each other in a loop.
MAX_CHAIN_LENGTH = 8

_WRONG_PIN = (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange)

# PKCS#11 login belongs to the token, not to one session: a second C_Login on the same
# token fails with "already logged in", and the first C_Logout ends the login of every
# session. So in this process one ``open_pkcs11_key`` per token is open at a time and other
# threads wait their turn. The lock is re-entrant so that a nested ``with`` on the same
# token in the same thread fails with a clear TokenError instead of deadlocking.
_token_locks: dict[tuple[str, str], threading.RLock] = {}
_token_locks_guard = threading.Lock()


def _token_lock(lib: str, token_label: str) -> threading.RLock:
    with _token_locks_guard:
        return _token_locks.setdefault((lib, token_label), threading.RLock())


class _TokenSigner(PKCS11Signer):
    """A PKCS11Signer whose failures while signing (token removed, session closed because
    the ``with`` block ended) are SigningErrors, so callers handle one exception tree."""

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        try:
            return await super().async_sign_raw(data, digest_algorithm, dry_run)
        except PKCS11Error as exc:
            raise TokenError(f"the token failed to sign: {_describe(exc)}") from exc


@contextmanager
def open_pkcs11_key(
    lib_path: Path, token_label: str, key_label: str, pin: str
) -> Iterator[SigningKey]:
    """Log in to the token labelled ``token_label`` in the PKCS#11 module ``lib_path`` and
    yield the signing key labelled ``key_label`` with its certificate and CA chain.

    Raises WrongPin when the PIN is refused, TokenNotFound, KeyNotFound, or TokenError when
    the module does not load or the PIN is locked. The key is usable only inside the block.
    """
    # python-pkcs11 caches a loaded module by the path string, and a second load of the
    # same file under another name would C_Initialize it twice; one canonical path avoids it.
    lib_name = str(lib_path.resolve())
    with _token_lock(lib_name, token_label):
        session = _log_in(lib_name, token_label, pin)
        try:
            key = _signing_key(session, token_label, key_label)
        except BaseException:
            _close_quietly(session)
            raise
        try:
            yield key
        except BaseException:
            # The block's own error is the one worth reporting, not a failed logout.
            _close_quietly(session)
            raise
        try:
            session.close()
        except PKCS11Error as exc:
            raise TokenError(f"could not close the session on token {token_label!r}") from exc


def _log_in(lib_name: str, token_label: str, pin: str) -> Session:
    try:
        lib = pkcs11.lib(lib_name)
    except PKCS11Error as exc:
        raise TokenError(f"cannot load the PKCS#11 module {lib_name}: {_describe(exc)}") from exc
    # pyHanko's open_pkcs11_session does these two steps too, but reports a missing token
    # as a bare PKCS11Error, like any other failure; done here it gets its own error.
    try:
        token = find_token(
            lib.get_slots(token_present=True), token_criteria=TokenCriteria(label=token_label)
        )
    except PKCS11Error as exc:
        raise TokenError(f"cannot list the tokens of {lib_name}: {_describe(exc)}") from exc
    if token is None:
        raise TokenNotFound(f"no token labelled {token_label!r} in {lib_name}")
    # On a refused PIN python-pkcs11 leaves the just-opened (not logged-in) session open,
    # with no handle to close it by; it holds no login and goes with the process.
    try:
        return token.open(user_pin=pin)
    except _WRONG_PIN as exc:
        raise WrongPin(f"the PIN does not unlock token {token_label!r}") from exc
    except p11.PinLocked as exc:
        raise TokenError(f"the PIN of token {token_label!r} is locked") from exc
    except p11.UserAlreadyLoggedIn as exc:
        raise TokenError(f"token {token_label!r} is already open in this process") from exc
    except PKCS11Error as exc:
        raise TokenError(f"cannot log in to token {token_label!r}: {_describe(exc)}") from exc


def _signing_key(session: Session, token_label: str, key_label: str) -> SigningKey:
    """Find the key and its certificate up front, so that a wrong label is reported when
    the token is opened rather than halfway through writing the signed file."""
    try:
        keys = list(
            session.get_objects(
                {
                    Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                    Attribute.LABEL: key_label,
                    Attribute.SIGN: True,
                }
            )
        )
        if not keys:
            raise KeyNotFound(f"token {token_label!r} has no signing key labelled {key_label!r}")
        if len(keys) > 1:
            raise KeyNotFound(
                f"token {token_label!r} has {len(keys)} signing keys labelled {key_label!r}"
            )
        key_id = bytes(keys[0][Attribute.ID] or b"")
        certificates = [
            (bytes(obj[Attribute.ID] or b""), obj[Attribute.LABEL], obj[Attribute.VALUE])
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE})
        ]
    except PKCS11Error as exc:
        raise TokenError(f"cannot read token {token_label!r}: {_describe(exc)}") from exc
    # By PKCS#11 convention a key and its certificate share CKA_ID; labels are only a
    # fallback, since tools label them independently.
    mine = [value for cid, _, value in certificates if key_id and cid == key_id]
    if len(mine) != 1:
        mine = [value for _, label, value in certificates if label == key_label]
    if len(mine) != 1:
        raise KeyNotFound(f"token {token_label!r} has no single certificate for key {key_label!r}")
    cert = x509.Certificate.load(mine[0])
    pool = [x509.Certificate.load(value) for _, _, value in certificates]
    signer = _TokenSigner(
        session,
        key_label=key_label,
        key_id=key_id or None,
        signing_cert=cert,
        ca_chain=_chain(cert, pool),
        # Everything needed is read above; pyHanko is not to pull more certificates.
        other_certs_to_pull=(),
    )
    # pyHanko looks the key handle up lazily, the first time the certificate is asked for;
    # asking now does it while the session is surely open, and turns a failure into ours.
    try:
        _ = signer.signing_cert
    except PKCS11Error as exc:
        raise TokenError(f"cannot use key {key_label!r}: {_describe(exc)}") from exc
    return SigningKey(signer=signer, subject=cert.subject.human_friendly)


def _chain(cert: x509.Certificate, pool: list[x509.Certificate]) -> list[x509.Certificate]:
    """The CA certificates on the token that lead from ``cert`` up to a root. They go into
    the signature and let B-LT embed revocation data for the whole path; unrelated
    certificates a card may carry are left out."""
    by_subject = {c.subject.hashable: c for c in pool if c.ca}
    chain: list[x509.Certificate] = []
    current = cert
    while not current.self_issued and len(chain) < MAX_CHAIN_LENGTH:
        parent = by_subject.get(current.issuer.hashable)
        if parent is None or parent in chain:
            break
        chain.append(parent)
        current = parent
    return chain


def _close_quietly(session: Session) -> None:
    with suppress(PKCS11Error):
        session.close()


def _describe(exc: PKCS11Error) -> str:
    """python-pkcs11 often raises with no message; the class name then says what it is."""
    return str(exc) or exc.__class__.__name__
