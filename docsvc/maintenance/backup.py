"""Backing up one deployment to a directory, and restoring it into an empty one.

A backup directory holds::

    manifest.json          what is here, written last (a directory without it is no backup)
    database.sqlite3       SQLite: a copy made with the online backup API
    database.pgdump        PostgreSQL: ``pg_dump --format=custom``
    objects/<key>          every object of the store, under its key (its SHA-256)
    files/pki/...          the data directory's key material, encrypted under
    files/register/...     DOCSVC_SECRET_KEY (development PKI, register seal key)

The database is read in one snapshot (SQLite's backup API; on PostgreSQL a REPEATABLE READ
transaction whose snapshot ``pg_dump --snapshot`` shares), and the register's latest
checkpoint, the database's revision and the keys it refers to are read from that same
snapshot. Objects are streamed, each hashed as it is copied and checked against its key.

Not copied, on purpose: the key pepper (``DOCSVC_KEY_PEPPER_FILE``), ``DATA_DIR/secrets``
and every other secret (``DOCSVC_SECRET_KEY``, S3 credentials). Whoever restores provides
the same ones; the restore checks what it can without them and says what it could not.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from docsvc.config import Settings
from docsvc.db.migrate import head_revision
from docsvc.documents.repository import referenced_object_keys
from docsvc.ledger import audit, checkpoints, log
from docsvc.models.register import RegisterCheckpoint
from docsvc.runtime.keyring import Keyring
from docsvc.services import Services
from storage import ObjectNotFound, ObjectStore, StorageError

FORMAT = "docsvc-backup/1"
MANIFEST = "manifest.json"
OBJECTS = "objects"
FILES = "files"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
# What of the data directory is copied: key material encrypted under DOCSVC_SECRET_KEY.
DATA_DIR_PARTS = ("pki", "register")
CHUNK = 1024 * 1024

NOT_COPIED = (
    "the key pepper (DOCSVC_KEY_PEPPER_FILE, by default DATA_DIR/secrets/key-pepper): kept "
    "apart from backups so that a backup alone opens no official's key",
    "DATA_DIR/secrets (the instance secret) and DOCSVC_SECRET_KEY, which decrypts the "
    "development PKI's and the register seal's keys",
    "the S3 credentials and every other DOCSVC_* setting",
    "temporary objects (public verification uploads) and scratch files",
)


class BackupError(Exception):
    """The backup or restore cannot go on; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class RestoreReport:
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# -- helpers ---------------------------------------------------------------------------------


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _is_sqlite(settings: Settings) -> bool:
    return settings.effective_database_url.startswith("sqlite")


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.effective_database_url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database has no file to back up", 2)
    return Path(database)


def pg_program(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)", 2)


