"""``docsvc keys``: officials' signing credentials."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from docsvc.cli.common import fail, pin_opens, services_session
from docsvc.models import CredentialKind, SigningCredential, User
from docsvc.organisation.repository import user_by_username
from docsvc.pki.service import renew_dev_tsa
from docsvc.signatures import credentials
from signing.key_envelope import exported

app = typer.Typer(no_args_is_help=True, help="Officials' signing keys and certificates.")


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New PIN: ")
    if getpass.getpass("Repeat: ") != first:
        fail("the PINs differ", 2)
    return first


@app.command("issue")
def issue(
    username: str,
    pin_stdin: Annotated[
        bool, typer.Option("--pin-stdin", help="Read the new PIN from standard input.")
    ] = False,
) -> None:
    """Issue a key and certificate from the development PKI, encrypted under a new PIN
    that the official chooses (prompted for, never stored)."""
    pin = _read_pin(pin_stdin)
    with services_session() as (services, db):
        user = user_by_username(db, username)
        if user is None:
            fail(f"no such user: {username}", 2)
        credential = credentials.issue_dev_credential(db, services.keys, user, pin)
    typer.echo(f"issued {credential.subject} (until {credential.not_after:%Y-%m-%d})")


@app.command("register")
def register(
    username: str,
    certificate: Annotated[
        Path, typer.Option(help="PEM: the signer's certificate, then its issuers.")
    ],
    token: Annotated[str | None, typer.Option(help="PKCS#11 token label.")] = None,
    key: Annotated[str | None, typer.Option(help="PKCS#11 key label.")] = None,
) -> None:
    """Register a key the service never holds: on a PKCS#11 token (--token, --key) or, with
    neither, on the official's own card for two-step signing."""
    try:
        pem = certificate.read_bytes()
    except OSError as exc:
        fail(f"cannot read {certificate}: {exc.strerror}", 2)
    kind = CredentialKind.pkcs11 if token or key else CredentialKind.external
    with services_session() as (_, db):
        user = user_by_username(db, username)
        if user is None:
            fail(f"no such user: {username}", 2)
        credential = credentials.register_credential(db, user, kind, pem, token=token, key=key)
    typer.echo(f"registered {credential.kind} credential {credential.subject}")


@app.command("export")
def export(
    username: str,
    output: Annotated[Path, typer.Argument(help="Where to write the PKCS#12 (.p12).")],
    pin_stdin: Annotated[
        bool, typer.Option("--pin-stdin", help="Read the official's PIN from standard input.")
    ] = False,
) -> None:
    """Hand an official the key the service keeps for them: a PKCS#12 under their PIN
    (PBES2, AES-256, 600,000 iterations), written with mode 0600."""
    pin = sys.stdin.readline().rstrip("\n") if pin_stdin else getpass.getpass("PIN: ")
    with services_session() as (services, db):
        user = user_by_username(db, username)
        if user is None:
            fail(f"no such user: {username}", 2)
        credential = credentials.active_credential(db, user.id)
        if not credentials.holds_kept_key(credential):
            fail(f"the service keeps no key for {username}: it is on a token or a card", 2)
        with pin_opens("this key"):
            plain = credentials.open_stored_key(services.keys, credential, pin)
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{output} exists: choose another name", 2)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(exported(plain, pin))
    typer.echo(f"wrote {output} ({credential.subject})")


@app.command("list")
def list_keys() -> None:
    """Every active credential: user, kind, certificate, expiry."""
    with services_session() as (_, db):
        rows = db.execute(
            select(User.username, SigningCredential)
            .join(SigningCredential, SigningCredential.user_id == User.id)
            .where(SigningCredential.active.is_(True))
            .order_by(User.username)
        )
        for username, credential in rows:
            typer.echo(
                f"{username:<16} {credential.kind:<9} {credential.not_after:%Y-%m-%d} "
                f"{credential.subject}"
            )


@app.command("renew-tsa")
def renew_tsa() -> None:
    """Give the development PKI's timestamp authority a new key and certificate, before
    the old one ends (archive timestamps renewed from then on reach past it). Restart the
    service afterwards, so that every process signs with the new key."""
    with services_session() as (services, db):
        certificate = renew_dev_tsa(db, services.settings)
    typer.echo(
        f"timestamp authority renewed: serial {certificate.serial_number:x}, "
        f"valid until {certificate.not_valid_after_utc:%Y-%m-%d}"
    )
