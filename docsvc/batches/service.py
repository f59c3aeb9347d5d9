"""Batch signing jobs.

The PIN is checked once, up front, with the usual lockout; a wrong one makes no job. The
batch and its run, a job of the ``signing`` queue (``docsvc.jobs``), are written in the
request's transaction. The key the PIN opened goes with the run sealed to the job runners
that are running (``docsvc.jobs.keyed``): the database holds nothing that opens it
without a runner's memory. A runner (``docsvc worker``, or the serving process on SQLite)
then runs it:

- pyHanko's CPU work runs in the runner's warm processes (``processes.WarmProcesses``: one
  per core, started with the runner and kept between jobs). Each file travels with the
  run's key; a process opens it at its first file and keeps it for the next ones.
- The runner does everything else, per item on a small thread pool so that fetching and
  storing overlap the signing: it plans and checks the signature, fetches the latest
  version to a temporary file, hands the file to a process, stores the result and records
  it in the item's own transaction, with the batch's progress counters. One item's failure
  rolls back only that item, and an item signed is never signed again, even when the run
  is taken over by another runner after its own was killed.

The runner reuses the single-signature path as it is (``sign_and_store``/``record_signed``,
and ``signing_lines.service.sign`` for signing lines, with all the line's rules): it hands
in a ``PdfSigner`` (``WorkersSigner``) that sends each file to the processes, in place of
the official's key, which the runner's own threads never parse.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from docsvc.actors.actor import Actor
from docsvc.audit.service import record_event
from docsvc.batches import worker
from docsvc.batches.processes import WarmProcesses, warm_processes
from docsvc.batches.schemas import (
    MAX_ITEMS,
    BatchCreated,
    BatchIn,
    BatchItemOut,
    BatchOut,
    BatchTarget,
)
from docsvc.db.base import utcnow
from docsvc.dossiers.service import get_dossier
from docsvc.errors import Conflict, DomainError, NotFound
from docsvc.jobs import keyed
from docsvc.jobs.handlers import JobContext, JobGaveUp, JobHandler, JobResult
from docsvc.models import Document, DossierItem, Job, JobState, SigningCredential
from docsvc.models.batches import BatchItem, BatchItemStatus, BatchJob, BatchStatus
from docsvc.models.signing_lines import SigningLine
from docsvc.pki.service import dev_pki
from docsvc.runtime.signing import PdfJob, PdfSigner
from docsvc.services import Services
from docsvc.signatures import service as signatures
from docsvc.signatures.credentials import (
    active_credential,
    check_not_locked,
    holds_kept_key,
    open_with_pin,
)
from docsvc.signatures.schemas import SignIn
from docsvc.signing_lines import service as lines

log = logging.getLogger("docsvc.batches")
HEARTBEAT_EVERY = timedelta(seconds=15)
# A job whose heartbeat is this old has lost its process (restarts take seconds).
STALE_AFTER = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class WorkersSigner:
    """Signs on the runner's warm processes, with the run's key (``worker.KeyHandle``)."""

    processes: WarmProcesses
    handle: worker.KeyHandle

    def sign_pdf(self, job: PdfJob) -> str:
        return self.processes.sign(self.handle, job)


# --- creating a job ------------------------------------------------------------------------


def _open_key(services: Services, credential: SigningCredential, actor: Actor, pin: str) -> bytes:
    """Open the key with the PIN (counted, with the lockout): a PKCS#12 without a
    password, to be sealed to the workers and never stored as it is."""
    return open_with_pin(services.sessions, services.keys, services.signing, credential, actor, pin)


def _enqueue(
    db: Session, services: Services, actor: Actor, job: BatchJob, plain_pkcs12: bytes
) -> None:
    """Queue the run of ``job`` on the signing queue, its key sealed to the running
    workers (``docsvc.jobs.keyed``), in the caller's transaction."""
    try:
        queued = keyed.enqueue_with_key(
            db,
            services,
            actor,
            RUN_KIND,
            {"batch_id": str(job.id)},
            queue_name="signing",
            # A run that fails is not tried again on its own: its owner resumes it.
            max_attempts=3,
            key=plain_pkcs12,
        )
    except keyed.NoLiveWorker as exc:
        raise keyed.no_worker(
            "No job worker is running to sign the batch; try again in a moment."
        ) from exc
    job.job_id = queued.id