def _libpq(settings: Settings) -> tuple[str, dict[str, str]]:
    """The database's address for libpq programs, and the environment with its password."""
    url = make_url(settings.effective_database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: Sequence[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(list(args), env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BackupError(f"{what} failed: {' | '.join(tail)}")


@dataclass(frozen=True, slots=True)
class _Snapshot:
    revision: str | None
    referenced: frozenset[str]
    checkpoint: RegisterCheckpoint | None


def _read_snapshot(connection: Connection) -> _Snapshot:
    revision = MigrationContext.configure(connection).get_current_revision()
    with Session(bind=connection) as db:
        referenced = frozenset(referenced_object_keys(db))
        latest = checkpoints.latest(db)
        if latest is not None:
            db.expunge(latest)
    return _Snapshot(revision, referenced, latest)


def _dump_sqlite(settings: Settings, out: Path) -> _Snapshot:
    source_path = _sqlite_path(settings)
    if not source_path.is_file():
        raise BackupError(f"the database {source_path} does not exist", 2)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(out)
    try:
        source.backup(target)  # one step: a consistent copy while the service writes
    finally:
        target.close()
        source.close()
    engine = create_engine(f"sqlite:///{out.resolve()}")
    try:
        with engine.connect() as connection:
            return _read_snapshot(connection)
    finally:
        engine.dispose()


def _dump_postgres(services: Services, out: Path) -> _Snapshot:
    address, env = _libpq(services.settings)
    with services.engine.connect() as plain:
        connection = plain.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = _read_snapshot(connection)
            _run(
                [
                    pg_program("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    f"--file={out}",
                    f"--dbname={address}",
                ],
                env,
                "pg_dump",
            )
    return snapshot


def _copy_object(store: ObjectStore, key: str, out: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with out.open("wb") as handle:
        # iter_chunks itself raises IntegrityError at the end if the bytes are not the key's.
        for chunk in store.iter_chunks(key):
            handle.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _data_files(settings: Settings) -> Iterator[tuple[str, Path]]:
    for part in DATA_DIR_PARTS:
        base = settings.data_dir / part
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield path.relative_to(settings.data_dir).as_posix(), path


# -- backup ----------------------------------------------------------------------------------


def backup(services: Services, target: Path, say: Callable[[str], None]) -> dict[str, Any]:
    """Write a backup of the deployment to the new directory ``target``; return the
    manifest."""
    settings = services.settings
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty directory", 2)
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    started = datetime.now(UTC)

    if _is_sqlite(settings):
        database_file, backend = SQLITE_FILE, "sqlite"
        snapshot = _dump_sqlite(settings, target / database_file)
    else:
        database_file, backend = PG_FILE, "postgresql"
        snapshot = _dump_postgres(services, target / database_file)
    db_sha, db_size = _sha256_file(target / database_file)
    say(f"database ({backend}) at revision {snapshot.revision}: {db_size} bytes")

    register: dict[str, Any] | None = None
    if snapshot.checkpoint is not None:
        register = {
            "size": snapshot.checkpoint.size,
            "root": snapshot.checkpoint.root.hex(),
            "checkpoint": snapshot.checkpoint.note,
            "checkpoint_created_at": snapshot.checkpoint.created_at.isoformat(),
            "verifier_key": str(checkpoints.verifier_key(services.keys)),
        }

    store = services.store
    keys = set(snapshot.referenced) | {info.key for info in store.list()}
    objects_dir = target / OBJECTS
    objects_dir.mkdir(mode=0o700)
    objects: list[dict[str, Any]] = []
    absent: list[str] = []
    for key in sorted(keys):
        try:
            info = store.stat(key)
        except ObjectNotFound:
            absent.append(key)  # referenced, yet not in the store (e.g. disposed content)
            continue
        sha, size = _copy_object(store, key, objects_dir / key)
        if sha != key or size != info.size:
            raise BackupError(f"object {key} read back as {sha} ({size} bytes): not its key")
        objects.append(
            {
                "key": key,
                "size": size,
                "sha256": sha,
                "referenced": key in snapshot.referenced,
                "retain_until": info.retain_until.isoformat() if info.retain_until else None,
                "legal_hold": info.legal_hold,
            }
        )
    say(f"objects: {len(objects)} copied ({sum(o['size'] for o in objects)} bytes)")
    if absent:
        say(f"note: {len(absent)} referenced objects are not in the store (recorded as absent)")

    files: list[dict[str, Any]] = []
    for relative, source in _data_files(settings):
        out = target / FILES / relative
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(source, out)
        sha, size = _sha256_file(out)
        files.append({"path": relative, "size": size, "sha256": sha})
    say(f"data directory files: {len(files)} ({', '.join(DATA_DIR_PARTS)})")

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "institution": {"code": settings.institution_code, "name": settings.institution_name},
        "database": {
            "backend": backend,
            "file": database_file,
            "size": db_size,
            "sha256": db_sha,
            "revision": snapshot.revision,
        },
        "store": {"backend": store.name, "objects": objects, "referenced_absent": absent},
        "files": files,
        "register": register,
        "not_copied": list(NOT_COPIED),
    }
    partial = target / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    os.replace(partial, target / MANIFEST)
    return manifest


# -- restore ---------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{source} holds no {MANIFEST}: not a complete backup", 2) from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BackupError(f"cannot read {source / MANIFEST}: {exc}", 2) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source / MANIFEST} is not a {FORMAT} manifest", 2)
    try:
        database = manifest["database"]
        for item in manifest["store"]["objects"]:
            _ = (item["key"], item["size"], item["sha256"])
        for item in manifest["files"]:
            _ = (item["path"], item["size"], item["sha256"])
        _ = (database["file"], database["sha256"], database["size"], database["backend"])
    except (KeyError, TypeError) as exc:
        raise BackupError(f"{source / MANIFEST} lacks {exc}", 2) from exc
    return manifest


def _safe(base: Path, relative: str) -> Path:
    path = (base / relative).resolve()
    if not path.is_relative_to(base.resolve()) or path == base.resolve():
        raise BackupError(f"the manifest names a path outside the backup: {relative!r}", 2)
    return path


def check_backup(source: Path, manifest: dict[str, Any]) -> list[str]:
    """Every file of the backup against the manifest (size and SHA-256); the problems."""
    problems: list[str] = []

    def check(path: Path, size: int, sha256: str, what: str) -> None:
        if not path.is_file():
            problems.append(f"{what} is missing from the backup")
            return
        got, got_size = _sha256_file(path)
        if got_size != size or got != sha256:
            problems.append(
                f"{what} does not match the manifest: SHA-256 {got} ({got_size} bytes), "
                f"manifest {sha256} ({size} bytes)"
            )

    database = manifest["database"]
    check(_safe(source, database["file"]), database["size"], database["sha256"], "the database")
    listed = set()
    for item in manifest["store"]["objects"]:
        key = item["key"]
        listed.add(key)
        if item["sha256"] != key:
            problems.append(f"object {key}: the manifest gives it SHA-256 {item['sha256']}")
        check(_safe(source / OBJECTS, key), item["size"], item["sha256"], f"object {key}")
    extra = sorted(p.name for p in (source / OBJECTS).glob("*") if p.name not in listed)
    problems.extend(f"object {name} is in the backup but not in the manifest" for name in extra)
    for item in manifest["files"]:
        check(
            _safe(source / FILES, item["path"]),
            item["size"],
            item["sha256"],
            f"file {item['path']}",
        )
    return problems


def target_problems(services: Services, manifest: dict[str, Any]) -> list[str]:
    """Why the target is not an empty deployment this backup can go into."""
    settings = services.settings
    problems = []
    backend = "sqlite" if _is_sqlite(settings) else "postgresql"
    if manifest["database"]["backend"] != backend:
        problems.append(
            f"the backup holds a {manifest['database']['backend']} database; this deployment's "
            f"is {backend}"
        )
    tables = inspect(services.engine).get_table_names()
    if tables:
        problems.append(f"the database is not empty ({len(tables)} tables)")
    services.engine.dispose()
    ensure = getattr(services.store, "ensure_bucket", None)
    if ensure is not None:
        ensure()
    if next(iter(services.store.list()), None) is not None:
        problems.append(f"the object store ({services.store.name}) is not empty")
    present = [f["path"] for f in manifest["files"] if (settings.data_dir / f["path"]).exists()]
    if present:
        problems.append(f"the data directory already holds {', '.join(present[:3])}")
    return problems


def restore(
    services: Services,
    source: Path,
    manifest: dict[str, Any],
    trust_roots: Callable[[], list[bytes]],
    say: Callable[[str], None],
) -> RestoreReport:
    """Restore ``source`` into the (checked empty) deployment, then check it."""
    settings = services.settings
    report = RestoreReport()
    database = manifest["database"]

    # The data directory's files first: the register's key is among them.
    for item in manifest["files"]:
        out = settings.data_dir / item["path"]
        out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.copyfile(_safe(source / FILES, item["path"]), out)
        out.chmod(0o600)
    say(f"data directory files: {len(manifest['files'])} restored")

    dump = _safe(source, database["file"])
    if database["backend"] == "sqlite":
        services.engine.dispose()
        path = _sqlite_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup_db = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        live = sqlite3.connect(path)
        try:
            backup_db.backup(live)
        finally:
            live.close()
            backup_db.close()
    else:
        address, env = _libpq(settings)
        _run(
            [
                pg_program("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={address}",
                str(dump),
            ],
            env,
            "pg_restore",
        )
    with services.engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
    if revision != database.get("revision"):
        report.problems.append(
            f"the restored database is at revision {revision}, the manifest says "
            f"{database.get('revision')}"
        )
    else:
        report.checked.append(f"database restored at revision {revision}")
    if revision != head_revision():
        report.warnings.append(
            f"the database is at {revision}, this code's head is {head_revision()}: run "
            "`docsvc db upgrade` before serving"
        )

    store = services.store
    objects = manifest["store"]["objects"]
    for item in objects:
        stored = store.put_file(_safe(source / OBJECTS, item["key"]), sha256=item["sha256"])
        if stored.key != item["key"]:
            report.problems.append(f"object {item['key']} was stored as {stored.key}")
    say(f"objects: {len(objects)} restored")
    for item in objects:
        key = item["key"]
        digest = hashlib.sha256()
        size = 0
        try:
            for chunk in store.iter_chunks(key):
                digest.update(chunk)
                size += len(chunk)
        except StorageError as exc:
            report.problems.append(f"object {key}: {exc}")
            continue
        if digest.hexdigest() != item["sha256"] or size != item["size"]:
            report.problems.append(
                f"object {key} reads back as {digest.hexdigest()} ({size} bytes), not as "
                "the manifest says"
            )
        # Locks last, once the bytes are known good.
        if item.get("retain_until") and store.capabilities.retention:
            store.set_retention(key, datetime.fromisoformat(item["retain_until"]))
        if item.get("legal_hold") and store.capabilities.legal_hold:
            store.set_legal_hold(key, True)
    if not any(p.startswith("object ") for p in report.problems):
        report.checked.append(f"{len(objects)} objects match the manifest's SHA-256")

    _check_register(services, manifest, trust_roots, report)

    pepper = settings.effective_key_pepper_file
    if not pepper.is_file():
        report.warnings.append(
            f"the key pepper {pepper} is not there: put the deployment's pepper there before "
            "officials sign with their kept keys (it is never in a backup)"
        )
    return report


def _check_register(
    services: Services,
    manifest: dict[str, Any],
    trust_roots: Callable[[], list[bytes]],
    report: RestoreReport,
) -> None:
    register = manifest.get("register")
    if register is None:
        report.checked.append("the backup holds no checkpoint (the register was never signed)")
        return
    try:
        key = checkpoints.verifier_key(Keyring(services.settings))
    except (ValueError, TypeError, OSError) as exc:
        report.problems.append(
            f"the register seal key cannot be opened ({exc}): is DOCSVC_SECRET_KEY the "
            "deployment's?"
        )
        return
    if str(key) != register["verifier_key"]:
        report.problems.append(
            f"the restored register key is {key}, the manifest's {register['verifier_key']}"
        )
        return
    findings = audit.Findings()
    try:
        opened = audit.open_checkpoint(register["checkpoint"], key, trust_roots(), findings)
    except audit.AuditError as exc:
        report.problems.append(f"the manifest's checkpoint: {exc}")
        return
    checkpoint = opened.checkpoint
    if checkpoint.size != register["size"] or checkpoint.root.hex() != register["root"]:
        findings.problems.append("the manifest's size and root are not its checkpoint's")
    with services.sessions() as db:
        kept = db.scalar(
            select(RegisterCheckpoint.id).where(
                RegisterCheckpoint.size == checkpoint.size,
                RegisterCheckpoint.note == register["checkpoint"],
            )
        )
        if kept is None:
            findings.problems.append("the restored database does not hold the checkpoint")
        if log.log_size(db) < checkpoint.size:
            findings.problems.append(
                f"the restored register has {log.log_size(db)} leaves, fewer than the "
                f"checkpoint's {checkpoint.size}"
            )
        else:
            if log.root_at(db, checkpoint.size) != checkpoint.root:
                findings.problems.append(
                    f"the restored register's root at size {checkpoint.size} is not the "
                    "checkpoint's"
                )
            else:
                findings.checked.append(
                    f"the restored register's root at size {checkpoint.size} is the checkpoint's"
                )
            audit.check_database(log.stored_leaves(db, checkpoint.size), checkpoint, findings)
    report.checked.extend(f"register: {line}" for line in findings.checked)
    report.problems.extend(f"register: {line}" for line in findings.problems)
