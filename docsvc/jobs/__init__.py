"""The durable job queue: work handed over to run outside the request, in named queues
with priorities, per-queue concurrency, retries with back-off, and recovery of jobs whose
worker died. A kernel: features enqueue jobs and declare handlers; it knows no feature.

- ``queues.py``: the named queues and their slots per process.
- ``queue.py``: enqueue (in the caller's transaction), claim, progress, outcome, recovery.
- ``handlers.py``: ``JobHandler`` (what a feature declares per kind of job) and what a
  handler is given.
- ``backoff.py``: the delay before a retry.
- ``runner.py``: ``JobRunner``, run by the app's lifespan (SQLite) or ``docsvc worker``.
- ``sealing.py``: secrets sealed to each live runner's X25519 key.
- ``keyed.py``: enqueuing a job that acts for an official with her key (a batch, a
  dossier's seal), and who the job acts as.
- ``api.py``, ``schemas.py``: ``GET /api/v1/jobs/{id}`` for the job's owner or an admin.
"""