def create_job(db: Session, services: Services, actor: Actor, body: BatchIn) -> BatchCreated:
    """Check the request and the PIN, and write the job with its queued run: a job runner
    starts it once this transaction has committed."""
    signatures.require_official(actor)
    if len(body.items) > MAX_ITEMS:
        raise Conflict(f"A batch holds at most {MAX_ITEMS} items.", code="batch_too_large")
    credential = active_credential(db, actor.user_id)
    if not holds_kept_key(credential):
        raise Conflict(
            "Batch signing needs a key kept by the service (PKCS#12); sign token or card "
            "signatures one by one.",
            code="cannot_batch_kind",
        )
    check_not_locked(credential, utcnow())
    plain = _open_key(services, credential, actor, body.pin)
    job = BatchJob(
        id=uuid.uuid4(),
        user_id=actor.user_id,
        status=BatchStatus.queued.value,
        level=body.level,
        visible=body.visible,
        total=len(body.items),
    )
    db.add(job)
    db.flush()
    for position, item in enumerate(body.items, start=1):
        db.add(
            BatchItem(
                id=uuid.uuid4(),
                job_id=job.id,
                position=position,
                document_id=item.document_id,
                dossier_id=item.dossier_id,
                line_id=item.line_id,
            )
        )
    db.flush()
    record_event(
        db,
        actor,
        "batch.create",
        object_type="batch",
        object_id=str(job.id),
        details={"items": len(body.items), "level": body.level or ""},
    )
    _enqueue(db, services, actor, job, plain)
    return BatchCreated(id=job.id, status=job.status, total=job.total)


def resume_job(
    db: Session, services: Services, actor: Actor, job_id: uuid.UUID, pin: str
) -> BatchCreated:
    """Queue an interrupted job's pending items again, after checking the PIN as
    ``create_job`` does."""
    job = _own_job(db, actor, job_id)
    if _status(db, job) != BatchStatus.interrupted.value:
        raise Conflict(
            "Only a job interrupted by a restart can be resumed.", code="batch_not_interrupted"
        )
    credential = active_credential(db, actor.user_id)
    if not holds_kept_key(credential):
        raise Conflict(
            "The signing key is no longer kept by the service.", code="cannot_batch_kind"
        )
    check_not_locked(credential, utcnow())
    plain = _open_key(services, credential, actor, pin)
    job.status = BatchStatus.queued.value
    job.error = None
    job.heartbeat_at = utcnow()
    _enqueue(db, services, actor, job, plain)
    record_event(db, actor, "batch.resume", object_type="batch", object_id=str(job.id))
    return BatchCreated(id=job.id, status=job.status, total=job.total)


INTERRUPTED = (
    "The signing stopped before every item had a result; resume the job with the PIN to "
    "sign the rest."
)


def interrupt_stale_jobs(services: Services, stale_after: timedelta = STALE_AFTER) -> int:
    """Mark as interrupted the queued or running batches that nothing will finish: their
    queued run ended without finishing them (cancelled because every worker its key was
    sealed to stopped, or failed), or, for a batch run before the queue, whose heartbeat
    stopped. Their owner resumes them with the PIN. Run now and then; returns how many."""
    cutoff = utcnow() - stale_after
    unfinished = BatchJob.status.in_([BatchStatus.queued.value, BatchStatus.running.value])
    ended = select(Job.id).where(
        Job.state.in_([JobState.cancelled.value, JobState.failed.value, JobState.succeeded.value])
    )
    # A run pruned from the queue's table (``docsvc.jobs.periodic``) has ended too.
    pruned = ~exists().where(Job.id == BatchJob.job_id)
    with services.sessions() as db:
        result = db.execute(
            update(BatchJob)
            .where(
                unfinished,
                or_(
                    BatchJob.job_id.in_(ended),
                    and_(BatchJob.job_id.is_not(None), pruned),
                    and_(
                        BatchJob.job_id.is_(None),
                        func.coalesce(BatchJob.heartbeat_at, BatchJob.created_at) < cutoff,
                    ),
                ),
            )
            .values(status=BatchStatus.interrupted.value, error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        )
        db.commit()
    return cast(Any, result).rowcount or 0


# --- running it (a job of the signing queue, on a job runner) ------------------------------

RUN_KIND = "batch.sign"


def _key_handle(services: Services, run: str, pkcs12: bytes) -> worker.KeyHandle:
    settings = services.settings
    if settings.tsa_url:
        return worker.KeyHandle(run, pkcs12, tsa_url=settings.tsa_url)
    if settings.dev_pki:
        pki = dev_pki(services.keys)
        tsa = worker.LocalTsa(
            certificate=pki.tsa.certificate.public_bytes(Encoding.DER),
            key=pki.tsa.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()),
            chain=(
                pki.issuing.certificate.public_bytes(Encoding.DER),
                pki.root.certificate.public_bytes(Encoding.DER),
            ),
            policy=settings.tsa_policy_oid,
        )
        return worker.KeyHandle(run, pkcs12, tsa=tsa)
    return worker.KeyHandle(run, pkcs12)


def warm(services: Services) -> None:
    warm_processes(services).warm()


