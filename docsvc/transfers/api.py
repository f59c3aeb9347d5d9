"""Transfer routes under /api/v1/transfers."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.query_types import Offset
from docsvc.transfers import service
from docsvc.transfers.schemas import (
    Deadlines,
    ReceiptIn,
    ReturnIn,
    TransferIn,
    TransferOut,
    TransferPage,
)

router = APIRouter(prefix="/api/v1/transfers", tags=["transfers"])


@router.post("", status_code=201)
def send(body: TransferIn, actor: ActorDep, db: DbSession, services: ServicesDep) -> TransferOut:
    """Send a document or dossier to another department with a transfer note signed with
    your key (type your PIN, or have your signing session open)."""
    return service.send(db, services, actor, body)


@router.get("")
def list_transfers(
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    box: Literal["incoming", "outgoing"] = "incoming",
    status: Literal["sent", "acknowledged", "returned"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> TransferPage:
    """Your department's transfers received (``incoming``) or sent (``outgoing``)."""
    return service.list_transfers(db, actor, services.settings, box, status, limit, offset)


@router.get("/deadlines")
def deadlines(
    actor: ActorDep,
    db: DbSession,
    services: ServicesDep,
    department: str | None = None,
    soon_days: Annotated[int, Query(ge=0, le=60)] = 2,
) -> Deadlines:
    """What a department must answer: overdue, and due within ``soon_days`` business days."""
    return service.deadlines(db, actor, services.settings, department, soon_days)


@router.get("/{transfer_id}")
def get(
    transfer_id: uuid.UUID, actor: ActorDep, db: DbSession, services: ServicesDep
) -> TransferOut:
    return service.get(db, actor, services.settings, transfer_id)


@router.post("/{transfer_id}/acknowledge")
def acknowledge(
    transfer_id: uuid.UUID, body: ReceiptIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> TransferOut:
    """Acknowledge receipt with a signed receipt."""
    return service.answer(db, services, actor, transfer_id, body.pin)


@router.post("/{transfer_id}/return")
def return_transfer(
    transfer_id: uuid.UUID, body: ReturnIn, actor: ActorDep, db: DbSession, services: ServicesDep
) -> TransferOut:
    """Send it back with a reason, in a signed receipt."""
    return service.answer(
        db, services, actor, transfer_id, body.pin, service.check_reason(body.reason)
    )


def _record(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
    )


def _signature(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/pkcs7-signature",
        headers={"Content-Disposition": f'attachment; filename="{name}.p7s"'},
    )


@router.get("/{transfer_id}/record")
def transfer_record(transfer_id: uuid.UUID, actor: ActorDep, db: DbSession) -> Response:
    """The signed transfer note: RFC 8785 JSON, byte for byte as signed."""
    return _record(service.signed_record(db, actor, transfer_id, receipt=False)[0], "traslado")


@router.get("/{transfer_id}/signature")
def transfer_signature(transfer_id: uuid.UUID, actor: ActorDep, db: DbSession) -> Response:
    """Its detached CAdES signature (DER)."""
    return _signature(service.signed_record(db, actor, transfer_id, receipt=False)[1], "traslado")


@router.get("/{transfer_id}/receipt/record")
def receipt_record(transfer_id: uuid.UUID, actor: ActorDep, db: DbSession) -> Response:
    return _record(service.signed_record(db, actor, transfer_id, receipt=True)[0], "acuse")


@router.get("/{transfer_id}/receipt/signature")
def receipt_signature(transfer_id: uuid.UUID, actor: ActorDep, db: DbSession) -> Response:
    return _signature(service.signed_record(db, actor, transfer_id, receipt=True)[1], "acuse")
