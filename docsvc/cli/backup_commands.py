"""``docsvc backup DIR`` and ``docsvc restore DIR``: a whole deployment (database, object
store, the data directory's encrypted keys, the register's latest checkpoint) to a new
directory, and back into an empty deployment, checked.

    docsvc backup DIR      exit 0 written, 1 failed, 2 refused (DIR not new, bad setup)
    docsvc restore DIR     exit 0 restored and every check agrees, 1 a check failed,
                           2 refused (the target is not empty, the backup does not match
                           its manifest or cannot be read)

The library is ``docsvc.maintenance.backup``; the format is its docstring's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from docsvc.cli.common import fail, load_settings
from docsvc.cli.signing_common import anchors
from docsvc.composition import build_services
from docsvc.errors import DomainError
from docsvc.maintenance import backup as backups
from storage import StorageError

EXIT_REFUSED = 2


def _say(line: str) -> None:
    typer.echo(line)


def backup(
    target: Annotated[Path, typer.Argument(help="A new (or empty) directory for the backup.")],
) -> None:
    """Back up the database, every stored object and the data directory's encrypted keys
    to DIR, with a manifest. Secrets (the key pepper, DATA_DIR/secrets) are not copied."""
    services = build_services(load_settings())
    try:
        manifest = backups.backup(services, target, _say)
    except backups.BackupError as exc:
        fail(exc.message, exc.code)
    except (DomainError, StorageError) as exc:
        fail(f"backup failed: {exc}")
    finally:
        services.close()
    register = manifest["register"]
    if register is None:
        typer.echo("register: no checkpoint yet")
    else:
        typer.echo(f"register: checkpoint of size {register['size']}, root {register['root']}")
    typer.echo("NOT copied (provide them again when restoring):")
    for line in backups.NOT_COPIED:
        typer.echo(f"  - {line}")
    typer.echo(f"backup written to {target.resolve()}")


def restore(
    source: Annotated[Path, typer.Argument(help="A directory written by `docsvc backup`.")],
) -> None:
    """Restore a backup into an empty database, object store and data directory, then check
    every object's SHA-256 and the register against the backup's checkpoint. Exit 0 only if
    everything agrees."""
    settings = load_settings()
    try:
        manifest = backups.read_manifest(source)
    except backups.BackupError as exc:
        fail(exc.message, exc.code)
    problems = backups.check_backup(source, manifest)
    if problems:
        for line in problems:
            typer.echo(f"FAILED: {line}", err=True)
        fail(
            f"the backup does not match its manifest ({len(problems)} problems); "
            "nothing was restored",
            EXIT_REFUSED,
        )
    typer.echo(f"backup of {manifest['created_at']} matches its manifest")
    services = build_services(settings)
    try:
        refused = backups.target_problems(services, manifest)
        if refused:
            fail(
                "restore needs an empty deployment: " + "; ".join(refused),
                EXIT_REFUSED,
            )
        report = backups.restore(services, source, manifest, lambda: anchors(settings, []), _say)
    except backups.BackupError as exc:
        fail(exc.message, exc.code)
    except (DomainError, StorageError) as exc:
        fail(f"restore failed: {exc}")
    finally:
        services.close()
    for line in report.checked:
        typer.echo(f"ok: {line}")
    for line in report.warnings:
        typer.echo(f"warning: {line}")
    for line in report.problems:
        typer.echo(f"FAILED: {line}")
    if not report.ok:
        typer.echo("verdict: the restored deployment does NOT match the backup")
        raise typer.Exit(1)
    typer.echo("verdict: restored; every object and the register match the backup")
