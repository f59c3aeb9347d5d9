"""Register routes under /api/v1/register."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse

from docsvc.deps import ActorDep, DbSession, ServicesDep
from docsvc.errors import InvalidInput, NotFound, TooManyRequests
from docsvc.ledger import checkpoints, log
from docsvc.models.register import Direction
from docsvc.query_types import Offset
from docsvc.register import history, service
from docsvc.register.schemas import (
    AnnulIn,
    ConsistencyProofOut,
    DirectionName,
    EntryIn,
    EntryOut,
    EntryPage,
    InclusionProofOut,
    LeafOut,
)
from transparency import ProofError

router = APIRouter(prefix="/api/v1/register", tags=["register"])


@router.post("/entries", status_code=201)
def create_entry(body: EntryIn, actor: ActorDep, db: DbSession, services: ServicesDep) -> EntryOut:
    """Register a document or dossier as incoming or outgoing; it gets the department's
    next registry number for the year, e.g. ``DAJ-E-2026-000042``."""
    return service.create_entry(db, services.settings, actor, body)


@router.get("/entries")
def list_entries(
    actor: ActorDep,
    db: DbSession,
    department_id: uuid.UUID | None = None,
    direction: DirectionName | None = None,
    year: Annotated[int | None, Query(ge=1900, le=9999)] = None,
    document_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[Offset, Query()] = 0,
) -> EntryPage:
    return service.list_entries(
        db,
        actor,
        department_id=department_id,
        direction=Direction(direction) if direction else None,
        year=year,
        document_id=document_id,
        limit=limit,
        offset=offset,
    )


@router.get("/entries/{entry_id}")
def get_entry(entry_id: uuid.UUID, actor: ActorDep, db: DbSession) -> EntryOut:
    return service.get_entry(db, actor, entry_id)


@router.post("/entries/{entry_id}/annul")
def annul_entry(entry_id: uuid.UUID, body: AnnulIn, actor: ActorDep, db: DbSession) -> EntryOut:
    """Annul an entry with a reason. It keeps its number and stays in the register."""
    return service.annul_entry(db, actor, entry_id, body)


# --- the transparency log: public, no login (docs/contracts.md) ----------------------------------

public_router = APIRouter(prefix="/api/v1/register", tags=["register (public)"])

NonNegative = Annotated[int, Query(ge=0, le=2**62)]


def _proof_error(exc: ProofError) -> InvalidInput:
    return InvalidInput(str(exc), code="bad_proof_request")


@public_router.get("/size")
def log_size(db: DbSession) -> dict[str, int]:
    """How many leaves the register's log holds now."""
    return {"size": log.log_size(db)}


@public_router.get("/proof/inclusion")
def inclusion_proof(index: NonNegative, size: NonNegative, db: DbSession) -> InclusionProofOut:
    """Leaf ``index``'s inclusion proof in the tree of ``size`` leaves (RFC 9162)."""
    try:
        leaf_hash, proof, _ = log.inclusion(db, index, size)
    except ProofError as exc:
        raise _proof_error(exc) from exc
    return InclusionProofOut(
        index=index, size=size, leaf_hash=leaf_hash.hex(), proof=[p.hex() for p in proof]
    )


@public_router.get("/proof/consistency")
def consistency_proof(
    first: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    second: Annotated[int, Query(alias="to", ge=0, le=2**62)],
    db: DbSession,
) -> ConsistencyProofOut:
    """The proof that the tree of ``to`` leaves extends the tree of ``from`` (RFC 9162)."""
    try:
        proof, _ = log.consistency(db, first, second)
    except ProofError as exc:
        raise _proof_error(exc) from exc
    return ConsistencyProofOut.model_validate(
        {"from": first, "to": second, "proof": [p.hex() for p in proof]}
    )


@public_router.get("/leaves/{index}")
def get_leaf(index: Annotated[int, Path(ge=0, le=2**62)], db: DbSession) -> LeafOut:
    """One leaf: its hash and its canonical JSON. Confidential details show only as
    ``details_sha256``; ``GET .../details`` gives them to staff after login."""
    row = log.leaf(db, index)
    if row is None:
        raise NotFound(f"The register has no leaf {index}.", code="leaf_not_found")
    return LeafOut(index=index, leaf_hash=bytes(row.leaf_hash).hex(), leaf=json.loads(row.leaf))


@router.get("/leaves/{index}/details")
def get_leaf_details(
    index: Annotated[int, Path(ge=0, le=2**62)], actor: ActorDep, db: DbSession
) -> dict[str, Any]:
    """The salted details a leaf commits to (hash them, canonically, to check)."""
    return service.leaf_details(db, actor, index)


class NoCheckpointYet(TooManyRequests):
    """The register has no signed checkpoint yet: a 503 with Retry-After (a kind of
    ``TooManyRequests``, whose handler sends that header)."""

    status_code = 503
    default_code = "no_checkpoint_yet"


@public_router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(db: DbSession) -> str:
    """The latest checkpoint: a C2SP signed note (origin, size, base64 root), signed with the
    institution's register seal key and carrying an RFC 3161 time-stamp line. Reading it
    signs nothing: checkpoints are made by the service (at start-up and then on a schedule,
    when the log has grown) and on staff's request; before the first, a 503."""
    checkpoint = checkpoints.latest(db)
    if checkpoint is None:
        raise NoCheckpointYet(
            "The register has no signed checkpoint yet; the service signs the first one "
            "when it starts. Try again in a minute.",
            retry_after=60,
        )
    return checkpoint.note


@public_router.get("/key", response_class=PlainTextResponse)
def verifier_key(services: ServicesDep) -> str:
    """The register seal key's verifier key, ``<name>+<hash>+<base64 key>``, to pin."""
    return str(checkpoints.verifier_key(services.keys)) + "\n"


@router.post("/checkpoints", status_code=201, response_class=PlainTextResponse)
def new_checkpoint(actor: ActorDep, db: DbSession, services: ServicesDep) -> str:
    """Sign a checkpoint now (they are also made on a schedule)."""
    return service.checkpoint_now(db, services.keys, actor).note


cases_router = APIRouter(prefix="/api/v1/cases", tags=["cases"])


@cases_router.get("/{case_id}")
def case_history(
    case_id: uuid.UUID, actor: ActorDep, db: DbSession, services: ServicesDep
) -> history.CaseHistory:
    """The whole chain of a case in time order: register entries, transfers, receipts,
    versions and signatures, each with its inclusion proof against a signed checkpoint."""
    return history.case_history(db, services.keys, actor, case_id)
