"""The job runner's warm signing processes: one per core, started with ``spawn`` (the
runner has threads and database connections that must not be forked) when the runner
starts, and kept between batch jobs, so that a batch of twelve pays no process start.

Each file goes to whichever process is free with its run's key (``worker.KeyHandle``); a
process that dies (killed, out of memory) breaks the pool, which is replaced at once and
the file tried again on the new one."""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from docsvc.batches import worker
from docsvc.runtime.signing import PdfJob
from docsvc.services import Services

SHARED_NAME = "batch signing processes"


class WarmProcesses:
    def __init__(self, count: int) -> None:
        self.count = count
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=worker.initialise,
        )

    def pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = self._start()
            return self._pool

    def warm(self) -> None:
        """Start every process now (a pool starts them on demand), so that the first
        batch finds them ready."""
        pool = self.pool()
        for future in [pool.submit(os.getpid) for _ in range(self.count * 2)]:
            future.result()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def sign(self, handle: worker.KeyHandle, job: PdfJob) -> str:
        # Only whether this level asks for a timestamp travels: the process has its own
        # timestamper (the parsed one does not pickle).
        arguments = (
            handle,
            str(job.source),
            str(job.target),
            job.request,
            job.timestamper is not None,
            job.material,
        )
        pool = self.pool()
        try:
            return pool.submit(worker.sign, *arguments).result()
        except BrokenProcessPool:
            self._replace(pool)
            return self.pool().submit(worker.sign, *arguments).result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def warm_processes(services: Services) -> WarmProcesses:
    count = services.settings.batch_processes or os.cpu_count() or 1
    return services.shared(SHARED_NAME, lambda: WarmProcesses(count))
