"""``docsvc register``: the auditor's offline check of checkpoints and proofs, and the
institution's own checkpoint and key.

    docsvc register verify CHECKPOINT --key VKEY [--trust ROOT.pem]
        [--inclusion PROOF.json [--leaf LEAF.json]]
        [--previous OLDER_CHECKPOINT --consistency PROOF.json]
        [--database]

Files are what the API serves: ``/register/checkpoint``, ``/register/proof/inclusion``,
``/register/leaves/{i}``, ``/register/proof/consistency``; they are checked with the
``transparency`` library (notes, checkpoints, proofs) and ``signing`` (the time-stamp)
alone, without the database. ``--database`` rehashes every leaf in this institution's
database up to the checkpoint's size and compares the root, and checks each register
entry's, transfer's, receipt's, document's and dossier's rows against the leaves that last
recorded them (``register.metadata_check``): one line per mismatch.
Exit status: 0 when everything checks, 1 when something does not, 2 when an input cannot be
read.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from docsvc.cli.common import fail, load_settings, services_session
from docsvc.cli.signing_common import EXIT_NOT_VALID, EXIT_UNREADABLE, EXIT_VALID, anchors
from docsvc.ledger import audit, checkpoints, log
from docsvc.pki.authorities import checkpoint_signer
from docsvc.register import history, metadata_check
from docsvc.runtime.keyring import Keyring
from signing import SigningError
from signing.cades import verify_record
from transparency import NoteError, VerifierKey, verify_inclusion

app = typer.Typer(no_args_is_help=True, help="The register's transparency log.")


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {what} {path}: {exc}", EXIT_UNREADABLE)


def _key(value: str | None) -> VerifierKey:
    if value is None:
        return checkpoints.verifier_key(Keyring(load_settings()))
    text = _read(Path(value), "key") if Path(value).is_file() else value
    try:
        return VerifierKey.parse(text)
    except NoteError as exc:
        fail(f"bad verifier key: {exc}", EXIT_UNREADABLE)


@app.command("verify")
def verify(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint (signed note).")],
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            help="The register's verifier key, or a file holding it (default: this "
            "institution's, from DOCSVC_DATA_DIR).",
        ),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="A trust root for the time-stamp (PEM or DER); repeat."),
    ] = None,
    inclusion: Annotated[
        Path | None, typer.Option("--inclusion", help="An inclusion proof (JSON).")
    ] = None,
    leaf: Annotated[
        Path | None, typer.Option("--leaf", help="The leaf the inclusion proof is about.")
    ] = None,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="An earlier checkpoint.")
    ] = None,
    consistency: Annotated[
        Path | None,
        typer.Option("--consistency", help="The consistency proof from --previous (JSON)."),
    ] = None,
    database: Annotated[
        bool,
        typer.Option(
            "--database",
            help="Check the checkpoint against this institution's leaves, and its entries, "
            "transfers, receipts, documents and dossiers against their leaves.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Check a checkpoint and proofs offline. Exit 0 all good, 1 a check failed, 2 unreadable."""
    verifier = _key(key)
    roots = anchors(load_settings(), trust or [])
    findings = audit.Findings()
    try:
        newer = audit.open_checkpoint(_read(checkpoint, "checkpoint"), verifier, roots, findings)
        if inclusion is not None:
            proof = audit.load_json(_read(inclusion, "inclusion proof"), "the inclusion proof")
            audit.check_inclusion(newer.checkpoint, proof, findings)
            if leaf is not None:
                document = audit.load_json(_read(leaf, "leaf"), "the leaf")
                audit.check_leaf(document, proof, findings)
        elif leaf is not None:
            fail("--leaf needs --inclusion", EXIT_UNREADABLE)
        if (previous is None) != (consistency is None):
            fail("--previous and --consistency go together", EXIT_UNREADABLE)
        if previous is not None and consistency is not None:
            older = audit.open_checkpoint(_read(previous, "checkpoint"), verifier, roots, findings)
            proof = audit.load_json(
                _read(consistency, "consistency proof"), "the consistency proof"
            )
            audit.check_consistency(older.checkpoint, newer.checkpoint, proof, findings)
    except audit.AuditError as exc:
        fail(str(exc), EXIT_UNREADABLE)
    if database:
        with services_session() as (_, db):
            metadata_check.read_one_snapshot(db)
            leaves = log.stored_leaves(db, newer.checkpoint.size)
            audit.check_database(leaves, newer.checkpoint, findings)
            metadata_check.check_metadata(db, findings)
    if as_json:
        typer.echo(json.dumps({"ok": findings.ok, **asdict(findings)}, ensure_ascii=False))
    else:
        for line in findings.checked:
            typer.echo(f"ok: {line}")
        for line in findings.problems:
            typer.echo(f"FAILED: {line}")
    raise typer.Exit(EXIT_VALID if findings.ok else EXIT_NOT_VALID)


