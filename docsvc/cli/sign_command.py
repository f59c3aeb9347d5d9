"""``docsvc sign``: a PAdES signature made offline, with the exit codes of docs/contracts.md."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from docsvc.cli.common import fail, load_settings, pin_opens
from docsvc.cli.signing_common import quiet_pyhanko
from docsvc.composition import build_services
from docsvc.config import Environment, Settings
from docsvc.demo.seed import DEMO_PIN
from docsvc.errors import DomainError, NotFound
from docsvc.organisation.repository import user_by_username
from docsvc.pki.authorities import material_for, timestamper_for
from docsvc.runtime.keyring import Keyring
from docsvc.signatures.credentials import active_credential, holds_kept_key, open_stored_key
from signing import SigningError
from signing.pades import (
    Level,
    SignatureRequest,
    SigningKey,
    sign_file,
    unlock_pkcs12,
)
from signing.pkcs11 import open_pkcs11_key


def sign(
    file: Annotated[Path, typer.Argument(help="The PDF to sign.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it.")],
    level: Annotated[str, typer.Option(help="B-B, B-T, B-LT or B-LTA.")] = "B-LT",
    p12: Annotated[Path | None, typer.Option("--p12", help="PKCS#12 with the key.")] = None,
    pin: Annotated[str | None, typer.Option(help="The PIN that opens the key.")] = None,
    pkcs11_lib: Annotated[
        Path | None, typer.Option("--pkcs11-lib", help="PKCS#11 module of the HSM or card.")
    ] = None,
    token: Annotated[str | None, typer.Option("--token", help="Label of the token.")] = None,
    key_label: Annotated[
        str | None, typer.Option("--key", help="Label of the key on the token.")
    ] = None,
    user: Annotated[
        str,
        typer.Option("--user", help="Without a key: the demo official whose key signs."),
    ] = "ministra",
) -> None:
    """Sign a PDF (PAdES) with a PKCS#12 key or a key on a PKCS#11 token, timestamped by
    the institution's own TSA from B-T up, with its revocation data embedded from B-LT up."""
    quiet_pyhanko()
    settings = load_settings()
    try:
        chosen = Level(level)
    except ValueError:
        fail(f"unsupported level {level}: use one of {', '.join(v.value for v in Level)}", 2)
    token_key = pkcs11_lib is not None or token is not None or key_label is not None
    if p12 is not None and token_key:
        fail("give one key: --p12 FILE, or --pkcs11-lib LIB --token LABEL --key LABEL", 2)
    if token_key:
        if pkcs11_lib is None or token is None or key_label is None or pin is None:
            fail("give the token key as --pkcs11-lib LIB --token LABEL --key LABEL --pin PIN", 2)
        if not pkcs11_lib.is_file():
            fail(f"cannot read {pkcs11_lib}: no such file", 2)
    elif p12 is not None and pin is None:
        fail("give the key as --p12 FILE --pin PIN", 2)
    if file.resolve() == output.resolve():
        # sign_file opens the output for writing first, which would empty the input.
        fail("the output must be a new file, not the input", 2)
    if p12 is None and not token_key:
        _sign_with(settings, _demo_official_key(settings, user, pin), file, output, chosen)
        return
    assert pin is not None
    with _unlocked(p12, pkcs11_lib, token, key_label, pin) as key:
        _sign_with(settings, key, file, output, chosen)


def _demo_official_key(settings: Settings, username: str, pin: str | None) -> SigningKey:
    """No key given: the demo official's own PKCS#12 credential, under the demo PIN unless
    --pin says otherwise. Refused in production, where every signature names its key."""
    if settings.env is Environment.production:
        fail("give the key: --p12 FILE --pin PIN, or --pkcs11-lib LIB --token T --key K", 2)
    services = build_services(settings)
    try:
        with services.sessions() as db:
            account = user_by_username(db, username)
            credential = active_credential(db, account.id) if account else None
            if credential is None or not holds_kept_key(credential):
                fail(
                    f"no key given and no demo official {username!r} with a key: run "
                    "`docsvc init --demo`, or give --p12 FILE --pin PIN",
                    2,
                )
            with pin_opens(f"{username}'s key"):
                plain = open_stored_key(services.keys, credential, pin or DEMO_PIN)
            db.commit()  # a key not yet sealed was sealed on the way
    except NotFound:
        fail(
            f"no key given and no demo official {username!r} with a key: run "
            "`docsvc init --demo`, or give --p12 FILE --pin PIN",
            2,
        )
    except SQLAlchemyError:  # no database yet: say what to do instead
        fail("no database here: run `docsvc init --demo`, or give --p12 FILE --pin PIN", 2)
    finally:
        services.close()
    return unlock_pkcs12(plain, None)


@contextmanager
def _unlocked(
    p12: Path | None,
    pkcs11_lib: Path | None,
    token: str | None,
    key_label: str | None,
    pin: str,
) -> Iterator[SigningKey]:
    """The key, unlocked for the time of one signature; a token's session (and login)
    ends with it. A wrong PIN and a missing token or key are signing failures, exit 1."""
    if pkcs11_lib is None or token is None or key_label is None:
        assert p12 is not None  # the caller checked that one key was given
        try:
            data = p12.read_bytes()
        except OSError as exc:
            fail(f"cannot read {p12}: {exc.strerror}", 2)
        with pin_opens("this key"):
            key = unlock_pkcs12(data, pin)
        yield key
        return
    # _sign_with turns its own failures into an exit, so a SigningError here comes from
    # opening or closing the token.
    try:
        with open_pkcs11_key(pkcs11_lib, token, key_label, pin) as key:
            yield key
    except SigningError as exc:
        fail(str(exc), 1)


def _sign_with(
    settings: Settings, key: SigningKey, file: Path, output: Path, chosen: Level
) -> None:

    try:
        keys = Keyring(settings)
        timestamper = timestamper_for(keys, chosen)
        material = None
        if chosen in (Level.B_LT, Level.B_LTA):
            services = build_services(settings)
            try:
                with services.sessions() as db:
                    material = material_for(db, services.keys, chosen, _chain_of(key))
            finally:
                services.close()
    except DomainError as exc:
        fail(exc.message, 1)
    try:
        sign_file(file, output, key, SignatureRequest(chosen), timestamper, material)
    except FileNotFoundError:
        fail(f"no such file: {file}", 2)
    except SigningError as exc:
        output.unlink(missing_ok=True)
        fail(str(exc), 1)
    except Exception as exc:  # a broken input PDF: one line, no traceback
        output.unlink(missing_ok=True)
        fail(f"cannot sign {file}: {exc.__class__.__name__}: {exc}", 2)
    typer.echo(f"signed {output} ({chosen.value}) as {key.subject}")


def _chain_of(key: SigningKey) -> list[bytes]:
    """The signer's certificate, its issuer, then any other certificate that came with it."""
    signer = key.signer
    certificate = signer.signing_cert
    if certificate is None:
        return []
    others = [c for c in signer.cert_registry if c != certificate]
    others.sort(key=lambda c: c.subject != certificate.issuer)  # the issuer first
    return [certificate.dump(), *(c.dump() for c in others)]
