"""What every CLI command shares: one-line errors and the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.errors import DomainError
from docsvc.services import Services
from signing.errors import WrongPin
from storage import StorageError


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def pin_opens(what: str) -> Iterator[None]:
    """A wrong PIN is a signing failure: exit 1, saying that it does not unlock ``what``.
    (The service's own PIN tries are counted by ``signatures.credentials.pin_attempt``.)"""
    try:
        yield
    except WrongPin:
        fail(f"the PIN does not unlock {what}", 1)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)) for e in exc.errors())
        fail(f"bad configuration: {problems}", 2)


@contextmanager
def services_session() -> Iterator[tuple[Services, Session]]:
    """One transaction for one command; domain and storage errors become one line."""
    services = build_services(load_settings())
    try:
        with services.sessions() as db:
            try:
                yield services, db
                db.commit()
            except BaseException:
                db.rollback()
                raise
    except DomainError as exc:
        fail(exc.message)
    except StorageError as exc:
        fail(f"object store: {exc}")
    finally:
        services.close()
