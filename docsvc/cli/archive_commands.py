"""``docsvc archive``: archival packages out of the service, and checking one offline."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from archive.errors import ArchiveError
from archive.package_check import check
from docsvc.archival.eni_export import export_eni
from docsvc.archival.exports import export_dossier
from docsvc.cli.common import fail, load_settings, services_session
from docsvc.locale import translator
from signing.errors import SigningError

app = typer.Typer(no_args_is_help=True, help="Archival packages: export and offline checks.")

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


@app.command("export")
def export(
    dossier: Annotated[str, typer.Option("--dossier", help="The dossier's id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The package to write (.zip).")],
    form: Annotated[
        str,
        typer.Option(
            "--format",
            help="eark: an E-ARK SIP in a BagIt bag; eni: an ENI expediente with its signed "
            "electronic index.",
        ),
    ] = "eark",
) -> None:
    """Export a dossier. As an E-ARK SIP inside a BagIt bag, zipped (the default): every
    version of its documents, their validation reports, its metadata, and its register
    leaves with their proofs and the checkpoint they verify against. As an ENI expediente:
    its documents' latest versions with their ENI metadata, and the electronic index
    sealed by the institution."""
    try:
        ident = uuid.UUID(dossier)
    except ValueError:
        fail(f"not a dossier id: {dossier}", EXIT_UNREADABLE)
    if form not in ("eark", "eni"):
        fail(f"--format is eark or eni, not {form}", EXIT_UNREADABLE)
    if output.exists():
        fail(f"{output} exists already", EXIT_UNREADABLE)
    settings = load_settings()
    t = translator(settings.default_language, settings.timezone)
    with services_session() as (services, db):
        try:
            if form == "eni":
                eni = export_eni(db, services, ident, output)
                typer.echo(f"exported an ENI expediente of {eni.documents} documents to {output}")
                return
            made = export_dossier(db, services, ident, output, t)
        except BaseException:
            output.unlink(missing_ok=True)
            raise
    typer.echo(
        f"exported {made.documents} documents, {made.versions} versions and "
        f"{made.leaves} register leaves to {made.path}"
    )


def _der(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
    return [data]


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
        roots = [der for path in trust or [] for der in _der(path)]
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
