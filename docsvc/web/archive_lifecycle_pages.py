"""The archive's work after filing, from the pages: a primary transfer's page (its
inventory, its state, and for its office the signature that sends it to the archive; the
archive acknowledges it from its inbox, like any transfer); loans of archived records
(asked for by an office, decided by an archivist, returned); legal holds on a record or a
series (placed by archivists and legal staff, released by another person); and supervised
disposal (the archivist's proposal, the archive committee's signed approval, the
execution and its signed record, downloaded for offline checking). The hub's list of what
is due prepares a transfer (``archive_pages``); a dossier's page asks for a loan of it and
places a hold on it. The rules are the services' (``docsvc.archival``); a refusal shows
the page again with the reason in the page's language."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy import or_, select

from archive.inventory import inventory_from_record
from docsvc.archival import (
    archive_transfers,
    classification,
    disposals,
    holdings,
    holds,
    loans,
)
from docsvc.archival.schemas import HoldingOut, HoldOut
from docsvc.attachments import attachment
from docsvc.calendar.local import local_date
from docsvc.documents.access import can_author
from docsvc.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from docsvc.models import ArchiveHolding, Department, Document, Role, User
from docsvc.organisation import repository as organisation
from docsvc.web.dossier_pages import LOAN_ROLES, render_dossier
from docsvc.web.page import FormDep, FormListsDep, Page, PageDep

router = APIRouter(include_in_schema=False)
TRANSFER_NOTICES = ("transfer_prepared", "secondary_prepared", "transfer_sent")
LOAN_NOTICES = ("loan_requested", "loan_lent", "loan_refused", "loan_returned", "loan_extended")
HOLD_NOTICES = ("hold_placed", "hold_released")
DISPOSAL_NOTICES = ("disposal_proposed",)
PROPOSAL_NOTICES = ("disposal_proposed", "disposal_approved", "disposal_executed")
MAX_TEXT = 2000
MAX_SHORT_TEXT = 300
# Who reads the list of legal holds and the disposal pages (the API lets any signed-in
# user list them; the pages keep the records' titles to those who work with them).
HOLD_READERS = (Role.archivist, Role.legal, Role.archive_committee, Role.auditor, Role.admin)
DISPOSAL_READERS = (Role.archivist, Role.archive_committee, Role.auditor, Role.admin)
FILEABLE_LEVELS = ("series", "subseries")
# The return date an archivist is offered for a loan.
DEFAULT_LOAN_DAYS = 14


def text_field(form: dict[str, str], name: str, limit: int = MAX_TEXT) -> str:
    return form.get(name, "").strip()[:limit]


def chosen_ids(values: list[str]) -> list[uuid.UUID]:
    """The ids of the checkboxes ticked on a form."""
    try:
        return [uuid.UUID(value) for value in values]
    except ValueError as exc:
        raise InvalidInput("Choose from the list.", code="form_invalid") from exc


def first(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[0]


def _names(page: Page) -> dict[str, str]:
    return {user.username: user.full_name for user in organisation.users(page.db)}


def _require(page: Page, roles: tuple[Role, ...], code: str) -> None:
    if not page.actor.has_any(*roles):
        raise PermissionDenied("Your role does not work with this part of the archive.", code=code)


# Transfers to the central archive


def _transfer_state(received: bool, sent: bool) -> str:
    return "received" if received else "sent" if sent else "prepared"


def _transfer_page(
    page: Page, transfer_id: uuid.UUID, error: DomainError | None = None
) -> Response:
    db, actor = page.db, page.actor
    # What the archive acknowledged from its inbox moves to the central archive now.
    archive_transfers.receive_acknowledged(db, page.services)
    transfer = archive_transfers.visible_transfer(db, actor, transfer_id)
    shown = archive_transfers.transfer_out(db, transfer)
    document = db.get(Document, transfer.inventory_document_id)
    preparer = db.get(User, transfer.prepared_by_id)
    return page.render(
        "archive_transfer.html",
        error=error,
        notice=page.notice(TRANSFER_NOTICES),
        transfer=shown,
        state=_transfer_state(shown.received_at is not None, shown.sent_at is not None),
        inventory=inventory_from_record(transfer.record),
        inventory_title=document.title if document is not None else "",
        prepared_by=preparer.full_name if preparer is not None else "",
        signed=transfer.signature is not None,
        may_send=shown.sent_at is None
        and (can_author(actor, transfer.department_id) or actor.has_any(Role.archivist)),
    )


@router.get("/archivo/transferencias/{transfer_id}", response_model=None)
def transfer_page(transfer_id: uuid.UUID, page: PageDep) -> Response:
    return _transfer_page(page, transfer_id)


def _inventory_file(page: Page, transfer_id: uuid.UUID, part: str) -> Response:
    transfer = archive_transfers.visible_transfer(page.db, page.actor, transfer_id)
    content, media_type, suffix = archive_transfers.signed_part(
        transfer.record, transfer.signature, part
    )
    name = f"inventario-{transfer.id}.{suffix}"
    return attachment(content, media_type, name)


@router.get("/archivo/transferencias/{transfer_id}/inventario.json", response_model=None)
def inventory_json(transfer_id: uuid.UUID, page: PageDep) -> Response:
    return _inventory_file(page, transfer_id, "record")


@router.get("/archivo/transferencias/{transfer_id}/inventario.p7s", response_model=None)
def inventory_signature(transfer_id: uuid.UUID, page: PageDep) -> Response:
    return _inventory_file(page, transfer_id, "signature")


@router.post("/archivo/transferencias/{transfer_id}/enviar", response_model=None)
def send_transfer(transfer_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """Its office signs the inventory record with the PIN and sends the inventory document
    to the archive, as a transfer with a signed note."""
    return page.act(
        form.get("csrf_token"),
        lambda: archive_transfers.send(
            page.db, page.services, page.actor, transfer_id, form.get("pin") or None
        ),
        f"/archivo/transferencias/{transfer_id}?hecho=transfer_sent",
        lambda exc: _transfer_page(page, transfer_id, exc),
    )


# Loans


def _department_code(page: Page) -> str:
    department = page.db.get(Department, page.actor.department_id)
    return department.code if department is not None else ""


def _loans_page(
    page: Page, *, form: dict[str, str] | None = None, error: DomainError | None = None
) -> Response:
    db, actor = page.db, page.actor
    overdue_only = page.request.query_params.get("vencidos") == "1"
    archivist = actor.has_any(Role.archivist)
    today = local_date(page.settings)
    return page.render(
        "archive_loans.html",
        error=error,
        notice=page.notice(LOAN_NOTICES),
        loans=loans.loans_for(db, actor, page.settings, overdue_only),
        overdue_only=overdue_only,
        archivist=archivist,
        may_request=actor.has_any(*LOAN_ROLES) and not archivist,
        department=_department_code(page),
        return_by=(today + timedelta(days=DEFAULT_LOAN_DAYS)).isoformat(),
        form=form or {},
    )


@router.get("/archivo/prestamos", response_model=None)
def loans_page(page: PageDep) -> Response:
    return _loans_page(page)


def _archived_holding(page: Page, value: str) -> uuid.UUID:
    """The holding of the record a person names by its identifier (as the transfer
    inventory lists it: the dossier's or the document's), or by the holding's own."""
    try:
        key = uuid.UUID(value.strip())
    except ValueError as exc:
        raise NotFound("The archive holds no such record.", code="holding_not_found") from exc
    found = page.db.scalar(
        select(ArchiveHolding.id).where(
            or_(
                ArchiveHolding.dossier_id == key,
                ArchiveHolding.document_id == key,
                ArchiveHolding.id == key,
            )
        )
    )
    if found is None:
        raise NotFound("The archive holds no such record.", code="holding_not_found")
    return found


