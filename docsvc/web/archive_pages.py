"""The archive from the pages (``/archivo``): the classification scheme's latest version as
a tree with its older versions, the retention tables, what is due for transfer to the
central archive (chosen there for a transfer's inventory) and the transfers made; for
archivists, importing a new version of the scheme and drafting a table from a CSV or JSON
file; a table's page with its rules and signed steps, where the archive committee approves
it and an archivist or the committee puts it in force; and filing a dossier under a series
from its page. Every file is downloaded with the web session. The rules are the services'
(``docsvc.archival``); a refusal shows the page again with the reason in the page's
language. Transfers, loans, holds and disposal have their pages in
``archive_lifecycle_pages``."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.actors.actor import Actor
from docsvc.archival import (
    archive_transfers,
    classification,
    holdings,
    import_jobs,
    retention_tables,
)
from docsvc.archival.schemas import HoldingOut, NodeOut, SchemeVersionOut
from docsvc.attachments import attachment
from docsvc.calendar.local import local_date
from docsvc.documents.access import AUTHOR_ROLES
from docsvc.documents.uploads import receive_multipart
from docsvc.errors import DomainError, InvalidInput, NotFound
from docsvc.locale import Translator
from docsvc.models import ArchiveHolding, ArchiveTransfer, RetentionTable, Role
from docsvc.organisation import repository as organisation
from docsvc.register.access import reads_all
from docsvc.services import Services
from docsvc.web.archive_lifecycle_pages import DISPOSAL_READERS, HOLD_READERS, chosen_ids, first
from docsvc.web.document_pages import render_document
from docsvc.web.dossier_pages import render_dossier
from docsvc.web.page import FormDep, FormListsDep, Page, PageDep, page_translator
from docsvc.web.preservation_pages import READERS as FIXITY_READERS

router = APIRouter(include_in_schema=False)
NOTICES = ("scheme_imported",)
TABLE_NOTICES = ("table_drafted", "table_approved", "table_in_force")
# A scheme or a table is a few hundred rows: far below this.
MAX_ARCHIVE_FILE_BYTES = 512 * 1024
MAX_NOTE_LENGTH = 2000
FORMATS = classification.FORMATS


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A node of the scheme with the nodes under it, for the tree the pages draw."""

    node: NodeOut
    children: list[TreeNode] = field(default_factory=list)

    @property
    def fileable(self) -> bool:
        return self.node.level in ("series", "subseries")


def scheme_tree(nodes: list[NodeOut]) -> list[TreeNode]:
    """The scheme's nodes (each parent before its children) as a tree from its roots."""
    under: dict[str | None, list[NodeOut]] = {}
    for node in nodes:
        under.setdefault(node.parent, []).append(node)

    def build(parent: str | None) -> list[TreeNode]:
        return [TreeNode(node, build(node.code)) for node in under.get(parent, [])]

    return build(None)


def _table_rows(page: Page) -> list[dict[str, object]]:
    """The retention tables, the one in force first, then the others, newest first."""
    numbers = {v.id: v.number for v in classification.versions(page.db)}
    rows: list[dict[str, object]] = [
        {
            "id": table.id,
            "number": table.number,
            "state": table.state,
            "scheme_version": numbers.get(table.classification_version_id),
            "note": table.note,
            "in_force_from": table.in_force_from,
            "created_at": table.created_at,
        }
        for table in retention_tables.tables(page.db)
    ]
    return sorted(rows, key=lambda row: row["state"] != "in_force")


