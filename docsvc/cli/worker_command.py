"""``docsvc worker``: runs queued jobs until SIGTERM or SIGINT, then drains.

With PostgreSQL, the serving processes do not run jobs (unless ``DOCSVC_JOBS_IN_APP``):
one or more of these do, on any host, each with its own slots per queue. On SQLite the
serving process runs them itself; a worker there only adds slots."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from docsvc import composition
from docsvc.cli.common import fail, load_settings
from docsvc.composition import build_services
from docsvc.config import Settings
from docsvc.jobs import queue
from docsvc.jobs.queues import QUEUES, concurrency_limits
from docsvc.jobs.runner import JobRunner, run_until

_QUEUE_NAMES = ", ".join(queue.name for queue in QUEUES)


def _parse_concurrency(values: list[str]) -> dict[str, int]:
    limits: dict[str, int] = {}
    for value in values:
        name, sep, number = value.partition("=")
        if not sep or not number.strip().isdigit():
            fail(f"--concurrency takes QUEUE=NUMBER, not {value!r}", 2)
        limits[name.strip()] = int(number)
    return limits


def _parse_queues(values: list[str]) -> list[str] | None:
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None


def _check(settings: Settings) -> None:
    """A live runner of this host: it renews its row in job_workers every few seconds, so
    one not seen for a stale period is hung or gone."""
    services = build_services(settings)
    try:
        live = queue.live_workers(
            services.sessions,
            f"{socket.gethostname()}:",
            timedelta(seconds=settings.job_stale_seconds),
        )
    finally:
        services.close()
    if not live:
        fail("no job worker of this host was seen lately", 1)
    typer.echo(f"{len(live)} job runner(s) alive on this host: {', '.join(live)}")


def worker(
    queues: Annotated[
        list[str] | None,
        typer.Option(
            "--queues",
            help=f"Queues to serve, comma-separated or repeated (default: all: {_QUEUE_NAMES}).",
        ),
    ] = None,
    concurrency: Annotated[
        list[str] | None,
        typer.Option(
            "--concurrency",
            help="QUEUE=NUMBER: jobs of that queue run at once here (repeatable; over "
            "DOCSVC_JOB_CONCURRENCY and the defaults).",
        ),
    ] = None,
    drain_seconds: Annotated[
        float | None,
        typer.Option(
            "--drain-seconds",
            min=0,
            help="On stop, how long to wait for running jobs (default DOCSVC_JOB_DRAIN_SECONDS).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Start nothing: exit 0 if a worker on this host was seen lately, else 1 "
            "(a container's health check).",
        ),
    ] = False,
) -> None:
    """Run queued jobs until SIGTERM or SIGINT, then stop claiming, let the running jobs
    finish (the drain) and exit 0. A second signal ends the drain at once. Jobs still
    running when the drain ends go back to their queues, and the exit status is 1."""
    settings = load_settings()
    if check:
        _check(settings)
        return
    try:
        limits = concurrency_limits(
            settings, _parse_queues(queues or []), _parse_concurrency(concurrency or [])
        )
    except ValueError as exc:
        fail(str(exc), 2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = build_services(settings)
    stop, hurry = threading.Event(), threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        if stop.is_set():
            hurry.set()
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        # Read at the call: the composition root's table is the one place handlers are.
        runner = JobRunner(services, composition.JOB_HANDLERS, limits, warm=True)
        finished = run_until(runner, stop, drain=drain_seconds, hurry=hurry)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        services.close()
    if not finished:
        fail("stopped with jobs still running: they went back to their queues", 1)
    typer.echo("worker stopped: every running job finished", err=True)
