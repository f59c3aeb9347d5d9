"""The application factory."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

from anyio import to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from docsvc import health
from docsvc.audit import api as audit_api
from docsvc.batches import api as batches_api
from docsvc.calendar import api as calendar_api
from docsvc.config import Settings
from docsvc.db.base import utcnow
from docsvc.documents import api as documents_api
from docsvc.dossiers import api as dossiers_api
from docsvc.http_errors import install_error_handlers
from docsvc.identity import api as identity_api
from docsvc.maintenance import periodic
from docsvc.maintenance.orphans import clean_orphans
from docsvc.maintenance.permissions import make_private, private_umask
from docsvc.maintenance.scratch import remove_dead_scratch
from docsvc.notifications.outbox import send_pending
from docsvc.organisation import api as organisation_api
from docsvc.pki import api as pki_api
from docsvc.register import api as register_api
from docsvc.request_limits import install_request_limits
from docsvc.services import Services, build_services
from docsvc.signatures import api as signatures_api
from docsvc.signing_lines import api as signing_lines_api
from docsvc.throttles import install_throttles
from docsvc.transfers import api as transfers_api
from docsvc.verification import api as verification_api
from docsvc.verification import workers as verification_workers
from docsvc.verification.rate_limit import RateLimiter, VerificationBudget
from docsvc.web import (
    dashboard_pages,
    document_pages,
    official_pages,
    pages,
    registry_pages,
    verify_pages,
)
from docsvc.web.security_headers import SecurityHeadersMiddleware
from signing.appearance import stamp_font_bytes
from signing.verification import quiet_validation_logs

log = logging.getLogger("docsvc")
ORPHAN_SWEEP_INTERVAL = timedelta(hours=1)
# Unlocked keys are forgotten on their next use after expiry; this forgets those of
# officials who never come back, so no parsed key outlives its session by much.
KEY_SWEEP_INTERVAL = timedelta(seconds=30)
# Officials expect the e-mail soon after the inbox entry; the outbox is cheap when empty.
OUTBOX_INTERVAL = timedelta(seconds=5)


def _sweep_once(services: Services) -> None:
    remove_dead_scratch(services.settings)
    with services.sessions() as db:
        clean_orphans(
            db,
            services.store,
            grace=timedelta(minutes=services.settings.orphan_grace_minutes),
            upload_tmp_dir=services.settings.upload_tmp_dir,
        )
        db.commit()


async def _sweep_orphans_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(ORPHAN_SWEEP_INTERVAL.total_seconds())
        try:
            await run_in_threadpool(_sweep_once, services)
        except Exception:  # a failed sweep must not stop the service; retried next hour
            log.exception("orphan sweep failed")


async def _forget_expired_keys_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(KEY_SWEEP_INTERVAL.total_seconds())
        services.signing.keys.sweep(utcnow())
        services.signing.recent.sweep(utcnow())


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    quiet_validation_logs()
    private_umask()
    services = services or build_services(settings)
    if services.settings is not settings:
        # The settings given win: the same database and store, configured as asked.
        services = dataclasses.replace(services, settings=settings)

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
        warm_verifier = asyncio.create_task(
            run_in_threadpool(verification_workers.verifier(services.settings).warm)
        )
        tasks = [
            asyncio.create_task(_sweep_orphans_forever(services)),
            asyncio.create_task(_forget_expired_keys_forever(services)),
            asyncio.create_task(
                periodic.run_forever(
                    "batch recovery",
                    periodic.STALE_JOB_CHECK_INTERVAL,
                    periodic.interrupt_stale_batches,
                    services,
                )
            ),
            asyncio.create_task(
                periodic.run_forever(
                    "verification sweep",
                    periodic.RETAINED_SWEEP_INTERVAL,
                    periodic.sweep_retained_verifications,
                    services,
                )
            ),
            asyncio.create_task(
                periodic.run_forever(
                    "register checkpoint",
                    periodic.CHECKPOINT_INTERVAL,
                    periodic.checkpoint_register,
                    services,
                )
            ),
        ]
        if services.settings.smtp_enabled:
            tasks.append(
                asyncio.create_task(
                    periodic.run_forever("e-mail outbox", OUTBOX_INTERVAL, send_pending, services)
                )
            )
        try:
            yield
        finally:
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
    app.state.public_limiter = RateLimiter(settings.public_requests_per_minute)
    app.state.verification_budget = VerificationBudget.for_settings(settings)
    install_throttles(app, settings)
    install_error_handlers(app)
    install_request_limits(
        app, max_body_bytes=settings.max_body_bytes, max_upload_bytes=settings.max_upload_bytes
    )
    app.add_exception_handler(pages.LoginRequired, pages.to_login)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in (
        health.router,
        identity_api.router,
        organisation_api.router,
        documents_api.router,
        dossiers_api.router,
        audit_api.router,
        pki_api.router,
        signatures_api.router,
        signing_lines_api.router,
        batches_api.router,
        register_api.router,
        register_api.public_router,
        register_api.cases_router,
        transfers_api.router,
        calendar_api.router,
        verification_api.router,
        pages.router,
        verify_pages.router,
        official_pages.router,
        dashboard_pages.router,
        registry_pages.router,
        document_pages.router,
    ):
        app.include_router(router)
    app.mount(
        "/static", StaticFiles(directory=Path(__file__).parent / "web" / "static"), name="static"
    )
    return app