def _hub(
    page: Page,
    *,
    scheme_form: dict[str, str] | None = None,
    table_form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    error: DomainError | None = None,
) -> Response:
    db, actor = page.db, page.actor
    # What the archive acknowledged from its inbox moves to the central archive now.
    archive_transfers.receive_acknowledged(db, page.services)
    latest = classification.current(db)
    scheme = classification.version_out(db, latest) if latest is not None else None
    every_office = reads_all(actor)
    department = page.request.query_params.get("unidad", "").strip()[:32] or None
    due = holdings.due_for_transfer(db, actor, page.settings, department if every_office else None)
    secondary_due = archive_transfers.due_for_secondary(db, actor)
    return page.render(
        "archive.html",
        error=error,
        notice=page.notice(NOTICES),
        in_inventory=_in_inventory(page, [*due, *secondary_due]),
        secondary_due=secondary_due,
        show_secondary=every_office,
        transfers=[
            archive_transfers.transfer_out(db, transfer)
            for transfer in archive_transfers.transfers_of(db, actor)
        ],
        # An office transfers what is its own; an archivist, any office's.
        may_prepare=actor.has_any(Role.archivist)
        or (not every_office and bool(actor.roles & AUTHOR_ROLES)),
        chosen=set(chosen or ()),
        may_see_holds=actor.has_any(*HOLD_READERS),
        may_see_disposal=actor.has_any(*DISPOSAL_READERS),
        may_see_fixity=actor.has_any(*FIXITY_READERS),
        may_import=actor.has_any(*import_jobs.IMPORTERS),
        scheme=scheme,
        tree=scheme_tree(scheme.nodes) if scheme is not None else [],
        versions=classification.versions(db),
        tables=_table_rows(page),
        due=due,
        every_office=every_office,
        departments=organisation.departments(db) if every_office else [],
        department=department or "",
        archivist=actor.has_any(Role.archivist),
        scheme_form=scheme_form or {},
        table_form=table_form or {},
    )


def _in_inventory(page: Page, due: list[HoldingOut]) -> dict[uuid.UUID, uuid.UUID]:
    """Of what is due, what an inventory lists already: the holding and its transfer."""
    if not due:
        return {}
    rows = page.db.execute(
        select(ArchiveHolding.id, ArchiveHolding.archive_transfer_id)
        .join(ArchiveTransfer, ArchiveTransfer.id == ArchiveHolding.archive_transfer_id)
        .where(
            ArchiveHolding.id.in_([holding.id for holding in due]),
            ArchiveTransfer.received_at.is_(None),
        )
    )
    return {row.id: row.archive_transfer_id for row in rows}


@router.get("/archivo", response_model=None)
def archive_hub(page: PageDep) -> Response:
    return _hub(page)


@router.post("/archivo/transferencias", response_model=None)
def prepare_transfer(page: PageDep, form: FormListsDep) -> Response:
    """The inventory of what was chosen among what is due (one office's records): a record
    and a PDF document of the office, worded in the page's language; then its page, where
    the office signs it and sends it."""
    return _prepare(page, form, archive_transfers.prepare_primary, "transfer_prepared")


@router.post("/archivo/transferencias-secundarias", response_model=None)
def prepare_secondary_transfer(page: PageDep, form: FormListsDep) -> Response:
    """The central archive's inventory of what it hands to the historical archive; then
    its page, where an archivist signs it and sends it."""
    return _prepare(page, form, archive_transfers.prepare_secondary, "secondary_prepared")


def _prepare(
    page: Page,
    form: dict[str, list[str]],
    prepare: Callable[[Session, Services, Actor, list[uuid.UUID], Translator], ArchiveTransfer],
    notice: str,
) -> Response:
    made: list[uuid.UUID] = []
    chosen = form.get("holding", [])
    return page.act(
        first(form, "csrf_token"),
        lambda: made.append(
            prepare(
                page.db,
                page.services,
                page.actor,
                chosen_ids(chosen),
                page_translator(page.request, page.services),
            ).id
        ),
        lambda: f"/archivo/transferencias/{made[0]}?hecho={notice}",
        lambda exc: _hub(page, chosen=chosen, error=exc),
    )


def _scheme_file(page: Page, number: int, fmt: str) -> Response:
    version = classification.version_by_number(page.db, number)
    content, media_type = classification.export_scheme(version, fmt)
    name = f"cuadro-de-clasificacion-v{number}.{fmt}"
    return attachment(content, media_type, name)


VersionNumber = Annotated[int, Path(ge=1, le=1_000_000)]


# The downloads before the version's page: "2.csv" is no version number.
@router.get("/archivo/cuadro/{number}.csv", response_model=None)
def scheme_csv(number: VersionNumber, page: PageDep) -> Response:
    return _scheme_file(page, number, "csv")


@router.get("/archivo/cuadro/{number}.json", response_model=None)
def scheme_json(number: VersionNumber, page: PageDep) -> Response:
    return _scheme_file(page, number, "json")