@router.post("/archivo/prestamos", response_model=None)
def request_loan(page: PageDep, form: FormDep) -> Response:
    """An office asks for an archived record, named by its identifier, with its reason."""
    return page.act(
        form.get("csrf_token"),
        lambda: loans.request_loan(
            page.db,
            page.actor,
            _archived_holding(page, form.get("record", "")),
            text_field(form, "reason"),
        ),
        "/archivo/prestamos?hecho=loan_requested",
        lambda exc: _loans_page(
            page,
            form={"record": text_field(form, "record", 64), "reason": text_field(form, "reason")},
            error=exc,
        ),
    )


def _return_by(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("The date is a day of the calendar.", code="form_invalid") from exc


@router.post("/archivo/prestamos/{loan_id}/decision", response_model=None)
def decide_loan(loan_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """An archivist lends the record until a return date (``decision=lend``) or refuses."""
    lend = form.get("decision") == "lend"
    return page.act(
        form.get("csrf_token"),
        lambda: loans.decide(
            page.db,
            page.actor,
            page.settings,
            loan_id,
            lend,
            _return_by(form.get("due_on", "").strip()) if lend else None,
        ),
        f"/archivo/prestamos?hecho={'loan_lent' if lend else 'loan_refused'}",
        lambda exc: _loans_page(page, error=exc),
    )


@router.post("/archivo/prestamos/{loan_id}/prorroga", response_model=None)
def extend_loan(loan_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """An archivist gives a lent record a new return date."""
    return page.act(
        form.get("csrf_token"),
        lambda: loans.extend(
            page.db, page.actor, page.settings, loan_id, _return_by(form.get("due_on", "").strip())
        ),
        "/archivo/prestamos?hecho=loan_extended",
        lambda exc: _loans_page(page, error=exc),
    )


@router.post("/archivo/prestamos/{loan_id}/devolucion", response_model=None)
def return_loan(loan_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """The borrowing office or an archivist records that the record came back."""
    return page.act(
        form.get("csrf_token"),
        lambda: loans.return_loan(page.db, page.actor, loan_id),
        "/archivo/prestamos?hecho=loan_returned",
        lambda exc: _loans_page(page, error=exc),
    )


def _dossier_holding(page: Page, dossier_id: uuid.UUID) -> HoldingOut:
    return holdings.readable_holding(page.db, page.actor, dossier_id=dossier_id)


@router.post("/expedientes/{dossier_id}/prestamo", response_model=None)
def request_dossier_loan(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """From an archived dossier's page: its reader's office asks for a loan of it."""
    return page.act(
        form.get("csrf_token"),
        lambda: loans.request_loan(
            page.db,
            page.actor,
            _dossier_holding(page, dossier_id).id,
            text_field(form, "reason"),
        ),
        f"/expedientes/{dossier_id}?hecho=loan_requested#archivo",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


# Legal holds


def _series(page: Page) -> list[tuple[str, str]]:
    """The series and subseries of the scheme's latest version: (full code, name)."""
    latest = classification.current(page.db)
    if latest is None:
        return []
    return [
        (node.full_code, node.name)
        for node in classification.version_out(page.db, latest).nodes
        if node.level in FILEABLE_LEVELS
    ]


def _active_first(rows: list[HoldOut]) -> list[HoldOut]:
    return sorted(rows, key=lambda hold: hold.released_at is not None)


def _holds_page(
    page: Page, *, form: dict[str, str] | None = None, error: DomainError | None = None
) -> Response:
    _require(page, HOLD_READERS, "not_hold_role")
    return page.render(
        "archive_holds.html",
        error=error,
        notice=page.notice(HOLD_NOTICES),
        holds=_active_first(holds.holds(page.db)),
        names=_names(page),
        series=_series(page),
        may_hold=page.actor.has_any(*holds.HOLD_ROLES),
        form=form or {},
    )


@router.get("/archivo/retenciones", response_model=None)
def holds_page(page: PageDep) -> Response:
    return _holds_page(page)


def _hold_fields(form: dict[str, str]) -> dict[str, str]:
    return {
        "series_code": text_field(form, "series_code", MAX_SHORT_TEXT),
        "reason": text_field(form, "reason"),
        "authority": text_field(form, "authority", MAX_SHORT_TEXT),
        "reference": text_field(form, "reference", MAX_SHORT_TEXT),
    }


@router.post("/archivo/retenciones", response_model=None)
def place_series_hold(page: PageDep, form: FormDep) -> Response:
    """A legal hold on a whole series (archivists and legal staff)."""
    fields = _hold_fields(form)
    return page.act(
        form.get("csrf_token"),
        lambda: holds.place_hold(
            page.db,
            page.services,
            page.actor,
            holding_id=None,
            series_code=fields["series_code"] or None,
            reason=fields["reason"],
            authority=fields["authority"],
            reference=fields["reference"],
        ),
        "/archivo/retenciones?hecho=hold_placed",
        lambda exc: _holds_page(page, form=fields, error=exc),
    )


@router.post("/archivo/retenciones/{hold_id}/levantar", response_model=None)
def release_hold(hold_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """Another person than whoever placed it releases a hold, with the reason."""
    return page.act(
        form.get("csrf_token"),
        lambda: holds.release_hold(
            page.db, page.services, page.actor, hold_id, text_field(form, "reason")
        ),
        "/archivo/retenciones?hecho=hold_released",
        lambda exc: _holds_page(page, error=exc),
    )


@router.post("/expedientes/{dossier_id}/retencion", response_model=None)
def place_dossier_hold(dossier_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """From a filed dossier's page: a legal hold on it (archivists and legal staff)."""
    fields = _hold_fields(form)
    return page.act(
        form.get("csrf_token"),
        lambda: holds.place_hold(
            page.db,
            page.services,
            page.actor,
            holding_id=_dossier_holding(page, dossier_id).id,
            series_code=None,
            reason=fields["reason"],
            authority=fields["authority"],
            reference=fields["reference"],
        ),
        f"/expedientes/{dossier_id}?hecho=hold_placed#archivo",
        lambda exc: render_dossier(page, dossier_id, exc),
    )


# Supervised disposal


def _disposal_page(
    page: Page,
    *,
    form: dict[str, list[str]] | None = None,
    error: DomainError | None = None,
) -> Response:
    db, actor = page.db, page.actor
    _require(page, DISPOSAL_READERS, "not_an_archivist")
    archive_transfers.receive_acknowledged(db, page.services)
    supervises = actor.has_any(Role.archivist, Role.archive_committee)
    kept = form or {}
    return page.render(
        "archive_disposal.html",
        error=error,
        notice=page.notice(DISPOSAL_NOTICES),
        due=disposals.due_for_disposal(db, actor, page.services) if supervises else [],
        supervises=supervises,
        archivist=actor.has_any(Role.archivist),
        proposals=[disposals.proposal_out(db, p) for p in disposals.proposals(db)],
        chosen=set(kept.get("holding", [])),
        keep=set(kept.get("keep", [])),
        appraisal=first(kept, "appraisal")[:MAX_TEXT],
    )


@router.get("/archivo/eliminacion", response_model=None)
def disposal_page(page: PageDep) -> Response:
    return _disposal_page(page)


@router.post("/archivo/eliminacion", response_model=None)
def propose_disposal(page: PageDep, form: FormListsDep) -> Response:
    """The archivist proposes what is due: each record chosen, those of a selection series
    ticked to be kept, and the appraisal."""
    made: list[uuid.UUID] = []
    return page.act(
        first(form, "csrf_token"),
        lambda: made.append(
            disposals.propose(
                page.db,
                page.services,
                page.actor,
                chosen_ids(form.get("holding", [])),
                first(form, "appraisal")[:MAX_TEXT],
                chosen_ids(form.get("keep", [])),
            ).id
        ),
        lambda: f"/archivo/eliminacion/{made[0]}?hecho=disposal_proposed",
        lambda exc: _disposal_page(page, form=form, error=exc),
    )


def _proposal_page(
    page: Page, proposal_id: uuid.UUID, error: DomainError | None = None
) -> Response:
    db, actor = page.db, page.actor
    _require(page, DISPOSAL_READERS, "not_an_archivist")
    proposal = disposals.proposal_out(db, disposals.proposal_by_id(db, proposal_id))
    return page.render(
        "archive_proposal.html",
        error=error,
        notice=page.notice(PROPOSAL_NOTICES),
        proposal=proposal,
        names=_names(page),
        may_approve=proposal.status == "proposed"
        and actor.has_any(Role.archive_committee)
        and proposal.proposed_by != actor.username,
        may_execute=proposal.status == "approved" and actor.has_any(Role.archivist),
    )


@router.get("/archivo/eliminacion/{proposal_id}", response_model=None)
def proposal_page(proposal_id: uuid.UUID, page: PageDep) -> Response:
    return _proposal_page(page, proposal_id)


def _record_file(page: Page, proposal_id: uuid.UUID, part: str) -> Response:
    _require(page, DISPOSAL_READERS, "not_an_archivist")
    proposal = disposals.proposal_by_id(page.db, proposal_id)
    content, media_type, suffix = archive_transfers.signed_part(
        proposal.record, proposal.signature, part, "disposal record"
    )
    name = f"acta-de-eliminacion-{proposal.number}.{suffix}"
    return attachment(content, media_type, name)


@router.get("/archivo/eliminacion/{proposal_id}/acta.json", response_model=None)
def disposal_record(proposal_id: uuid.UUID, page: PageDep) -> Response:
    return _record_file(page, proposal_id, "record")


@router.get("/archivo/eliminacion/{proposal_id}/acta.p7s", response_model=None)
def disposal_signature(proposal_id: uuid.UUID, page: PageDep) -> Response:
    return _record_file(page, proposal_id, "signature")


@router.post("/archivo/eliminacion/{proposal_id}/aprobar", response_model=None)
def approve_disposal(proposal_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """The archive committee approves the proposal, signed with the PIN."""
    return page.act(
        form.get("csrf_token"),
        lambda: disposals.approve(
            page.db, page.services, page.actor, proposal_id, form.get("pin") or None
        ),
        f"/archivo/eliminacion/{proposal_id}?hecho=disposal_approved",
        lambda exc: _proposal_page(page, proposal_id, exc),
    )


@router.post("/archivo/eliminacion/{proposal_id}/ejecutar", response_model=None)
def execute_disposal(proposal_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """The archivist carries out the approved proposal and signs its record (acta)."""
    return page.act(
        form.get("csrf_token"),
        lambda: disposals.execute(
            page.db, page.services, page.actor, proposal_id, form.get("pin") or None
        ),
        f"/archivo/eliminacion/{proposal_id}?hecho=disposal_executed",
        lambda exc: _proposal_page(page, proposal_id, exc),
    )
