"""What every CLI command shares: one-line errors and the settings."""

from __future__ import annotations

from typing import NoReturn

import typer
from pydantic import ValidationError

from docsvc.config import Settings


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", e)) for e in exc.errors())
        fail(f"bad configuration: {problems}", 2)