@router.get("/archivo/cuadro/{number}", response_model=None)
def scheme_version(number: VersionNumber, page: PageDep) -> Response:
    db = page.db
    version: SchemeVersionOut = classification.version_out(
        db, classification.version_by_number(db, number)
    )
    latest = classification.current(db)
    return page.render(
        "archive_scheme.html",
        scheme=version,
        tree=scheme_tree(version.nodes),
        latest=latest is not None and latest.number == version.number,
    )


@dataclass(frozen=True, slots=True)
class Upload:
    """A small file sent with a form, read whole, and the form's other fields."""

    fields: dict[str, str]
    content: bytes
    filename: str


async def _receive_upload(request: Request, page: Page) -> Upload:
    """The form's file (within the archive's size limit) and fields; the file never stays
    on disk."""
    received = await receive_multipart(
        request.headers.get("content-type"),
        request.stream(),
        tmp_dir=page.settings.upload_tmp_dir,
        max_file_bytes=MAX_ARCHIVE_FILE_BYTES,
    )
    try:
        if received.file is None or received.file.size == 0:
            raise InvalidInput("Choose a CSV or JSON file.", code="archive_file_missing")
        content = received.file.path.read_bytes()
        return Upload(dict(received.fields), content, received.file.filename)
    finally:
        received.discard()


def _format(upload: Upload) -> str:
    """The format chosen on the form, else the file name's."""
    chosen = upload.fields.get("format", "")
    if chosen in FORMATS:
        return chosen
    suffix = upload.filename.rpartition(".")[2].lower()
    if suffix in FORMATS:
        return suffix
    raise InvalidInput("Choose the file's format: CSV or JSON.", code="archive_bad_format")


def _kept(fields: dict[str, str]) -> dict[str, str]:
    """What a refused form shows again (never the file: a browser does not keep it)."""
    return {"note": fields.get("note", "")[:MAX_NOTE_LENGTH], "format": fields.get("format", "")}


def _import_scheme(page: Page, upload: Upload) -> Response:
    fields = upload.fields
    return page.act(
        fields.get("csrf_token"),
        lambda: classification.import_scheme(
            page.db,
            page.actor,
            upload.content,
            _format(upload),
            fields.get("note", "")[:MAX_NOTE_LENGTH],
        ),
        "/archivo?hecho=scheme_imported",
        lambda exc: _hub(page, scheme_form=_kept(fields), error=exc),
    )


@router.post("/archivo/cuadro", response_model=None)
async def import_scheme(request: Request, page: PageDep) -> Response:
    """A new version of the scheme (multipart: ``file``, ``format``, ``note``)."""
    try:
        upload = await _receive_upload(request, page)
    except DomainError as exc:
        return await run_in_threadpool(_hub, page, scheme_form={"note": ""}, error=exc)
    return await run_in_threadpool(_import_scheme, page, upload)


def _draft_table(page: Page, upload: Upload) -> Response:
    fields = upload.fields
    made: list[uuid.UUID] = []
    return page.act(
        fields.get("csrf_token"),
        lambda: made.append(
            retention_tables.draft_table(
                page.db,
                page.actor,
                upload.content,
                _format(upload),
                fields.get("note", "")[:MAX_NOTE_LENGTH],
            ).id
        ),
        lambda: f"/archivo/tablas/{made[0]}?hecho=table_drafted",
        lambda exc: _hub(page, table_form=_kept(fields), error=exc),
    )


@router.post("/archivo/tablas", response_model=None)
async def draft_table(request: Request, page: PageDep) -> Response:
    """A draft retention table for the latest scheme (multipart: ``file``, ``format``,
    ``note``)."""
    try:
        upload = await _receive_upload(request, page)
    except DomainError as exc:
        return await run_in_threadpool(_hub, page, table_form={"note": ""}, error=exc)
    return await run_in_threadpool(_draft_table, page, upload)


def _table(page: Page, table_id: uuid.UUID) -> RetentionTable:
    return retention_tables.table_by_id(page.db, table_id)


def _table_file(page: Page, table_id: uuid.UUID, fmt: str) -> Response:
    table = _table(page, table_id)
    content, media_type = retention_tables.export_rules(table, fmt)
    name = f"tabla-de-retencion-v{table.number}.{fmt}"
    return attachment(content, media_type, name)


