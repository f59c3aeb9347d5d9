"""Liveness and readiness."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from docsvc.config import Environment, Settings
from docsvc.deps import ServicesDep
from docsvc.services import Services
from docsvc.signatures.pepper import pepper_inside_data_dir
from storage import StorageError

router = APIRouter(tags=["health"])
log = logging.getLogger("docsvc.health")


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up; says nothing about its dependencies."""
    return {"status": "ok"}


def _check(services: Services) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        with services.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready"; the reason goes to the log
        log.warning("readiness: database: %s", exc)
        checks["database"] = "unavailable"
    try:
        services.store.check_ready()
        checks["store"] = "ok"
    except StorageError as exc:
        log.warning("readiness: store: %s", exc)
        checks["store"] = "unavailable"
    return checks


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """Ready when the database answers and the object store can be written and read."""
    checks = await run_in_threadpool(_check, services)
    ready = all(v == "ok" for v in checks.values())
    body: dict[str, object] = {"status": "ready" if ready else "unavailable", "checks": checks}
    warnings = development_warnings(services.settings)
    if warnings:
        body["warnings"] = warnings
    return JSONResponse(body, status_code=200 if ready else 503)


def development_warnings(settings: Settings) -> list[str]:
    """What an operator must know before trusting this installation with records."""
    if settings.env is Environment.production:
        if pepper_inside_data_dir(settings):
            return [
                "the key pepper is inside the data directory: a copy of it and of the "
                "database together yields officials' keys; set DOCSVC_KEY_PEPPER_FILE to a "
                "file outside it"
            ]
        return []
    if settings.env is not Environment.development:
        return []
    found = ["development mode: the PKI is the institution's own development one"]
    if settings.public_secret_in_use:
        found.append(
            "keys at rest and form tokens are under the public development secret: anyone can "
            "decrypt the PKI's keys and forge login tokens; set DOCSVC_SECRET_KEY"
        )
    if settings.periodic_time_scale != 1:
        found.append(
            f"the periodic schedule runs {settings.periodic_time_scale:g} times faster "
            "(DOCSVC_PERIODIC_TIME_SCALE): checkpoints and sweeps come that much more often"
        )
    return found
