"""``docsvc archive``: archival packages out of the service, and checking one offline."""

from __future__ import annotations

import json
import tempfile
import uuid
from pathlib import Path
from typing import Annotated

import typer

from archive.errors import ArchiveError
from archive.package_check import check
from docsvc.actors.actor import Origin
from docsvc.actors.sessions import actor_for
from docsvc.archival.eni_export import export_eni
from docsvc.archival.export_scopes import ScopeKind, scope_of
from docsvc.archival.exports import export_scope
from docsvc.archival.import_jobs import new_import
from docsvc.archival.imports import PackageRefused, import_package
from docsvc.cli.common import fail, load_settings, services_session
from docsvc.identity.repository import user_by_username
from docsvc.locale import translator
from docsvc.pki.authorities import load_certificates
from signing.errors import SigningError

app = typer.Typer(
    no_args_is_help=True, help="Archival packages: export, import and offline checks."
)

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


@app.command("export")
def export(
    output: Annotated[Path, typer.Option("-o", "--output", help="The package to write (.zip).")],
    dossier: Annotated[str | None, typer.Option("--dossier", help="A dossier's id.")] = None,
    case: Annotated[
        str | None, typer.Option("--case", help="A case: its id, or a registry number in it.")
    ] = None,
    series: Annotated[
        str | None, typer.Option("--series", help="A series' full code (MDS.DAJ.RES).")
    ] = None,
    official: Annotated[
        str | None,
        typer.Option("--official", help="A username: every record they opened (a handover)."),
    ] = None,
    form: Annotated[
        str,
        typer.Option(
            "--format",
            help="eark: an E-ARK SIP in a BagIt bag; eni: an ENI expediente with its signed "
            "electronic index (a dossier only).",
        ),
    ] = "eark",
) -> None:
    """Export records. As an E-ARK SIP inside a BagIt bag, zipped (the default): every
    version of the documents, their validation reports, their metadata, and their register
    leaves with their proofs and the checkpoint they verify against; for a case, a series or
    an official, every dossier in it whole and every record outside one. As an ENI
    expediente (a dossier): its documents' latest versions with their ENI metadata, and the
    electronic index sealed by the institution."""
    chosen = [
        (kind, value)
        for kind, value in (
            (ScopeKind.dossier, dossier),
            (ScopeKind.case, case),
            (ScopeKind.series, series),
            (ScopeKind.official, official),
        )
        if value
    ]
    if len(chosen) != 1:
        fail("give one of --dossier, --case, --series or --official", EXIT_UNREADABLE)
    kind, ident = chosen[0]
    assert ident is not None
    if kind is ScopeKind.dossier:
        try:
            uuid.UUID(ident)
        except ValueError:
            fail(f"not a dossier id: {ident}", EXIT_UNREADABLE)
    if form not in ("eark", "eni") or (form == "eni" and kind is not ScopeKind.dossier):
        fail("--format is eark or eni (eni for a dossier only)", EXIT_UNREADABLE)
    if output.exists():
        fail(f"{output} exists already", EXIT_UNREADABLE)
    settings = load_settings()
    t = translator(settings.default_language, settings.timezone)
    with services_session() as (services, db):
        try:
            scope = scope_of(db, kind.value, ident)
            if form == "eni":
                eni = export_eni(db, services, uuid.UUID(scope.ident), output)
                typer.echo(f"exported an ENI expediente of {eni.documents} documents to {output}")
                return
            made = export_scope(db, services, scope, output, t)
        except BaseException:
            output.unlink(missing_ok=True)
            raise
    typer.echo(
        f"exported {made.documents} documents, {made.versions} versions and "
        f"{made.leaves} register leaves to {made.path}"
    )


@app.command("verify")
def verify_package(
    package: Annotated[Path, typer.Argument(help="The package: its zip or its bag folder.")],
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            help="A trust root for the signatures (PEM or DER); repeat. Default: the "
            "anchors the package carries.",
        ),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The register's verifier key, or a file holding it. Default: the key the "
            "package carries.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Check a package offline: the bag, the METS, every signature and every register
    proof. Exit 0 valid, 1 invalid or indeterminate, 2 not a package."""
    if not package.exists():
        fail(f"no such package: {package}", EXIT_UNREADABLE)
    try:
        roots = [der for path in trust or [] for der in load_certificates(path)]
        key_text = Path(key).read_text().strip() if key and Path(key).is_file() else key
        report = check(package, roots or None, key_text)
    except (ArchiveError, SigningError, OSError, ValueError) as exc:
        fail(f"unreadable: {exc}", EXIT_UNREADABLE)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        for line in report.checked:
            typer.echo(f"ok: {line}")
        for line in report.doubts:
            typer.echo(f"DOUBT: {line}")
        for line in report.problems:
            typer.echo(f"FAILED: {line}")
        typer.echo(report.verdict)
    raise typer.Exit(EXIT_VALID if report.verdict == "valid" else EXIT_NOT_VALID)


@app.command("import")
def import_package_command(
    package: Annotated[
        Path,
        typer.Argument(help="The package: an E-ARK zip or bag folder, or an ENI expediente's zip."),
    ],
    by: Annotated[
        str, typer.Option("--by", help="The archivist who imports it (their department holds it).")
    ],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The origin register's verifier key, or a file holding it. Default: the "
            "key the package carries.",
        ),
    ] = None,
) -> None:
    """Import another institution's package as a closed dossier: it is checked first
    (under this institution's trust roots) and refused whole if anything fails. Exit 0
    imported, 1 refused, 2 not a package."""
    if not package.exists():
        fail(f"no such package: {package}", EXIT_UNREADABLE)
    key_text = Path(key).read_text().strip() if key and Path(key).is_file() else key or ""
    with services_session() as (services, db):
        user = user_by_username(db, by)
        if user is None:
            fail(f"no such user: {by}", EXIT_UNREADABLE)
        actor = actor_for(user, Origin(client_ip="cli", user_agent="docsvc archive import"))
        record = new_import(actor, package.name, key_text)
        try:
            with tempfile.TemporaryDirectory(prefix="docsvc-import-") as work:
                import_package(db, services, actor, record, package, Path(work))
        except PackageRefused as refused:
            db.add(record)  # the refusal and its report
            db.commit()
            for line in refused.report.problems:
                typer.echo(f"FAILED: {line}")
            typer.echo("refused: nothing was imported")
            raise typer.Exit(EXIT_NOT_VALID) from refused
        except ArchiveError as exc:
            fail(f"unreadable: {exc}", EXIT_UNREADABLE)
        for line in record.report.get("doubts", []):
            typer.echo(f"DOUBT: {line}")
        typer.echo(
            f"imported {record.total} versions from {record.origin_institution or 'the origin'} "
            f"as dossier {record.dossier_id} ({record.verdict})"
        )