@app.command("checkpoint")
def checkpoint_now() -> None:
    """Sign a checkpoint of the register now and print it."""
    with services_session() as (services, db):
        signer = checkpoint_signer(services.keys)
        made = checkpoints.make_checkpoint(db, services.settings, signer)
        typer.echo(made.note, nl=False)


@app.command("key")
def key_command() -> None:
    """Print the register's verifier key, for auditors to pin."""
    typer.echo(str(checkpoints.verifier_key(Keyring(load_settings()))))


cases_app = typer.Typer(no_args_is_help=True, help="Cases: the chain of a legal request.")


@cases_app.command("history")
def case_history(
    case_id: Annotated[str, typer.Argument(help="The case's id (from its register entry).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON, with proofs.")] = False,
) -> None:
    """A case's whole chain in time order, each item with its inclusion proof, checked here
    against the signed checkpoint it is proven against."""
    try:
        ident = uuid.UUID(case_id)
    except ValueError:
        fail(f"not a case id: {case_id}", EXIT_UNREADABLE)
    with services_session() as (services, db):
        found = history.case_history(db, services.keys, None, ident)
    root = bytes.fromhex(found.root)
    for item in found.items:
        verify_inclusion(
            item.index,
            found.size,
            bytes.fromhex(item.leaf_hash),
            [bytes.fromhex(p) for p in item.proof],
            root,
        )
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    typer.echo(f"case {found.case_id}: {len(found.items)} events, proven in a log of {found.size}")
    for item in found.items:
        data = item.data
        summary = ", ".join(
            f"{k}={v}"
            for k, v in data.items()
            if k in ("number", "from", "to", "purpose", "version", "level", "kind", "due_on")
            and v is not None
        )
        typer.echo(f"{item.time}  #{item.index:<6} {item.kind:<20} {summary}")


transfers_app = typer.Typer(no_args_is_help=True, help="Signed transfer notes and receipts.")


@transfers_app.command("verify")
def verify_signed_record(
    record: Annotated[Path, typer.Argument(help="The record, as signed (JSON).")],
    signature: Annotated[Path, typer.Argument(help="Its detached CAdES signature (.p7s).")],
    trust: Annotated[
        list[Path] | None,
        typer.Option("--trust", help="A trust root (PEM or DER); repeat."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Verify a transfer note or receipt offline. Exit 0 valid, 1 invalid or indeterminate,
    2 unreadable. Without --trust, the institution's anchors are trusted."""
    data = _read_bytes(record, "record")
    signed = _read_bytes(signature, "signature")
    try:
        check = verify_record(data, signed, anchors(load_settings(), trust or []))
    except SigningError as exc:
        fail(f"unreadable: {exc}", EXIT_UNREADABLE)
    result = {
        "verdict": check.verdict,
        "signer": check.signer_name,
        "certificate_sha256": check.certificate_sha256,
        "signing_time": check.signing_time.isoformat() if check.signing_time else None,
        "timestamp_time": check.timestamp_time.isoformat() if check.timestamp_time else None,
        "reasons": list(check.reasons),
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(f"{check.verdict}: signed by {check.signer_name}")
        for reason in check.reasons:
            typer.echo(f"  {reason}")
    raise typer.Exit(EXIT_VALID if check.verdict == "valid" else EXIT_NOT_VALID)


def _read_bytes(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        fail(f"cannot read {what} {path}: {exc.strerror}", EXIT_UNREADABLE)
