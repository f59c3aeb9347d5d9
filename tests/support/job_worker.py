"""``docsvc`` with two test-only job kinds beside the features' handlers, for running
``docsvc worker`` as a real process in tests/cli/test_worker_command.py:

    python -m tests.support.job_worker worker --queues exports

- ``test.echo`` returns its payload;
- ``test.sleep`` sleeps ``payload["seconds"]``, reporting its progress every tenth of a
  second, and returns how long it slept."""

from __future__ import annotations

import time

from docsvc import composition
from docsvc.cli.main import main
from docsvc.jobs.handlers import JobContext, JobHandler, JobResult
from docsvc.services import Services


def echo(services: Services, context: JobContext) -> JobResult:
    return {"echo": dict(context.payload)}


def sleep(services: Services, context: JobContext) -> JobResult:
    seconds = float(context.payload["seconds"])
    steps = max(1, round(seconds * 10))
    for step in range(steps):
        context.progress(step, steps)
        time.sleep(seconds / steps)
    context.progress(steps, steps)
    return {"slept": seconds, "stopping_seen": context.stopping()}


TEST_HANDLERS = (JobHandler("test.echo", echo), JobHandler("test.sleep", sleep))

if __name__ == "__main__":
    # The worker command reads the composition root's table when it starts.
    composition.JOB_HANDLERS = (*composition.JOB_HANDLERS, *TEST_HANDLERS)
    main()
