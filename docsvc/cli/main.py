"""The ``docsvc`` command line. Settings come from ``DOCSVC_*`` variables.

Errors are printed as one line and an exit status, never as a traceback.
"""

from __future__ import annotations

import getpass
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from docsvc.actors import sessions
from docsvc.actors.actor import Actor, Origin
from docsvc.cli import (
    archive_commands,
    backup_commands,
    keys_commands,
    notifications_commands,
    public_address,
    register_commands,
    sign_command,
    verify_command,
    worker_command,
)
from docsvc.cli.common import fail, load_settings, services_session
from docsvc.composition import build_services
from docsvc.config import Environment, Settings, StorageBackend
from docsvc.db.migrate import current_revision, head_revision, upgrade_to_head
from docsvc.demo.seed import accounts_table, seed_demo
from docsvc.errors import DomainError, PermissionDenied
from docsvc.identity import service as identity
from docsvc.maintenance.orphans import clean_orphans
from docsvc.maintenance.permissions import make_private, private_umask
from docsvc.maintenance.scratch import remove_dead_scratch
from docsvc.models import Role
from docsvc.organisation import service as organisation
from docsvc.organisation.repository import department_codes, pending_roles, users
from docsvc.organisation.schemas import DepartmentIn, PositionIn, UserIn
from docsvc.organisation.service import ensure_institution
from docsvc.pki.service import ensure_dev_pki
from signing import SigningError
from storage import StorageError

app = typer.Typer(
    no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations.")
departments_app = typer.Typer(no_args_is_help=True, help="Departments.")
users_app = typer.Typer(no_args_is_help=True, help="User accounts.")
positions_app = typer.Typer(no_args_is_help=True, help="Positions (posts held by officials).")
store_app = typer.Typer(no_args_is_help=True, help="The object store.")
app.add_typer(db_app, name="db")
app.add_typer(departments_app, name="departments")
app.add_typer(users_app, name="users")
app.add_typer(positions_app, name="positions")
app.add_typer(store_app, name="store")
app.command("sign")(sign_command.sign)
app.command("verify")(verify_command.verify)
app.command("worker")(worker_command.worker)
app.command("backup")(backup_commands.backup)
app.command("restore")(backup_commands.restore)
app.add_typer(keys_commands.app, name="keys")
app.add_typer(archive_commands.app, name="archive")
app.add_typer(notifications_commands.app, name="notifications")
app.add_typer(register_commands.app, name="register")
app.add_typer(register_commands.cases_app, name="cases")
app.add_typer(register_commands.transfers_app, name="transfers")

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DomainError as exc:
        fail(exc.message)


@app.command()
def init(
    demo: Annotated[bool, typer.Option("--demo", help="Also create the demo institution.")] = False,
) -> None:
    """Create the database, the store and the institution. Safe to run again."""

    settings = load_settings()
    if demo and settings.env is Environment.production:
        fail("--demo is refused in production mode", 2)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.shared_tmp_dir.mkdir(parents=True, exist_ok=True)
    make_private(settings.data_dir)
    services = build_services(settings)
    try:
        if settings.storage_backend is StorageBackend.s3:
            ensure = getattr(services.store, "ensure_bucket", None)
            if ensure is not None:
                ensure()
        services.store.check_ready()
        upgrade_to_head(services.engine)
        with services.sessions() as db:
            pki_created = ensure_dev_pki(db, settings)
            ensure_institution(db, settings.institution_code, settings.institution_name)
            seeded = seed_demo(db, services) if demo else False
            db.commit()
    except (DomainError, StorageError, SigningError) as exc:
        fail(str(exc))
    finally:
        services.close()
    typer.echo(f"Initialised {settings.data_dir.resolve()} ({services.store.name} store).")
    if pki_created:
        typer.echo(f"Created the development PKI in {settings.pki_dir.resolve()}.")
    if demo:
        typer.echo("Demo data created." if seeded else "Demo data already present.")
        typer.echo(accounts_table())
    problem = public_address.unreachable_elsewhere(settings.public_url)
    if problem is not None:
        typer.echo(
            f"note: the public address {settings.public_url} does not answer yet ({problem}). "
            "Certificates, QR codes and links will point there: make sure the proxy or "
            "`docsvc serve` answers at that address.",
            err=True,
        )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-* from the reverse proxy.")
    ] = False,
) -> None:
    """Serve the API and the web pages. Unless DOCSVC_PUBLIC_URL is set, the public
    address (QR codes, links) is where this serves."""
    import uvicorn

    public, configured = public_address.follow_served_address(host, port)
    settings = load_settings()  # refuse placeholder secrets before binding the port
    if not configured and settings.env is Environment.production:
        fail(
            "set DOCSVC_PUBLIC_URL to the address people reach this service at: in production "
            "the service is behind a proxy, and its own address is no one's"
        )
    if not configured:
        typer.echo(f"Public address: {public} (set DOCSVC_PUBLIC_URL to change it)", err=True)
    public_address.check_when_up(
        public_address.served_url(host, port), public, lambda line: typer.echo(line, err=True)
    )
    uvicorn.run(
        "docsvc.asgi:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        server_header=False,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    services = build_services(load_settings())
    try:
        upgrade_to_head(services.engine)
        typer.echo(f"database at revision {current_revision(services.engine)}")
    finally:
        services.close()


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the code's head revision."""
    services = build_services(load_settings())
    try:
        typer.echo(f"current: {current_revision(services.engine)}  head: {head_revision()}")
    finally:
        services.close()


@departments_app.command("add")
def departments_add(
    code: str,
    name: str,
    parent: Annotated[str | None, typer.Option(help="Parent department code.")] = None,
) -> None:
    try:
        data = DepartmentIn(code=code, name=name, parent=parent)
    except ValidationError as exc:
        fail(str(exc.errors()[0]["msg"]), 2)
    with services_session() as (_, db):
        out = organisation.create_department(db, None, data)
    typer.echo(f"created department {out.code}")


@departments_app.command("list")
def departments_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    with services_session() as (_, db):
        rows = organisation.list_departments(db)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    for row in rows:
        typer.echo(f"{row.code:<8} {row.parent or '-':<8} {row.name}")


# Acting as an administrator (--by): the password of that account is asked for (or read
# from stdin, after the new account's own password when both are), and checked like a
# login, wrong attempts counting towards its lockout.
ByAdmin = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Act as this administrator (their password is asked for). Needed to ask for "
        "the admin or auditor role once the institution has two administrators.",
    ),
]
ByPasswordStdin = Annotated[
    bool,
    typer.Option("--by-password-stdin", help="Read the --by administrator's password from stdin."),
]