def run_batch(services: Services, context: JobContext) -> JobResult:
    """Run every pending item of the batch on the runner's warm processes; returns when
    each has its result. Items signed by an earlier run (a worker killed part-way) are
    not signed again: each item commits on its own."""
    batch_id = uuid.UUID(str(context.payload["batch_id"]))
    if context.secret is None:
        raise JobGaveUp("the batch's run carries no key")
    actor = keyed.actor_of(services, context.payload)
    with services.sessions() as db:
        job = db.get(BatchJob, batch_id)
        if job is None:
            raise JobGaveUp("the batch is gone")
        item_ids = list(
            db.scalars(
                select(BatchItem.id)
                .where(
                    BatchItem.job_id == batch_id,
                    BatchItem.status == BatchItemStatus.pending.value,
                )
                .order_by(BatchItem.position)
            )
        )
        job.status = BatchStatus.running.value
        job.started_at = job.started_at or utcnow()
        job.heartbeat_at = utcnow()
        level, visible, total = job.level, job.visible, job.total
        db.commit()
    processes = warm_processes(services)
    handle = _key_handle(services, f"{context.job_id}:{context.attempt}", context.secret)
    signer = WorkersSigner(processes, handle)
    services.settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        with (
            _Heartbeat(services, batch_id),
            # Fetching and storing overlap the signing: twice as many items in flight as
            # there are processes to sign them.
            ThreadPoolExecutor(
                max_workers=2 * processes.count, thread_name_prefix="batch"
            ) as threads,
        ):
            futures = [
                threads.submit(_run_item, services, signer, item_id, actor, level, visible)
                for item_id in item_ids
            ]
            done = total - len(item_ids)
            for future in as_completed(futures):
                future.result()
                done += 1
                context.progress(done, total)
    except Exception as exc:
        log.exception("batch job %s failed", batch_id)
        _finish(services, batch_id, BatchStatus.failed, f"The job stopped: {type(exc).__name__}.")
        raise JobGaveUp(f"the batch stopped: {type(exc).__name__}") from exc
    _finish(services, batch_id, BatchStatus.finished, None)
    with services.sessions() as db:
        finished = db.get(BatchJob, batch_id)
        assert finished is not None
        return {"batch_id": str(batch_id), "done": finished.done, "failed": finished.failed}


JOB_HANDLERS = (JobHandler(RUN_KIND, run_batch, warm=warm, queue="signing"),)


