"""The signatures and document timestamps a PDF holds, told apart by what they contain.

pyHanko decides between a signature and a document timestamp by the dictionary's ``/Type``
(``/Sig`` when absent) and then refuses a timestamp typed ``/Sig`` ("/ETSI.RFC3161 is not
a recognized SubFilter type in signatures"). The CMS says what it is: a timestamp token
encapsulates ``TSTInfo``, a signature encapsulates nothing or data. Here each filled
signature field is classed by its content, and a dictionary that says otherwise is a
deviation (``signing.lenient_reading``), not a reason to refuse the file.

A field whose signature cannot be parsed at all (no ``/ByteRange``, a ``/Contents`` that is
not a CMS structure) is returned as ``BrokenSignature``: the report lists it as invalid
with the reason, and the other signatures are still verified.

CAdES and ISO 32000 want the signer's certificate inside the CMS; a few products leave it
out and put it in the document's DSS. It is looked up there by the CMS's signer identifier
(a deviation, ``signing_certificate_outside_signature``); found nowhere, the signature
cannot be checked, and is reported indeterminate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter, enumerate_sig_fields
from pyhanko.sign.validation import EmbeddedPdfSignature
from pyhanko.sign.validation.errors import SignatureValidationError

from signing.lenient_reading import note

Kind = Literal["signature", "timestamp"]
BrokenVerdict = Literal["invalid", "indeterminate"]
_KNOWN_SUBFILTERS = frozenset(subfilter.value for subfilter in SigSeedSubFilter)


class _DocumentTimestamp(EmbeddedPdfSignature):
    """A document timestamp whatever its dictionary's ``/Type`` says."""

    @property
    def sig_object_type(self) -> generic.NameObject:
        return generic.NameObject("/DocTimeStamp")


class _Signature(EmbeddedPdfSignature):
    """A signature whatever its dictionary's ``/Type`` says."""

    @property
    def sig_object_type(self) -> generic.NameObject:
        return generic.NameObject("/Sig")


@dataclass(frozen=True, slots=True)
class BrokenSignature:
    """A filled signature field whose signature cannot be parsed or checked."""

    field: str
    code: str = "signature_unreadable"
    verdict: BrokenVerdict = "invalid"
    # The reason's parameters: for ``signature_unreadable`` its ``stage`` (the value is
    # not a dictionary, or the signature cannot be read), for an unsupported format its
    # ``subfilter``.
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SignedFields:
    """Signatures and document timestamps in the order of the revisions they sign."""

    signatures: tuple[EmbeddedPdfSignature, ...]
    timestamps: tuple[EmbeddedPdfSignature, ...]
    broken: tuple[BrokenSignature, ...]


def _retyped(
    kind: type[EmbeddedPdfSignature], embedded: EmbeddedPdfSignature
) -> EmbeddedPdfSignature:
    """The same signature, read as ``kind`` (keeping a certificate found elsewhere)."""
    retyped = kind(embedded.reader, embedded.sig_field, embedded.fq_name)
    retyped.signed_data = embedded.signed_data
    retyped.signer_info = embedded.signer_info
    return retyped


def _content_kind(embedded: EmbeddedPdfSignature) -> Kind:
    content_type = embedded.signed_data["encap_content_info"]["content_type"].native
    return "timestamp" if content_type == "tst_info" else "signature"


def _signer_identified(cert: asn1_x509.Certificate, sid: cms.SignerIdentifier) -> bool:
    if sid.name == "issuer_and_serial_number":
        return bool(
            cert.issuer == sid.chosen["issuer"]
            and cert.serial_number == sid.chosen["serial_number"].native
        )
    return bool(cert.key_identifier == sid.chosen.native)


def _with_signer_certificate(
    embedded: EmbeddedPdfSignature, known: Sequence[asn1_x509.Certificate]
) -> bool:
    """Make sure the CMS holds the signer's certificate, taking it from ``known`` when the
    CMS lacks it (in memory: the signed bytes are untouched, and the certificates field is
    outside what the signature covers). False when it is nowhere."""
    try:
        embedded.signer_cert  # noqa: B018 - raises when the CMS lacks it
        return True
    except SignatureValidationError:
        pass
    sid = embedded.signer_info["sid"]
    found = next((cert for cert in known if _signer_identified(cert, sid)), None)
    if found is None:
        return False
    signed_data = embedded.signed_data
    present = list(signed_data["certificates"]) if signed_data["certificates"].native else []
    signed_data["certificates"] = cms.CertificateSet(
        [*present, cms.CertificateChoices(name="certificate", value=found)]
    )
    embedded._sd_cert_info = None
    note("signing_certificate_outside_signature", repr(embedded.fq_name))
    return True


def collect(reader: PdfFileReader, known: Sequence[asn1_x509.Certificate] = ()) -> SignedFields:
    """``known``: certificates found elsewhere in the file (the DSS), where a signer's
    certificate missing from its CMS may be."""
    signatures: list[EmbeddedPdfSignature] = []
    timestamps: list[EmbeddedPdfSignature] = []
    broken: list[BrokenSignature] = []
    for raw_name, sig_ref, sig_field in enumerate_sig_fields(reader, filled_status=True):
        fq_name = str(raw_name)  # a plain string: the report must not hold the reader
        sig_object = sig_ref.get_object()
        if not isinstance(sig_object, generic.DictionaryObject):
            broken.append(BrokenSignature(fq_name, params=(("stage", "dictionary"),)))
            continue
        subfilter = sig_object.get("/SubFilter")
        if subfilter not in _KNOWN_SUBFILTERS:
            # e.g. /adbe.pkcs7.sha1, a SHA-1 digest signed as data
            broken.append(
                BrokenSignature(
                    fq_name,
                    "unsupported_signature_format",
                    "indeterminate",
                    (("subfilter", str(subfilter)),),
                )
            )
            continue
        try:
            embedded = EmbeddedPdfSignature(reader, sig_field, fq_name)
            kind = _content_kind(embedded)
        except (misc.PdfReadError, ValueError, KeyError, TypeError):
            broken.append(BrokenSignature(fq_name, params=(("stage", "read"),)))
            continue
        if not _with_signer_certificate(embedded, known):
            broken.append(
                BrokenSignature(
                    fq_name,
                    "no_signing_certificate",
                    "indeterminate",
                )
            )
            continue
        declared = sig_object.get("/Type")
        if kind == "timestamp":
            if declared != "/DocTimeStamp":
                note("timestamp_dictionary_type", repr(fq_name))
                embedded = _retyped(_DocumentTimestamp, embedded)
            timestamps.append(embedded)
        else:
            if declared is not None and declared != "/Sig":
                note("signature_dictionary_type", repr(fq_name))
                embedded = _retyped(_Signature, embedded)
            signatures.append(embedded)
    signatures.sort(key=lambda e: e.signed_revision)
    timestamps.sort(key=lambda e: e.signed_revision)
    return SignedFields(tuple(signatures), tuple(timestamps), tuple(broken))