def _as_admin(
    db: Session, settings: Settings, username: str | None, from_stdin: bool
) -> Actor | None:
    """The administrator named by --by, authenticated; None for the operator."""
    if username is None:
        return None
    password = (
        sys.stdin.readline().rstrip("\n")
        if from_stdin
        else getpass.getpass(f"Password of {username}: ")
    )
    origin = Origin(client_ip="cli", user_agent="docsvc users")
    user = identity.authenticate(db, settings, username, password, origin)
    actor = sessions.actor_for(user, origin)
    if Role.admin not in actor.roles:
        raise PermissionDenied(f"{username} is not an administrator.", code="admin_only")
    return actor


@users_app.command("add")
def users_add(
    username: str,
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    department: Annotated[str, typer.Option(help="Department code.")],
    role: Annotated[list[Role], typer.Option(help="Role; repeat for several.")],
    email: Annotated[str | None, typer.Option()] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    by: ByAdmin = None,
    by_password_stdin: ByPasswordStdin = False,
) -> None:
    """Create a local account. The password is prompted for, or read from stdin.

    The admin and auditor roles take two administrators: with --by ADMIN they are asked
    for, and the account gets them when another administrator runs `users approve`. Only
    while the institution has fewer than two administrators does the operator grant them
    directly (the first administrators)."""
    password = _read_password(password_stdin)
    try:
        data = UserIn(
            username=username,
            full_name=full_name,
            email=email,
            password=password,
            department=department,
            roles=role,
        )
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2)
    with services_session() as (services, db):
        actor = _as_admin(db, services.settings, by, by_password_stdin)
        out = organisation.create_user(db, actor, data)
    typer.echo(f"created user {out.username} in {out.department}")
    if out.pending_roles:
        roles = ", ".join(out.pending_roles)
        typer.echo(f"awaiting another administrator's approval: {roles} (docsvc users requests)")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        fail("the passwords differ", 2)
    return first


@users_app.command("list")
def users_list() -> None:

    with services_session() as (_, db):
        codes = department_codes(db)
        pending = pending_roles(db)
        for user in users(db):
            roles = ",".join(sorted(r.value for r in user.role_set))
            state = "" if user.active else " (disabled)"
            asked = (
                f" (pending: {','.join(sorted(pending[user.id]))})" if user.id in pending else ""
            )
            typer.echo(
                f"{user.username:<16} {codes.get(user.department_id, ''):<6} {roles}{state}{asked}"
            )


