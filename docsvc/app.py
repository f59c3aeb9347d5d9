"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from docsvc import health, periodic
from docsvc.archival import api as archival_api
from docsvc.audit import api as audit_api
from docsvc.batches import api as batches_api
from docsvc.calendar import api as calendar_api
from docsvc.composition import JOB_HANDLERS, PERIODIC_TASKS, build_services
from docsvc.config import Settings
from docsvc.documents import api as documents_api
from docsvc.dossiers import api as dossiers_api
from docsvc.http_errors import install_error_handlers
from docsvc.identity import api as identity_api
from docsvc.jobs import api as jobs_api
from docsvc.jobs.handlers import JobHandler
from docsvc.jobs.queues import concurrency_limits
from docsvc.jobs.runner import JobRunner, runs_in_app
from docsvc.maintenance.permissions import make_private, private_umask
from docsvc.maintenance.scratch import remove_dead_scratch
from docsvc.organisation import api as organisation_api
from docsvc.pki import api as pki_api
from docsvc.register import api as register_api
from docsvc.request_limits import install_request_limits
from docsvc.services import Services
from docsvc.signatures import api as signatures_api
from docsvc.signing_lines import api as signing_lines_api
from docsvc.throttles import Throttles
from docsvc.transfers import api as transfers_api
from docsvc.verification import api as verification_api
from docsvc.web import (
    admin_pages,
    archive_document_pages,
    archive_lifecycle_pages,
    archive_package_pages,
    archive_pages,
    audit_pages,
    dashboard_pages,
    document_pages,
    dossier_pages,
    draft_pages,
    line_pages,
    official_pages,
    page,
    pages,
    preservation_pages,
    registry_pages,
    verify_pages,
)
from docsvc.web.error_pages import error_page
from docsvc.web.security_headers import SecurityHeadersMiddleware
from signing.appearance import stamp_font_bytes
from signing.verification import quiet_validation_logs

log = logging.getLogger("docsvc")


def create_app(
    settings: Settings,
    services: Services | None = None,
    *,
    job_handlers: tuple[JobHandler, ...] = JOB_HANDLERS,
) -> FastAPI:
    """``job_handlers``: what the in-process job runner runs (the features', and the
    tests' own kinds beside them)."""
    quiet_validation_logs()
    private_umask()
    services = services or build_services(settings)
    # The settings given win (the same database and store, configured as asked), and the
    # application counts its clients afresh.
    services = dataclasses.replace(
        services, settings=settings, limits=Throttles.for_settings(settings)
    )

    # Checked here, so a mistaken DOCSVC_JOB_CONCURRENCY stops the start at once.
    job_limits = concurrency_limits(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Request work runs in this many threads; the database pool has a connection for
        # each (and one more for failures recorded on the side), so bursts wait here.
        to_thread.current_default_thread_limiter().total_tokens = services.settings.request_threads
        # Copies of documents left by processes killed mid-request (kill -9) go first.
        await run_in_threadpool(remove_dead_scratch, services.settings)
        # Files made before the service kept them private (a store of thousands of objects
        # takes a few seconds: off the event loop, not awaited).
        private = asyncio.create_task(run_in_threadpool(make_private, services.settings.data_dir))
        # Said at every start (and in /readyz, and to admins on the pages).
        for warning in health.development_warnings(services.settings):
            log.warning("%s", warning)
        # The stamp font is subset once per process (a second or more): do it now, off the
        # event loop, rather than in the first signing request.
        warm = asyncio.create_task(run_in_threadpool(stamp_font_bytes))
        # The public verifier's worker processes start with the service, not on the first
        # uploads (starting one takes a second).
        warm_verifier = asyncio.create_task(run_in_threadpool(services.verifier.warm))
        tasks = periodic.start(PERIODIC_TASKS, services)
        # On SQLite the serving process runs the job queue itself: `make run` is the whole
        # service. On PostgreSQL `docsvc worker` processes do, unless configured otherwise.
        jobs: JobRunner | None = None
        if runs_in_app(services.settings):
            jobs = JobRunner(
                services, job_handlers, job_limits, warm=services.settings.job_warm_start
            )
            jobs.start()
        try:
            yield
        finally:
            if jobs is not None:
                # Claims stop at once; running jobs get the drain to finish, the rest go
                # back to their queues (off the event loop: it may take a while).
                await run_in_threadpool(jobs.stop)
            with contextlib.suppress(Exception):
                await warm
            with contextlib.suppress(Exception):
                await warm_verifier
            with contextlib.suppress(Exception):
                await private
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = FastAPI(
        title="docsvc",
        version="0.1.0",
        summary="Signed, versioned official records and a tamper-evident register.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_error_handlers(app, error_page)
    install_request_limits(
        app,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        max_package_bytes=settings.max_package_bytes,
    )
    app.add_exception_handler(page.LoginRequired, page.to_login)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in (
        health.router,
        # Early: anyone may post files to it, as fast as they like, and each route tried
        # before the one that matches costs a little of every request.
        verification_api.router,
        identity_api.router,
        organisation_api.router,
        documents_api.router,
        dossiers_api.router,
        audit_api.router,
        pki_api.router,
        signatures_api.router,
        signing_lines_api.router,
        batches_api.router,
        jobs_api.router,
        register_api.router,
        register_api.public_router,
        register_api.cases_router,
        transfers_api.router,
        archival_api.router,
        calendar_api.router,
        pages.router,
        verify_pages.router,
        # Before the official pages: /firmas/nueva is no signing line's id.
        line_pages.router,
        official_pages.router,
        dashboard_pages.router,
        audit_pages.router,
        admin_pages.router,
        registry_pages.router,
        # Fixed addresses under /archivo, and /expedientes/{id}/clasificar.
        archive_pages.router,
        archive_package_pages.router,
        archive_lifecycle_pages.router,
        preservation_pages.router,
        archive_document_pages.router,
        # Before the document pages: /documentos/nuevo is no document id.
        draft_pages.router,
        dossier_pages.router,
        document_pages.router,
    ):
        app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    return app