class _Heartbeat:
    """Writes the job's ``heartbeat_at`` every ``HEARTBEAT_EVERY`` while the job runs."""

    def __init__(self, services: Services, job_id: uuid.UUID) -> None:
        self._services = services
        self._job_id = job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"batch-{job_id}-heartbeat")

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                with self._services.sessions() as db:
                    db.execute(
                        update(BatchJob)
                        .where(BatchJob.id == self._job_id)
                        .values(heartbeat_at=utcnow())
                    )
                    db.commit()
            except Exception:  # a missed beat is retried; the job goes on
                log.warning("batch %s: heartbeat not written", self._job_id, exc_info=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _finish(services: Services, job_id: uuid.UUID, status: BatchStatus, error: str | None) -> None:
    with services.sessions() as db:
        job = db.get(BatchJob, job_id)
        if job is None:
            return
        job.status = status.value
        job.error = error
        job.finished_at = utcnow()
        if status is BatchStatus.failed:
            # Items without a result failed with the job.
            pending = db.execute(
                update(BatchItem)
                .where(
                    BatchItem.job_id == job_id,
                    BatchItem.status == BatchItemStatus.pending.value,
                )
                .values(
                    status=BatchItemStatus.failed.value,
                    error_code="job_failed",
                    error=error,
                    finished_at=utcnow(),
                )
            )
            job.failed += cast(Any, pending).rowcount or 0
        db.commit()


def _run_item(
    services: Services,
    signer: PdfSigner,
    item_id: uuid.UUID,
    actor: Actor,
    level: str | None,
    visible: bool,
) -> None:
    """Sign one item and record it in its own transaction, with the job's counters."""
    try:
        with services.sessions() as db:
            item = db.get(BatchItem, item_id)
            assert item is not None
            versions = _sign_item(db, services, signer, actor, item, level, visible)
            item.status = BatchItemStatus.signed.value
            item.versions = " ".join(versions)
            item.finished_at = utcnow()
            db.execute(
                update(BatchJob).where(BatchJob.id == item.job_id).values(done=BatchJob.done + 1)
            )
            db.commit()
            return
    except DomainError as exc:
        code, message = exc.code, exc.message
    except Exception:
        log.exception("batch item %s failed", item_id)
        code, message = "internal_error", "The item could not be signed."
    with services.sessions() as db:
        item = db.get(BatchItem, item_id)
        assert item is not None
        item.status = BatchItemStatus.failed.value
        item.error_code = code
        item.error = message
        item.finished_at = utcnow()
        db.execute(
            update(BatchJob).where(BatchJob.id == item.job_id).values(failed=BatchJob.failed + 1)
        )
        db.commit()


def _sign_item(
    db: Session,
    services: Services,
    signer: PdfSigner,
    actor: Actor,
    item: BatchItem,
    level: str | None,
    visible: bool,
) -> list[str]:
    if item.line_id is not None:
        return _sign_line(db, services, signer, actor, item.line_id)
    if item.dossier_id is not None:
        document_ids = _dossier_documents(services, actor, item.dossier_id)
    else:
        assert item.document_id is not None
        document_ids = [item.document_id]
    request = SignIn(level=cast(Any, level), visible=visible)
    with tempfile.TemporaryDirectory(dir=services.settings.upload_tmp_dir) as work:
        # As a signing line does: every document signed and stored before any row is
        # written, so a dossier is signed whole or not at all.
        signed = [
            signatures.sign_and_store(db, services, actor, doc, request, Path(work), signer=signer)
            for doc in document_ids
        ]
        results = [signatures.record_signed(db, services, actor, s) for s in signed]
    return [f"{r.signature.document_id}:{r.signature.version_number}" for r in results]


def _dossier_documents(services: Services, actor: Actor, dossier_id: uuid.UUID) -> list[uuid.UUID]:
    """The dossier's documents, if the actor may read it. In its own transaction: reading
    a dossier is audited, and on SQLite a write would hold the lock that storing the
    signed files needs."""
    with services.sessions() as db:
        dossier = get_dossier(db, actor, dossier_id)
        db.commit()
    if not dossier.items:
        raise Conflict("The dossier has no documents to sign.", code="dossier_empty")
    return [entry.document_id for entry in dossier.items]


def _sign_line(
    db: Session, services: Services, signer: PdfSigner, actor: Actor, line_id: uuid.UUID
) -> list[str]:
    lines.sign(db, services, actor, line_id, None, signer)
    line = db.get(SigningLine, line_id)
    assert line is not None
    if line.document_id is not None:
        document_ids = [line.document_id]
    else:
        document_ids = list(
            db.scalars(
                select(DossierItem.document_id).where(DossierItem.dossier_id == line.dossier_id)
            )
        )
    rows = db.scalars(select(Document).where(Document.id.in_(document_ids)))
    return [f"{d.id}:{d.latest_version}" for d in rows]


# --- progress ------------------------------------------------------------------------------


def _target(item: BatchItem) -> BatchTarget:
    if item.document_id is not None:
        return BatchTarget(kind="document", id=item.document_id)
    if item.dossier_id is not None:
        return BatchTarget(kind="dossier", id=item.dossier_id)
    assert item.line_id is not None
    return BatchTarget(kind="line", id=item.line_id)


def _own_job(db: Session, actor: Actor, job_id: uuid.UUID) -> BatchJob:
    job = db.get(BatchJob, job_id)
    if job is None or job.user_id != actor.user_id:
        raise NotFound("No such batch job.", code="batch_not_found")
    return job


def _status(db: Session, job: BatchJob) -> str:
    """The batch's status as its official should see it now: a batch still queued or
    running whose run has ended without finishing it (cancelled when every worker its key
    was sealed to stopped, or failed for good) is interrupted already, before the next
    periodic ``interrupt_stale_jobs`` writes it down."""
    unfinished = (BatchStatus.queued.value, BatchStatus.running.value)
    if job.status in unfinished and job.job_id is not None:
        state = db.scalar(select(Job.state).where(Job.id == job.job_id))
        # None: the run was pruned from the queue's table long after it ended.
        if state in (JobState.cancelled.value, JobState.failed.value, None):
            return BatchStatus.interrupted.value
    return job.status


def get_job(db: Session, actor: Actor, job_id: uuid.UUID) -> BatchOut:
    """The job's progress and each item's result; only for the official who started it."""
    job = _own_job(db, actor, job_id)
    items = db.scalars(
        select(BatchItem).where(BatchItem.job_id == job.id).order_by(BatchItem.position)
    )
    status = _status(db, job)
    return BatchOut(
        id=job.id,
        status=status,
        level=job.level,
        visible=job.visible,
        total=job.total,
        done=job.done,
        failed=job.failed,
        error=INTERRUPTED if status != job.status else job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        items=[
            BatchItemOut(
                position=i.position,
                target=_target(i),
                status=i.status,
                error_code=i.error_code,
                error=i.error,
                versions=i.versions.split() if i.versions else [],
            )
            for i in items
        ],
    )