@users_app.command("set-password")
def users_set_password(
    username: str,
    password_stdin: Annotated[bool, typer.Option("--password-stdin")] = False,
) -> None:
    """Reset a password; every session and token of the account ends."""
    password = _read_password(password_stdin)
    with services_session() as (_, db):
        organisation.set_password(db, None, username, password)
    typer.echo(f"password set for {username}")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable an account; its sessions and tokens end, and enabling it revives none."""
    with services_session() as (_, db):
        organisation.set_active(db, None, username, False)
    typer.echo(f"disabled {username}")


@users_app.command("enable")
def users_enable(username: str) -> None:
    with services_session() as (_, db):
        organisation.set_active(db, None, username, True)
    typer.echo(f"enabled {username}")


@users_app.command("grant")
def users_grant(
    username: str,
    role: Role,
    by: ByAdmin = None,
    by_password_stdin: ByPasswordStdin = False,
) -> None:
    """Give an account a role; admin and auditor are asked for (--by ADMIN) and granted
    when another administrator approves."""
    with services_session() as (services, db):
        actor = _as_admin(db, services.settings, by, by_password_stdin)
        out = organisation.grant_role(db, actor, username, role)
    if out.request is None:
        typer.echo(f"granted {role.value} to {username}")
    else:
        typer.echo(
            f"requested {role.value} for {username}: request {out.request.id}, awaiting "
            "another administrator's approval"
        )


@users_app.command("requests")
def users_requests(
    show_all: Annotated[bool, typer.Option("--all", help="Decided ones too.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Requests for the admin and auditor roles: the pending ones, or all."""
    with services_session() as (_, db):
        rows = organisation.list_role_requests(db, None, only_pending=not show_all)
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False))
        return
    for row in rows:
        decided = f" by {row.decided_by}" if row.decided_by else ""
        typer.echo(
            f"{row.id}  {row.username:<16} {row.role.value:<8} {row.status.value}{decided}"
            f"  (asked by {row.requested_by}, {row.requested_at:%Y-%m-%d %H:%M} UTC)"
        )


def _request_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"not a request id: {value}", 2)


@users_app.command("approve")
def users_approve(
    request_id: str,
    by: Annotated[str, typer.Option("--by", help="The approving administrator.")],
    by_password_stdin: ByPasswordStdin = False,
) -> None:
    """Approve a role request as an administrator other than its requester and its
    account; the account holds the role from now on."""
    wanted = _request_id(request_id)
    with services_session() as (services, db):
        actor = _as_admin(db, services.settings, by, by_password_stdin)
        out = organisation.approve_role_request(db, actor, wanted)
    typer.echo(f"approved {out.role.value} for {out.username} (asked by {out.requested_by})")


@users_app.command("reject")
def users_reject(
    request_id: str,
    by: Annotated[str, typer.Option("--by", help="The administrator turning it down.")],
    by_password_stdin: ByPasswordStdin = False,
) -> None:
    """Turn a role request down."""
    wanted = _request_id(request_id)
    with services_session() as (services, db):
        actor = _as_admin(db, services.settings, by, by_password_stdin)
        out = organisation.reject_role_request(db, actor, wanted)
    typer.echo(f"rejected {out.role.value} for {out.username}")


@positions_app.command("add")
def positions_add(
    department: str,
    code: str,
    title: str,
    holder: Annotated[str | None, typer.Option(help="Username of the holder.")] = None,
) -> None:
    try:
        data = PositionIn(department=department, code=code, title=title, holder=holder)
    except ValidationError as exc:
        fail(str(exc.errors()[0]["msg"]), 2)
    with services_session() as (_, db):
        out = organisation.create_position(db, None, data)
    typer.echo(f"created position {out.code} in {out.department}")


@positions_app.command("list")
def positions_list() -> None:
    with services_session() as (_, db):
        for row in organisation.list_positions(db):
            typer.echo(f"{row.department:<6} {row.code:<10} {row.holder or '-':<14} {row.title}")


@store_app.command("clean-orphans")
def store_clean_orphans(
    grace_minutes: Annotated[
        int | None, typer.Option(help="Keep orphans younger than this (default from settings).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Remove stored objects that no database row points to."""

    with services_session() as (services, db):
        remove_dead_scratch(services.settings)
        minutes = (
            grace_minutes if grace_minutes is not None else services.settings.orphan_grace_minutes
        )
        report = clean_orphans(
            db,
            services.store,
            grace=timedelta(minutes=minutes),
            upload_tmp_dir=services.settings.upload_tmp_dir,
            dry_run=dry_run,
        )
    typer.echo(json.dumps(asdict(report)))


def main() -> None:
    # Files the service makes are its own (the database, keys, copies of documents).
    private_umask()
    try:
        app()
    except Exception as exc:  # the last line of defence: one line, never a traceback
        typer.echo(f"error: unexpected {exc.__class__.__name__}: {exc}", err=True)
        raise SystemExit(1) from None
