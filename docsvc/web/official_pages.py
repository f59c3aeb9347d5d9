"""Pages for signed-in officials: the inbox (what awaits my signature, what my department
received, deadlines and what is overdue), the signing dialog of a signing line (sign with
the PIN, or reject with a reason), and answering a received transfer (acknowledge, or
return with a reason), each with a signed receipt.

Every form carries the session's CSRF token. A refused action rolls back whatever it
started and shows the page again with the reason in the page's language; an action that
succeeded redirects (303) to the inbox with a notice, so a reload does not repeat it.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from docsvc.batches import service as batches
from docsvc.batches.schemas import BatchIn, BatchItemIn, BatchItemOut
from docsvc.documents import service as documents
from docsvc.documents.schemas import DocumentOut
from docsvc.dossiers import service as dossier_service
from docsvc.errors import DomainError, InvalidInput, PermissionDenied
from docsvc.signatures import service as signatures
from docsvc.signing_lines import service as lines
from docsvc.signing_lines.schemas import LineOut
from docsvc.transfers import service as transfers
from docsvc.web.page import FormDep, FormListsDep, Page, PageDep, page_translator

router = APIRouter(include_in_schema=False)

NOTICES_SHOWN = 10  # the latest notices on the inbox page
# Notices an action may redirect with; anything else in ?hecho= is ignored.
NOTICES = (
    "signed",
    "rejected",
    "acknowledged",
    "returned",
    "sent",
    "signing_session_opened",
    "signing_session_locked",
)


def _inbox_page(page: Page, error: DomainError | None = None) -> Response:
    db, actor, settings = page.db, page.actor, page.settings
    return page.render(
        "inbox.html",
        error=error,
        awaiting=lines.inbox(db, actor, "awaiting"),
        requested=lines.inbox(db, actor, "requested"),
        received=transfers.awaiting_answer(db, actor, settings),
        sent=transfers.list_transfers(db, actor, settings, "outgoing", None, 50, 0),
        deadlines=transfers.deadlines(db, actor, settings, None, 2),
        select_all=page.request.query_params.get("todas") == "1",
        notices=lines.notifications(db, actor, False, page_translator(page.request, page.services))[
            :NOTICES_SHOWN
        ],
        notice=page.notice(NOTICES),
        signing_session=signatures.session_offer(db, actor),
        session_minutes=settings.signing_session_minutes,
    )


@router.get("/bandeja", response_model=None)
def inbox(page: PageDep) -> Response:
    return _inbox_page(page)


@router.post("/firma/sesion", response_model=None)
def open_signing_session(page: PageDep, form: FormDep) -> Response:
    """Type the PIN once to sign without it for a while, on this login, through whichever
    app process takes the next request."""
    return page.act(
        form.get("csrf_token"),
        lambda: signatures.unlock_session(
            page.db, page.services, page.services.signing, page.actor, form.get("pin", "")
        ),
        "/bandeja?hecho=signing_session_opened",
        lambda exc: _inbox_page(page, exc),
    )


@router.post("/firma/sesion/cerrar", response_model=None)
def lock_signing_session(page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: signatures.lock_session(page.db, page.services.signing, page.actor),
        "/bandeja?hecho=signing_session_locked",
        lambda exc: _inbox_page(page, exc),
    )


def _line_documents(page: Page, line: LineOut) -> list[DocumentOut]:
    """What the line signs, for the signer to see before she types her PIN: the document,
    or the dossier's documents in their order."""
    db, actor = page.db, page.actor
    if line.document_id is not None:
        return [documents.get_document(db, actor, line.document_id)]
    if line.dossier_id is None:
        return []
    dossier = dossier_service.get_dossier(db, actor, line.dossier_id)
    return [documents.get_document(db, actor, item.document_id) for item in dossier.items]


def render_line(page: Page, line_id: uuid.UUID, error: DomainError | None = None) -> Response:
    line = lines.get_line(page.db, page.actor, line_id)
    return page.render(
        "signing_line.html",
        error=error,
        line=line,
        documents=_line_documents(page, line),
        my_turn=lines.awaits_turn(page.db, page.actor, line_id),
        requester=line.requester == page.actor.username,
        notice=page.notice(("line_created", "resubmitted", "cancelled")),
    )


@router.get("/firmas/{line_id}", response_model=None)
def signing_line(line_id: uuid.UUID, page: PageDep) -> Response:
    return page.shown(lambda: render_line(page, line_id), lambda exc: _inbox_page(page, exc))


