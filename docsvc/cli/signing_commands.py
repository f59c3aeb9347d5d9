"""``docsvc sign`` and ``docsvc verify``: offline, with the exit codes of DESIGN.md."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from docsvc.cli.common import fail, load_settings
from docsvc.config import Settings
from signing import SigningError, WrongPin
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file, unlock_pkcs12
from signing.verification import UnreadableDocument, verify_pdf

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2


def _quiet_pyhanko() -> None:
    """pyHanko logs what it finds suspicious with a traceback; the report already says it
    in plain words, and the CLI must never print a traceback."""
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


def _anchors(settings: Settings, trust: list[Path]) -> list[bytes]:
    """--trust files, or else the institution's configured anchors (the development root
    in the embedded default). Never the operating system's store."""
    paths = trust or [settings.pki_dir / "root.pem"]
    anchors: list[bytes] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            fail(f"cannot read trust root {path}: {exc.strerror}", EXIT_UNREADABLE)
        try:
            certs = (
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError:
            fail(f"{path} is not a certificate", EXIT_UNREADABLE)
        anchors.extend(c.public_bytes(Encoding.DER) for c in certs)
    return anchors


def verify(
    file: Annotated[Path, typer.Argument(help="The PDF to verify.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    trust: Annotated[
        list[Path] | None, typer.Option("--trust", help="A trust root (PEM or DER); repeat.")
    ] = None,
) -> None:
    """Verify every signature offline. Exit 0 valid, 1 invalid or indeterminate, 2 unreadable."""
    _quiet_pyhanko()
    settings = load_settings()
    anchors = _anchors(settings, trust or [])
    try:
        report = verify_pdf(file, anchors)
    except FileNotFoundError:
        fail(f"no such file: {file}", EXIT_UNREADABLE)
    except (UnreadableDocument, OSError) as exc:
        fail(f"unreadable: {exc}", EXIT_UNREADABLE)
    except Exception as exc:  # hostile input must never show a traceback
        fail(f"unreadable: {exc.__class__.__name__}", EXIT_UNREADABLE)
    if as_json:
        typer.echo(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
    else:
        typer.echo(f"verdict: {report.verdict}")
        for reason in report.reasons:
            typer.echo(f"  {reason}")
        for s in report.signatures:
            typer.echo(f"- {s.field}: {s.verdict} ({s.level}) signed by {s.signer.name}")
            for reason in s.reasons:
                typer.echo(f"    {reason}")
    raise typer.Exit(EXIT_VALID if report.verdict == "valid" else EXIT_NOT_VALID)


def sign(
    file: Annotated[Path, typer.Argument(help="The PDF to sign.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it.")],
    level: Annotated[str, typer.Option(help="B-B, B-T, B-LT or B-LTA.")] = "B-LT",
    p12: Annotated[Path | None, typer.Option("--p12", help="PKCS#12 with the key.")] = None,
    pin: Annotated[str | None, typer.Option(help="The PIN that opens the key.")] = None,
) -> None:
    """Sign a PDF (PAdES) with a PKCS#12 key, timestamped by the institution's own TSA
    from B-T up, with its revocation data embedded from B-LT up."""
    _quiet_pyhanko()
    settings = load_settings()
    try:
        chosen = Level(level)
    except ValueError:
        fail(f"unsupported level {level}: use one of {', '.join(v.value for v in Level)}", 2)
    if p12 is None or pin is None:
        fail("give the key as --p12 FILE --pin PIN", 2)
    try:
        key = unlock_pkcs12(p12.read_bytes(), pin)
    except OSError as exc:
        fail(f"cannot read {p12}: {exc.strerror}", 2)
    except WrongPin:
        fail("the PIN does not unlock this key", 1)
    timestamper = None
    material = None
    if chosen is not Level.B_B:
        from docsvc.pki.service import tsa_settings, validation_material
        from docsvc.services import build_services

        timestamper = LocalTimeStamper(tsa_settings(settings))
        if chosen in (Level.B_LT, Level.B_LTA):
            services = build_services(settings)
            try:
                with services.sessions() as db:
                    material = validation_material(db, settings)
            finally:
                services.close()
    try:
        sign_file(file, output, key, SignatureRequest(chosen), timestamper, material)
    except FileNotFoundError:
        fail(f"no such file: {file}", 2)
    except SigningError as exc:
        fail(str(exc), 1)
    except Exception as exc:  # a broken input PDF: one line, no traceback
        output.unlink(missing_ok=True)
        fail(f"cannot sign {file}: {exc.__class__.__name__}: {exc}", 2)
    typer.echo(f"signed {output} ({chosen.value}) as {key.subject}")
