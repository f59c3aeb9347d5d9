"""The composition root: the one place that knows every feature.

It builds the ``Services`` registry with what features above ``signatures`` contribute,
and collects each feature's periodic tasks for the application's lifespan and its job
handlers for the job runner (the lifespan's, or ``docsvc worker``'s). The web pages, the
CLI and the application factory build services here, never piece by piece."""

from __future__ import annotations

from docsvc import services as kernel
from docsvc.archival import export_jobs, fixity, import_jobs, renewal
from docsvc.archival import periodic as archival_periodic
from docsvc.batches import periodic as batches_periodic
from docsvc.batches import service as batches_service
from docsvc.config import Settings
from docsvc.jobs import periodic as jobs_periodic
from docsvc.jobs.handlers import JobHandler
from docsvc.maintenance import periodic as maintenance_periodic
from docsvc.notifications import delivery as notifications_delivery
from docsvc.notifications import periodic as notifications_periodic
from docsvc.periodic import PeriodicTask
from docsvc.register import periodic as register_periodic
from docsvc.services import Services, SignatureRequestCheck
from docsvc.signatures import periodic as signatures_periodic
from docsvc.signing_lines import seal_jobs
from docsvc.signing_lines.service import awaits_signature_on
from docsvc.transfers import periodic as transfers_periodic
from docsvc.transfers.service import sent_for_signature
from docsvc.verification import periodic as verification_periodic
from storage import ObjectStore

SIGNATURE_REQUESTS: tuple[SignatureRequestCheck, ...] = (awaits_signature_on, sent_for_signature)

PERIODIC_TASKS: tuple[PeriodicTask, ...] = (
    *maintenance_periodic.TASKS,
    *signatures_periodic.TASKS,
    *batches_periodic.TASKS,
    *verification_periodic.TASKS,
    *register_periodic.TASKS,
    *notifications_periodic.TASKS,
    *transfers_periodic.TASKS,
    *archival_periodic.TASKS,
    *fixity.TASKS,
    *renewal.TASKS,
    *jobs_periodic.TASKS,
)

# Each feature that hands work to the job queue declares its handlers in its own module
# (``JOB_HANDLERS: tuple[JobHandler, ...]``), collected here like the periodic tasks.
JOB_HANDLERS: tuple[JobHandler, ...] = (
    *batches_service.JOB_HANDLERS,
    *seal_jobs.JOB_HANDLERS,
    *notifications_delivery.JOB_HANDLERS,
    *fixity.JOB_HANDLERS,
    *renewal.JOB_HANDLERS,
    *export_jobs.JOB_HANDLERS,
    *import_jobs.JOB_HANDLERS,
)


def build_services(settings: Settings, store: ObjectStore | None = None) -> Services:
    """``store`` overrides the configured one; tests use it to inject faults beside a real
    store."""
    return kernel.build_services(settings, store, signature_requests=SIGNATURE_REQUESTS)