@router.post("/firmas/{line_id}/firmar", response_model=None)
def sign_line(line_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    return page.act(
        form.get("csrf_token"),
        lambda: lines.sign(page.db, page.services, page.actor, line_id, form.get("pin") or None),
        "/bandeja?hecho=signed",
        lambda exc: render_line(page, line_id, exc),
    )


@router.post("/firmas/{line_id}/rechazar", response_model=None)
def reject_line(line_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    def reject() -> None:
        reason = form.get("reason", "").strip()
        if not reason:
            raise PermissionDenied("Say why.", code="reason_required")
        lines.reject(page.db, page.services, page.actor, line_id, reason[:2000])

    return page.act(
        form.get("csrf_token"),
        reject,
        "/bandeja?hecho=rejected",
        lambda exc: render_line(page, line_id, exc),
    )


@router.post("/transferencias/{transfer_id}/responder", response_model=None)
def old_answer_address(transfer_id: uuid.UUID) -> Response:
    """The answer's earlier address, for a form opened before it changed (308 keeps it a POST)."""
    return RedirectResponse(f"/remisiones/{transfer_id}/responder", status_code=308)


@router.post("/remisiones/{transfer_id}/responder", response_model=None)
def answer_transfer(transfer_id: uuid.UUID, page: PageDep, form: FormDep) -> Response:
    """Acknowledge (``action=acknowledge``) or return with a reason (``action=return``)."""
    returning = form.get("action") == "return"

    def answer() -> None:
        reason = transfers.check_reason(form.get("reason", "")[:2000]) if returning else None
        pin = form.get("pin") or None
        transfers.answer(page.db, page.services, page.actor, transfer_id, pin, reason)

    notice = "returned" if returning else "acknowledged"
    return page.act(
        form.get("csrf_token"),
        answer,
        f"/bandeja?hecho={notice}",
        lambda exc: _inbox_page(page, exc),
    )


@router.post("/firmas/lote", response_model=None)
def sign_batch(page: PageDep, form: FormListsDep) -> Response:
    """Sign the lines ticked in the inbox with one PIN entry, as a batch job."""
    pin = (form.get("pin") or [""])[0]
    created: list[uuid.UUID] = []

    def create() -> None:
        chosen = form.get("line") or []
        if not chosen:
            raise InvalidInput("Tick at least one line.", code="nothing_chosen")
        try:
            body = BatchIn(items=[BatchItemIn(line_id=uuid.UUID(v)) for v in chosen], pin=pin)
        except (ValidationError, ValueError) as exc:
            raise InvalidInput("Check the lines and the PIN.", code="form_invalid") from exc
        job = batches.create_job(page.db, page.services, page.actor, body)
        created.append(job.id)

    return page.act(
        (form.get("csrf_token") or [""])[0],
        create,
        lambda: f"/firmas/lote/{created[0]}",
        lambda exc: _inbox_page(page, exc),
    )


def _batch_titles(page: Page, items: list[BatchItemOut]) -> dict[uuid.UUID, tuple[str, str]]:
    """Each item's title and page, so that results name what was signed."""
    db, actor = page.db, page.actor
    found: dict[uuid.UUID, tuple[str, str]] = {}
    for item in items:
        target = item.target
        try:
            if target.kind == "line":
                found[target.id] = (
                    lines.get_line(db, actor, target.id).title,
                    f"/firmas/{target.id}",
                )
            elif target.kind == "document":
                title = documents.get_document(db, actor, target.id).title
                found[target.id] = (title, f"/documentos/{target.id}")
            else:
                title = dossier_service.get_dossier(db, actor, target.id).title
                found[target.id] = (title, f"/expedientes/{target.id}")
        except DomainError:
            continue
    return found


@router.get("/firmas/lote/{job_id}", response_model=None)
def batch_progress(job_id: uuid.UUID, page: PageDep) -> Response:
    """The job's progress bar; the page reloads itself every two seconds until it ends
    (a meta refresh: no script needed)."""

    def progress() -> Response:
        job = batches.get_job(page.db, page.actor, job_id)
        return page.render(
            "batch.html",
            job=job,
            titles=_batch_titles(page, job.items),
            running=job.status in ("queued", "running"),
        )

    return page.shown(progress, lambda exc: _inbox_page(page, exc))
