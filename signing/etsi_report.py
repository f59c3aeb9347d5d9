"""The ETSI TS 119 102-2 validation report (XML, namespace http://uri.etsi.org/19102/v1.2.1#).

pyHanko writes the report of one signature (``pyhanko.sign.validation.report``, with the
``etsi`` extra); this module turns the judgement of ``signing.verification`` into its input,
so that the main indication always matches our verdict (valid → TOTAL-PASSED, invalid →
TOTAL-FAILED, indeterminate → INDETERMINATE), and merges the per-signature reports into one
``ValidationReport``: one ``SignatureValidationReport`` per signature, in document order,
and the validation objects they share listed once. Our plain-words reasons travel along as
``AdditionalValidationReportData`` of type ``urn:docsvc:verification:reason``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from pyhanko.generated.etsi import ts_11910202
from pyhanko.sign.ades.report import (
    AdESFailure,
    AdESIndeterminate,
    AdESPassed,
    AdESStatus,
    AdESSubIndic,
)
from pyhanko.sign.general import find_cms_attribute_iter
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.ades import (
    AdESWithTimeValidationResult,
    ValidationObjectSet,
    derive_validation_object_identifier,
)
from pyhanko.sign.validation.report.tools import NAMESPACES, generate_report
from pyhanko.sign.validation.status import PdfSignatureStatus
from pyhanko_certvalidator.ltv.poe import ValidationObject, ValidationObjectType
from pyhanko_certvalidator.revinfo.archival import CRLContainer, OCSPContainer
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDateTime

Process = Literal["Basic", "LTVM", "LTA"]
REASON_TYPE = "urn:docsvc:verification:reason"
NAMESPACE = NAMESPACES["vr"]


class _ExpiredFailure(AdESSubIndic):
    """TOTAL-FAILED/EXPIRED (ETSI EN 319 102-1 V1.3.1, table 5): the signing certificate had
    expired when the signature was made. pyHanko only knows EXPIRED as an INDETERMINATE
    sub-indication (the older reading), which would contradict our ``invalid`` verdict."""

    @property
    def status(self) -> AdESStatus:
        return AdESStatus.FAILED

    @property
    def standard_name(self) -> str:
        return "EXPIRED"


_EXPIRED_FAILURE = _ExpiredFailure()


def expired_failure() -> AdESSubIndic:
    return _EXPIRED_FAILURE


def sub_indication(name: str | None, failed: bool) -> AdESSubIndic:
    """pyHanko's value for a reason's sub-indication (``signing.report.CODES``): of
    TOTAL-FAILED when the reason fails the signature, else of INDETERMINATE (a name only one
    of them knows is taken from it; EXPIRED fails as EN 319 102-1 V1.3.1 reads it)."""
    if name is None:
        return AdESIndeterminate.GENERIC if not failed else AdESFailure.FORMAT_FAILURE
    if failed and name == "EXPIRED":
        return _EXPIRED_FAILURE
    first, second = (AdESFailure, AdESIndeterminate) if failed else (AdESIndeterminate, AdESFailure)
    for kind in (first, second):
        if name in kind.__members__:
            return cast(AdESSubIndic, kind[name])
    if name == "OK":
        return AdESPassed.OK
    raise ValueError(f"not an ETSI sub-indication: {name}")


@dataclass(frozen=True, slots=True)
class EtsiEntry:
    """What the report says about one signature: pyHanko's status and our judgement."""

    embedded: EmbeddedPdfSignature
    status: PdfSignatureStatus
    subindication: AdESSubIndic
    best_signature_time: dt.datetime | None  # proven by a timestamp; None without one
    process: Process
    reasons: tuple[str, ...]
    crls: tuple[asn1_crl.CertificateList, ...] = ()
    ocsps: tuple[asn1_ocsp.OCSPResponse, ...] = ()


