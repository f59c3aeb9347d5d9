"""``docsvc verify``: offline, with the exit codes of docs/contracts.md."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from docsvc.cli.common import fail, load_settings
from docsvc.cli.signing_common import (
    EXIT_NOT_VALID,
    EXIT_UNREADABLE,
    EXIT_VALID,
    anchors,
    institution_crls,
    quiet_pyhanko,
)
from docsvc.verification.wording import report_json
from signing import verification
from signing.verification import UnreadableDocument, VerificationPolicy


class Language(StrEnum):
    en = "en"
    es = "es"


def verify(
    file: Annotated[Path, typer.Argument(help="The PDF to verify.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    etsi_report: Annotated[
        Path | None,
        typer.Option(
            "--etsi-report",
            help="Also write the ETSI TS 119 102-2 validation report (XML) to this file.",
        ),
    ] = None,
    trust: Annotated[
        list[Path] | None, typer.Option("--trust", help="A trust root (PEM or DER); repeat.")
    ] = None,
    lang: Annotated[
        Language,
        typer.Option("--lang", help="The language of the reasons and warnings (default en)."),
    ] = Language.en,
) -> None:
    """Verify every signature offline. Exit 0 valid, 1 invalid or indeterminate, 2 unreadable.

    Without --trust, the institution's anchors are trusted and its current CRL is checked
    too (the development PKI's, in the embedded default)."""
    quiet_pyhanko()
    settings = load_settings()
    roots = anchors(settings, trust or [])
    crls = [] if trust else institution_crls(settings)
    policy = VerificationPolicy(roots, crls=crls, etsi_report=etsi_report is not None)
    try:
        result = verification.verify(file, policy)
        report, xml = result.report, result.etsi_xml
    except FileNotFoundError:
        fail(f"no such file: {file}", EXIT_UNREADABLE)
    except (UnreadableDocument, OSError) as exc:
        fail(f"unreadable: {exc}", EXIT_UNREADABLE)
    except Exception as exc:  # hostile input must never show a traceback
        fail(f"unreadable: {exc.__class__.__name__}", EXIT_UNREADABLE)
    if etsi_report is not None:
        if xml is None:
            why = (
                "none of its signatures can be read" if report.signatures else "it has no signature"
            )
            typer.echo(f"no ETSI report written: {why}", err=True)
        else:
            try:
                etsi_report.write_bytes(xml)
            except OSError as exc:
                fail(f"cannot write {etsi_report}: {exc.strerror}", EXIT_UNREADABLE)
    # Reasons and warnings in the catalogue's words, moments in the institution's zone.
    worded = report_json(report, lang.value, settings.timezone)
    if as_json:
        typer.echo(json.dumps(worded, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"verdict: {report.verdict}")
        for reason in worded["reasons"]:
            typer.echo(f"  {reason}")
        for warning in worded["warnings"]:
            typer.echo(f"  warning ({warning['code']}): {warning['message']}")
        for s, shown in zip(report.signatures, worded["signatures"], strict=True):
            typer.echo(f"- {s.field}: {s.verdict} ({s.level}) signed by {s.signer.name}")
            for reason in shown["reasons"]:
                typer.echo(f"    {reason}")
    raise typer.Exit(EXIT_VALID if report.verdict == "valid" else EXIT_NOT_VALID)
