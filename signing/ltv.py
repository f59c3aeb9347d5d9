"""Keeping a signed PDF verifiable for decades: archive timestamps renewed in time.

A signature's proof rests on its last timestamp. That proof holds only while the
authority's certificate is valid and its algorithms are trusted, so before the first of
those ends a new document timestamp is added over everything (PAdES B-LTA, ETSI EN 319
142-1 §5.5): the validation data of the previous timestamp goes into the DSS, then a new
timestamp, made by an authority whose certificate reaches further, covers the lot.
``signing.verification`` checks the resulting chain link by link.

- ``last_timestamp``: what protects the document now, read without trusting it.
- ``renewal_date``: the day by which it must be renewed (``signing.algorithm_sunset``).
- ``extend``: adds the new archive timestamp, as an incremental update; a B-LT document
  becomes B-LTA this way."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import cms, tsp
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.general import extract_certificate_info
from pyhanko.sign.signers.pdf_signer import PdfTimeStamper
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.validation import async_validate_pdf_signature, async_validate_pdf_timestamp
from pyhanko.sign.validation.errors import SignatureValidationError

from signing.algorithm_sunset import Suite, UnknownAlgorithm, row
from signing.errors import SigningError
from signing.pades import ValidationMaterial


class RenewalError(SigningError):
    """The document cannot be extended: unreadable, unsigned, or its last timestamp no
    longer validates (renewed too late: nothing can restore that proof)."""


@dataclass(frozen=True, slots=True)
class TimestampFacts:
    """The document's last timestamp, as read (not judged)."""

    at: dt.datetime
    authority: str
    authority_expires: dt.datetime
    digest: str
    key_family: str
    key_bits: int
    # A document timestamp (B-LTA), or a signature's own timestamp token.
    archive: bool
    # Archive timestamps the document carries.
    archive_count: int


def _token_facts(signed_data: cms.SignedData, archive: bool, count: int) -> TimestampFacts:
    info = signed_data["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    cert = extract_certificate_info(signed_data).signer_cert
    key = cert.public_key
    family = key.algorithm  # "rsa", "ec", "ed25519", ...
    bits = key.bit_size if family in ("rsa", "ec", "dsa") else 0
    return TimestampFacts(
        at=info["gen_time"].native,
        authority=cert.subject.human_friendly,
        authority_expires=cert["tbs_certificate"]["validity"]["not_after"].native,
        digest=info["message_imprint"]["hash_algorithm"]["algorithm"].native,
        key_family=family,
        key_bits=bits,
        archive=archive,
        archive_count=count,
    )


def _open(path: Path) -> PdfFileReader:
    try:
        return PdfFileReader(path.open("rb"), strict=False)
    except (PdfError, ValueError, TypeError, KeyError, OSError) as exc:
        raise RenewalError(f"the document cannot be read: {exc}") from exc


def last_timestamp(path: Path) -> TimestampFacts | None:
    """The latest archive timestamp, else the latest signature's own timestamp; None when
    nothing in the document is timestamped (B-B, or unsigned)."""
    reader = _open(path)
    try:
        stamps = sorted(reader.embedded_timestamp_signatures, key=lambda s: s.signed_revision)
        if stamps:
            return _token_facts(stamps[-1].signed_data, True, len(stamps))
        signatures = sorted(reader.embedded_regular_signatures, key=lambda s: s.signed_revision)
        for embedded in reversed(signatures):
            unsigned = embedded.signer_info["unsigned_attrs"]
            for attribute in unsigned or ():
                if attribute["type"].native == "signature_time_stamp_token":
                    return _token_facts(attribute["values"][-1]["content"], False, 0)
        return None
    except (SignatureValidationError, PdfError, ValueError, TypeError, KeyError) as exc:
        raise RenewalError(f"the document's timestamps cannot be read: {exc}") from exc
    finally:
        reader.stream.close()


def weakest(facts: TimestampFacts, rows: tuple[Suite, ...]) -> tuple[Suite, Suite]:
    """The table's rows for the timestamp's hash and for its authority's key."""
    return row(rows, facts.digest), row(rows, facts.key_family, facts.key_bits)


def renewal_date(facts: TimestampFacts, rows: tuple[Suite, ...]) -> dt.date:
    """The last day the timestamp still proves anything: its authority's certificate
    expires, or one of its algorithms reaches its sunset, whichever comes first. An
    algorithm the table does not know counts as already past."""
    ends = [facts.authority_expires.date()]
    try:
        ends += [s.sunset for s in weakest(facts, rows) if s.sunset is not None]
    except UnknownAlgorithm:
        return dt.date.min
    return min(ends)


async def _last_proof_holds(reader: PdfFileReader, material: ValidationMaterial) -> bool:
    """Whether the document's last timestamp (archive timestamp, else the latest
    signature's) validates now: a chain is extended only from a link that still holds."""
    context = material.context()
    try:
        stamps = sorted(reader.embedded_timestamp_signatures, key=lambda s: s.signed_revision)
        if stamps:
            stamp = await async_validate_pdf_timestamp(stamps[-1], context)
            return bool(stamp.intact and stamp.valid and stamp.trusted)
        latest = max(reader.embedded_regular_signatures, key=lambda s: s.signed_revision)
        status = await async_validate_pdf_signature(
            latest, signer_validation_context=context, ts_validation_context=context
        )
        token = status.timestamp_validity
        return token is not None and bool(token.intact and token.valid and token.trusted)
    except (SignatureValidationError, PdfError, ValueError, TypeError, KeyError):
        return False
    finally:
        await context.aclose()  # type: ignore[no-untyped-call]


def extend(
    source: Path,
    target: Path,
    timestamper: TimeStamper,
    material: ValidationMaterial,
    digest: str = "sha256",
) -> None:
    """Write ``source`` with a new archive timestamp to ``target``: the previous archive
    timestamp is validated now (against ``material``'s roots) and its validation data
    added to the DSS first. On failure ``target`` is removed."""
    reader = _open(source)
    try:
        count = len(reader.embedded_timestamp_signatures)
        if not reader.embedded_regular_signatures:
            raise RenewalError("the document has no signature to keep verifiable")
        if not asyncio.run(_last_proof_holds(reader, material)):
            raise RenewalError(
                "the document's last timestamp no longer validates: renewed too late, its"
                " proof cannot be restored"
            )
        stamper = PdfTimeStamper(timestamper, field_name=f"ArchiveTimestamp{count + 1}")
        context = material.context()
        with target.open("wb") as out:
            stamper.update_archival_timestamp_chain(
                reader, context, in_place=False, output=out, default_md_algorithm=digest
            )
    except RenewalError:
        target.unlink(missing_ok=True)
        raise
    except Exception as exc:
        target.unlink(missing_ok=True)
        raise RenewalError(f"the archive timestamp could not be added: {exc}") from exc
    finally:
        reader.stream.close()
    # The chain must still hold at its newest link, or the renewal proves nothing.
    facts = last_timestamp(target)
    if facts is None or not facts.archive:
        target.unlink(missing_ok=True)
        raise RenewalError("the new archive timestamp is not in the result")
