"""The public verification pages, with no login: upload a file or type a code (the QR code
in every stamp links to ``/verificar/{code}``), and read the result in plain words.

- ``GET /verificar``: the two forms; ``?codigo=`` redirects to the record.
- ``POST /verificar``: verifies the upload (in a killable worker, as the API does), keeps
  it for a short while in the object store (``docsvc.verification.retained``), so that any
  process of any host can answer the next request, and redirects to its result, so that a
  reload or a change of language does not post the file again.
- ``GET /verificar/resultado/{token}``: the report, each verdict in green, amber or red
  with its reasons, and downloads: the PDF report sealed by the institution, the ETSI XML
  and the JSON.
- ``GET /verificar/{code}``: the public record of a registered document, against the
  latest checkpoint (a version newer than it shows its proof as pending; reading writes
  nothing).

Uploads (and the ETSI report, verified again) count against the client's fair share of the
verifier (``docsvc.verification.rate_limit``), as at the API.

The upload form is protected by a signed double-submit token, as the login form is: there
is no session before it. Errors re-render the form with the reason, in the page's language,
with the API's status code.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from docsvc.deps import DbSession, ServicesDep
from docsvc.documents import codes
from docsvc.documents.api import receive_file
from docsvc.documents.uploads import ReceivedForm
from docsvc.errors import DomainError, InvalidInput, PermissionDenied, TooManyRequests
from docsvc.services import Services
from docsvc.throttles import WorkerTime
from docsvc.verification import retained, service, wording
from docsvc.verification.rate_limit import limit_public_requests, public_verification
from docsvc.verification.report_pdf import sealed_report
from docsvc.web.i18n import language_of
from docsvc.web.page import error_text, form_token_valid, render, render_with_form_token

router = APIRouter(include_in_schema=False)


def _form_page(
    request: Request,
    services: Services,
    *,
    error: DomainError | None = None,
    code: str = "",
) -> HTMLResponse:
    page = render_with_form_token(
        request,
        services,
        "verify.html",
        error.status_code if error is not None else 200,
        error=error_text(request, services, error, detail=False) if error else None,
        code=code,
    )
    if isinstance(error, TooManyRequests):
        page.headers["Retry-After"] = str(error.retry_after)
    return page


@router.get("/verificar", response_model=None)
def verify_form(request: Request, services: ServicesDep, codigo: str = "") -> Response:
    try:
        limit_public_requests(request)
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    if codigo:
        normalised = codes.normalise(codigo)
        if normalised is None:
            invalid = InvalidInput("Not a verification code.", code="code_invalid")
            return _form_page(request, services, error=invalid, code=codigo[:40])
        return RedirectResponse(f"/verificar/{normalised}", status_code=303)
    return _form_page(request, services)


@router.post("/verificar", response_model=None)
async def verify_upload(request: Request, db: DbSession, services: ServicesDep) -> Response:
    """Async only to stream the upload to disk while holding the client's share of the
    verifier; the verification, the copy check against the register and keeping the file
    run on worker threads, never on the event loop."""
    try:
        limit_public_requests(request)
        # The client's fair share of the verifier, as at the API.
        with public_verification(request) as used:
            form = await receive_file(request, services)
            try:
                assert form.file is not None
                if not form_token_valid(request, services, form.fields.get("csrf_token")):
                    raise PermissionDenied("The form expired.", code="csrf_failed")
                token = await run_in_threadpool(_verify_and_keep, db, services, form, used)
            finally:
                form.discard()
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    return RedirectResponse(f"/verificar/resultado/{token}", status_code=303)


def _verify_and_keep(db: Session, services: Services, form: ReceivedForm, used: WorkerTime) -> str:
    assert form.file is not None
    report = service.verify_upload(db, services, form.file, used)
    return retained.keep(services.store, form.file, report)


def _result_context(found: retained.Retained, lang: str) -> dict[str, Any]:
    report = found.report
    signatures = [
        {
            **signature,
            "verdict_text": wording.verdict(signature["verdict"], lang),
            "person": wording.person(signature["signer"]["name"]),
            "changes_text": wording.modifications(signature["modifications_after"], lang),
            "reasons_text": [wording.reason(r, lang) for r in signature["reasons"]],
        }
        for signature in report["signatures"]
    ]
    return {
        "token": found.token,
        "filename": found.filename,
        "report": report,
        "verdict": report["verdict"],
        "verdict_text": wording.verdict(report["verdict"], lang),
        "summary": wording.summary(report["verdict"], lang),
        "document_reasons": [wording.reason(r, lang) for r in report.get("reasons", [])],
        "warnings_text": [wording.warning(w, lang) for w in report.get("warnings", [])],
        "signatures": signatures,
        "copy_text": wording.copy_check(report["copy"], lang),
        "copy": report["copy"],
    }


@router.get("/verificar/resultado/{token}", response_model=None)
def verify_result(request: Request, token: str, services: ServicesDep) -> Response:
    try:
        found = retained.find(services.store, token)
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    lang = language_of(request, services.settings.default_language)
    return render(request, services, "verify_result.html", **_result_context(found, lang))


@router.get("/verificar/resultado/{token}/informe.pdf", response_model=None)
def verify_result_pdf(
    request: Request, token: str, db: DbSession, services: ServicesDep
) -> Response:
    try:
        limit_public_requests(request)
        found = retained.find(services.store, token)
        lang = language_of(request, services.settings.default_language)
        # The report the page shows, kept with the file: sealed, not verified again.
        pdf = sealed_report(db, services.keys, found.report, file_name=found.filename, lang=lang)
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="informe-verificacion.pdf"'},
    )


@router.get("/verificar/resultado/{token}/informe-etsi.xml", response_model=None)
def verify_result_etsi(
    request: Request, token: str, db: DbSession, services: ServicesDep
) -> Response:
    try:
        limit_public_requests(request)
        found = retained.find(services.store, token)
        with (
            public_verification(request) as used,  # verified again, in ETSI's terms
            retained.local_copy(services.store, found, services.settings.upload_tmp_dir) as kept,
        ):
            xml = service.verify_upload_etsi(db, services, kept, used)
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    return Response(
        xml,
        media_type="application/xml",
        headers={"Content-Disposition": 'attachment; filename="informe-etsi.xml"'},
    )


@router.get("/verificar/resultado/{token}/informe.json", response_model=None)
def verify_result_json(request: Request, token: str, services: ServicesDep) -> Response:
    try:
        found = retained.find(services.store, token)
    except DomainError as exc:
        return _form_page(request, services, error=exc)
    return Response(
        json.dumps(found.report, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="informe-verificacion.json"'},
    )


@router.get("/verificar/{code}", response_model=None)
def verify_code(request: Request, code: str, db: DbSession, services: ServicesDep) -> Response:
    try:
        limit_public_requests(request)
        record = service.public_record(db, services.settings, code)
    except DomainError as exc:
        return _form_page(request, services, error=exc, code=code[:40])
    return render(request, services, "verify_record.html", record=record)