# The downloads before the table's page: "{id}.csv" is no table id.
@router.get("/archivo/tablas/{table_id}.csv", response_model=None)
def table_csv(table_id: uuid.UUID, page: PageDep) -> Response:
    return _table_file(page, table_id, "csv")


@router.get("/archivo/tablas/{table_id}.json", response_model=None)
def table_json(table_id: uuid.UUID, page: PageDep) -> Response:
    return _table_file(page, table_id, "json")


def _table_page(
    page: Page,
    table_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    error: DomainError | None = None,
) -> Response:
    db, actor = page.db, page.actor
    table = retention_tables.table_out(db, _table(page, table_id))
    names = {user.username: user.full_name for user in organisation.users(db)}
    return page.render(
        "archive_table.html",
        error=error,
        notice=page.notice(TABLE_NOTICES),
        table=table,
        names=names,
        may_approve=table.state == "draft" and actor.has_any(Role.archive_committee),
        may_put_in_force=table.state == "approved"
        and actor.has_any(Role.archivist, Role.archive_committee),
        today=local_date(page.settings).isoformat(),
        form=form or {},
    )


@router.get("/archivo/tablas/{table_id}", response_model=None)
def table_page(table_id: uuid.UUID, page: PageDep) -> Response:
    return _table_page(page, table_id)


@router.post("/archivo/tablas/{table_id}/aprobar", response_model=None)
def approve_table(table_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """The archive committee approves a draft, signed with the PIN."""
    return page.act(
        form.get("csrf_token"),
        lambda: retention_tables.advance(
            page.db, page.services, page.actor, table_id, "approved", form.get("pin") or None
        ),
        f"/archivo/tablas/{table_id}?hecho=table_approved",
        lambda exc: _table_page(page, table_id, error=exc),
    )


def _day(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("The date is a day of the calendar.", code="form_invalid") from exc


@router.post("/archivo/tablas/{table_id}/vigor", response_model=None)
def put_in_force(table_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """An archivist or the committee puts an approved table in force from a date, signed
    with the PIN; the table in force until then is superseded."""
    return page.act(
        form.get("csrf_token"),
        lambda: retention_tables.advance(
            page.db,
            page.services,
            page.actor,
            table_id,
            "in_force",
            form.get("pin") or None,
            _day(form.get("in_force_from", "").strip()),
        ),
        f"/archivo/tablas/{table_id}?hecho=table_in_force",
        lambda exc: _table_page(
            page, table_id, form={"in_force_from": form.get("in_force_from", "")}, error=exc
        ),
    )


@router.post("/archivo/registros/{holding_id}/inicio", response_model=None)
def record_trigger(holding_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """From a record's page: the day its count starts (a date or an event its series counts
    from, or a document's closing); then the table in force gives its dates."""
    row = page.db.get(ArchiveHolding, holding_id)
    if row is None:
        raise NotFound("The archive holds no such record.", code="holding_not_found")
    dossier_id, document_id = row.dossier_id, row.document_id
    back = f"/expedientes/{dossier_id}" if dossier_id else f"/documentos/{document_id}"

    def record() -> object:
        day = _day(form.get("day", ""))
        if day is None:
            raise InvalidInput("Give the day.", code="form_invalid")
        return holdings.record_trigger(
            page.db, page.actor, page.settings, holding_id, day, form.get("note", "")
        )

    def refused(exc: DomainError) -> Response:
        if dossier_id is not None:
            return render_dossier(page, dossier_id, exc)
        assert document_id is not None
        return render_document(page, document_id, exc)

    return page.act(
        form.get("csrf_token"), record, f"{back}?hecho=trigger_recorded#archivo", refused
    )


@router.post("/expedientes/{dossier_id}/clasificar", response_model=None)
def file_dossier(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """File (or, in the office archive, refile) a dossier under a series of the latest
    scheme: its office or an archivist."""
    return page.act(
        form.get("csrf_token"),
        lambda: holdings.file_record(
            page.db, page.actor, form.get("series_code", ""), dossier_id=dossier_id
        ),
        f"/expedientes/{dossier_id}?hecho=filed#archivo",
        lambda exc: render_dossier(page, dossier_id, exc),
    )