def _timestamp_token(entry: EtsiEntry) -> ValidationObject | None:
    """The signature timestamp token that proves the best signature time."""
    if entry.best_signature_time is None:
        return None
    for token in find_cms_attribute_iter(
        entry.embedded.signer_info["unsigned_attrs"], "signature_time_stamp_token"
    ):
        signed_data = token["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        if tst_info["gen_time"].native == entry.best_signature_time:
            return ValidationObject(ValidationObjectType.TIMESTAMP, signed_data)
    return None


def _validation_objects(entry: EtsiEntry) -> Iterator[ValidationObject]:
    status = entry.status
    token = _timestamp_token(entry)
    if token is not None:
        yield token
    yield ValidationObject(ValidationObjectType.CERTIFICATE, status.signing_cert)
    paths = [status.validation_path]
    if status.timestamp_validity is not None:
        paths.append(status.timestamp_validity.validation_path)
    for path in paths:
        if path is not None:
            for cert in path.iter_certs(include_root=True):
                yield ValidationObject(ValidationObjectType.CERTIFICATE, cert)
    for crl in entry.crls:
        yield ValidationObject(ValidationObjectType.CRL, CRLContainer(crl))
    for response in entry.ocsps:
        for container in OCSPContainer.load_multi(response):
            yield ValidationObject(ValidationObjectType.OCSP_RESPONSE, container)


def _single_report(
    entry: EtsiEntry, validation_time: dt.datetime
) -> tuple[ts_11910202.SignatureValidationReportType, tuple[ts_11910202.ValidationObjectType, ...]]:
    best_time = entry.best_signature_time or validation_time
    result = AdESWithTimeValidationResult(
        ades_subindic=entry.subindication,
        api_status=entry.status,
        failure_msg=None,
        validation_objects=ValidationObjectSet(_validation_objects(entry)),
        best_signature_time=best_time,
        signature_not_before_time=None,
    )
    parsed = XmlParser().from_string(
        generate_report(entry.embedded, result), ts_11910202.ValidationReport
    )
    (single,) = parsed.signature_validation_report
    token = _timestamp_token(entry)
    token_id = derive_validation_object_identifier(token) if token is not None else None
    time_info = ts_11910202.ValidationTimeInfoType(
        validation_time=XmlDateTime.from_datetime(validation_time),
        best_signature_time=ts_11910202.POEType(
            poetime=XmlDateTime.from_datetime(best_time),
            # Derived during validation: from the timestamp token named, or else "now".
            type_of_proof="urn:etsi:019102:poetype:validation",
            poeobject=(ts_11910202.VOReferenceType(voreference=(token_id,)) if token_id else None),
        ),
    )
    status = single.signature_validation_status
    assert status is not None
    if entry.reasons:
        status = dataclasses.replace(
            status,
            associated_validation_report_data=(
                ts_11910202.ValidationReportDataType(
                    additional_validation_report_data=ts_11910202.AdditionalValidationReportDataType(
                        report_data=tuple(
                            ts_11910202.TypedDataType(type_value=REASON_TYPE, value=reason)
                            for reason in entry.reasons
                        )
                    )
                ),
            ),
        )
    single = dataclasses.replace(
        single,
        validation_time_info=time_info,
        signature_validation_process=ts_11910202.SignatureValidationProcessType(
            signature_validation_process_id=f"urn:etsi:019102:validationprocess:{entry.process}"
        ),
        signature_validation_status=status,
    )
    objects = parsed.signature_validation_objects
    return single, (objects.validation_object if objects is not None else ())


def render_etsi_report(
    entries: Sequence[EtsiEntry], validation_time: dt.datetime | None = None
) -> bytes:
    """One ``ValidationReport`` for all the signatures (at least one), as UTF-8 XML."""
    if not entries:
        raise ValueError("an ETSI validation report needs at least one signature")
    now = validation_time or dt.datetime.now(dt.UTC)
    reports = []
    objects: dict[str | None, ts_11910202.ValidationObjectType] = {}
    for entry in entries:
        single, used = _single_report(entry, now)
        reports.append(single)
        for item in used:
            objects.setdefault(item.id, item)
    report = ts_11910202.ValidationReport(
        signature_validation_report=tuple(reports),
        signature_validation_objects=ts_11910202.ValidationObjectListType(
            validation_object=tuple(objects.values())
        ),
    )
    xml = XmlSerializer(config=SerializerConfig(indent="  ")).render(report, ns_map=NAMESPACES)
    return xml.encode("utf-8")
