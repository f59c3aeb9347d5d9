"""``docsvc sign``: a PAdES signature made offline, with the exit codes of DESIGN.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from docsvc.cli.common import fail, load_settings
from docsvc.cli.signing_common import quiet_pyhanko
from signing import SigningError, WrongPin
from signing.pades import Level, LocalTimeStamper, SignatureRequest, sign_file, unlock_pkcs12


def sign(
    file: Annotated[Path, typer.Argument(help="The PDF to sign.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it.")],
    level: Annotated[str, typer.Option(help="B-B, B-T, B-LT or B-LTA.")] = "B-LT",
    p12: Annotated[Path | None, typer.Option("--p12", help="PKCS#12 with the key.")] = None,
    pin: Annotated[str | None, typer.Option(help="The PIN that opens the key.")] = None,
) -> None:
    """Sign a PDF (PAdES) with a PKCS#12 key, timestamped by the institution's own TSA
    from B-T up, with its revocation data embedded from B-LT up."""
    quiet_pyhanko()
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
