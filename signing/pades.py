"""PAdES signing (ETSI EN 319 142) with pyHanko, from B-B to B-LTA.

A ``SigningKey`` exists only while an official's session is unlocked: it is made from the
PKCS#12 and the PIN at that moment and never written anywhere. Output is streamed to a
file, and the signature size is reserved up front so that no dry run is made; a visible
stamp does not change that, since its appearance lies outside the signature container.

A document signed in sequence gets one incremental revision per signature, each in a new
field ``Firma1``, ``Firma2``, ... The first may be a certification signature that allows
form filling and further signatures (DocMDP level 2), so that the approvals that follow,
stamps included, keep it valid.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.ades.api import CAdESSignedAttrSpec, SignerAttrSpec
from pyhanko.sign.fields import MDPPerm
from pyhanko.sign.general import (
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko_certvalidator import ValidationContext

from signing import name_speedups, pdf_speedups
from signing.appearance import StampSpec, free_boxes, pdf_value, stamp_style, stamp_text_params
from signing.errors import SigningError, WrongPin
from signing.tsa import TsaConfig, timestamp_response
from signing.unlocked_signer import UnlockedSigner

# Reserving the CMS size up front avoids pyHanko's dry run to measure it. Every reader of
# the signature tokenises this hex field, so it is sized from what the CMS will hold: the
# signer's certificates, plus fixed allowances. pyHanko's ``bytes_reserved`` counts hex
# digits, two per byte of CMS. These flat sizes (in hex digits) are the fallback when the
# estimate falls short (an unusually large timestamp token), and the external signer's.
SIGNATURE_BYTES_RESERVED = 12 * 1024
TIMESTAMPED_SIGNATURE_BYTES_RESERVED = 24 * 1024
# In bytes of CMS. Signed attributes, algorithm identifiers, an RSA-4096 signature value
# and DER framing.
CMS_ALLOWANCE = 2 * 1024
# A timestamp token with its TSA's certificate and a three-certificate chain.
TIMESTAMP_ALLOWANCE = 8 * 1024

FIELD_NAME_PREFIX = "Firma"

pdf_speedups.install()
name_speedups.install()


class _DropNoFetchWarning(logging.Filter):
    """B-LT here embeds validation data given in advance and never fetches, by design;
    pyHanko warns about that on every such signature, which would flood the service's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_DropNoFetchWarning())


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"


@dataclass(frozen=True, slots=True)
class ValidationMaterial:
    """What B-LT and B-LTA embed: the chain's anchors and revocation data, given as DER.
    With the institution's own PKI everything is given and signing never reaches for the
    network; with an outside CA, ``allow_fetching`` lets pyHanko fetch what the
    certificates' CRL and OCSP addresses offer."""

    trust_roots: tuple[bytes, ...]
    crls: tuple[bytes, ...] = ()
    ocsps: tuple[bytes, ...] = ()
    allow_fetching: bool = False

    def context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_x509.Certificate.load(der) for der in self.trust_roots],
            crls=list(self.crls),
            ocsps=list(self.ocsps),
            allow_fetching=self.allow_fetching,
        )


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An unlocked key: keep it only while the official's signing session is open."""

    signer: signers.Signer
    subject: str


def unlock_pkcs12(pkcs12: bytes, pin: str | None) -> SigningKey:
    """The key in a PKCS#12 under ``pin``, or without a password (``None``: a key opened
    from its envelope, ``signing.key_envelope``)."""
    try:
        loaded = signers.SimpleSigner.load_pkcs12_data(
            pkcs12, other_certs=[], passphrase=pin.encode() if pin is not None else None
        )
    except (ValueError, TypeError) as exc:
        raise WrongPin("the PIN does not unlock this key") from exc
    if loaded is None or loaded.signing_cert is None:
        raise WrongPin("the PIN does not unlock this key")
    signer = UnlockedSigner(loaded)
    assert signer.signing_cert is not None
    return SigningKey(signer=signer, subject=signer.signing_cert.subject.human_friendly)


class LocalTimeStamper(TimeStamper):
    """Asks the institution's own TSA in process, without an HTTP round trip."""

    def __init__(self, config: TsaConfig) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._config = config

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(timestamp_response(self._config, req.dump()))


# The claimed role of a stand-in (signer-attributes-v2, below): RFC 5755's RoleSyntax with
# this role name, and the official signed for as the role's authority.
STAND_IN_ROLE = "urn:docsvc:role:stand-in"


@dataclass(frozen=True, slots=True)
class StandIn:
    """The official a stand-in signs for, and that official's position.

    Recorded in the signature as a claimed role of the signer (ETSI EN 319 122-1's
    ``signer-attributes-v2`` signed attribute, ``claimedAttributes``): one ``role``
    attribute (id-at-role, 2.5.4.72) whose RoleSyntax names the role
    ``urn:docsvc:role:stand-in`` (``roleName``, a URI) and, as the ``roleAuthority`` that
    conferred it, the official signed for (a directory name: common name and title). It is
    the signer's claim, signed with the rest of the signature, not something a certificate
    proves."""

    principal: str
    position: str | None = None

    def attribute(self) -> cms.AttCertAttribute:
        name: dict[str, str] = {"common_name": self.principal}
        if self.position:
            name["title"] = self.position
        role = cms.RoleSyntax(
            {
                "role_authority": [
                    asn1_x509.GeneralName(
                        name="directory_name", value=asn1_x509.Name.build(name, use_printable=False)
                    )
                ],
                "role_name": asn1_x509.GeneralName(
                    name="uniform_resource_identifier", value=STAND_IN_ROLE
                ),
            }
        )
        return cms.AttCertAttribute({"type": "role", "values": [role]})

    @classmethod
    def claimed_in(cls, signed_attrs: cms.CMSAttributes) -> StandIn | None:
        """The stand-in role claimed in a signature's signed attributes, if any; anything
        malformed reads as no claim."""
        try:
            signer_attrs = find_unique_cms_attribute(signed_attrs, "signer_attributes_v2")
            claimed = signer_attrs["claimed_attributes"]
            for attribute in claimed if isinstance(claimed, cms.AttCertAttributes) else ():
                if attribute["type"].native != "role":
                    continue
                for role in attribute["values"]:
                    if role["role_name"].chosen.native != STAND_IN_ROLE:
                        continue
                    for authority in role["role_authority"] or ():
                        if authority.name != "directory_name":
                            continue
                        names = authority.chosen.native
                        principal = names.get("common_name")
                        if principal:
                            return cls(str(principal), str(names.get("title") or "") or None)
        except (NonexistentAttributeError, MultivaluedAttributeError):
            return None
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return None


@dataclass(frozen=True, slots=True)
class SignatureRequest:
    """One signature to add.

    - ``field_name``: ``None`` takes the next free ``FirmaN``: with a stamp, the first empty
      visible ``FirmaN`` field reserved by the certification, else the first unused name.
    - ``certify``: a certification signature, which must be the document's first. It lets
      later revisions fill forms and sign, and nothing else.
    - ``stamp``: a visible stamp; without one the signature is invisible. Signing into a
      reserved field takes that field's place, whatever ``stamp.page`` and ``stamp.box``.
    - ``reserve_fields``: empty visible signature fields to create for the officials who
      sign next, in the free slots after this one's. A certified document accepts new
      visible fields only in its certifying revision (pyHanko's diff analysis, stricter
      than Acrobat, rejects them later), so a signing line that certifies first reserves
      the stamps of its later approvals here.
    - ``stand_in_for``: the signer signs as a stand-in for this official, recorded as a
      claimed role in the signed attributes (``StandIn``); the reason and stamp say it in
      words for other readers.
    """

    level: Level
    field_name: str | None = None
    reason: str | None = None
    location: str | None = None
    certify: bool = False
    stamp: StampSpec | None = None
    reserve_fields: int = 0
    stand_in_for: StandIn | None = None


@dataclass(frozen=True, slots=True)
class FormState:
    """What signing needs to know of a document's form before adding a signature."""

    names: frozenset[str]
    """Fully qualified names of every field, whatever its type."""
    empty_visible_signature_fields: frozenset[str]
    signed: bool
    certified: bool

    def next_free_name(self, skip: frozenset[str] = frozenset()) -> str:
        number = 1
        while f"{FIELD_NAME_PREFIX}{number}" in self.names | skip:
            number += 1
        return f"{FIELD_NAME_PREFIX}{number}"

    def first_reserved_field(self) -> str | None:
        numbered = [
            (int(name[len(FIELD_NAME_PREFIX) :]), name)
            for name in self.empty_visible_signature_fields
            if name.startswith(FIELD_NAME_PREFIX) and name[len(FIELD_NAME_PREFIX) :].isdigit()
        ]
        return min(numbered)[1] if numbered else None


def _has_area(annotation: generic.DictionaryObject) -> bool:
    try:
        x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
    except (KeyError, TypeError, ValueError):
        return False
    return abs(x2 - x1) * abs(y2 - y1) > 0


def form_state(reader: PdfFileReader) -> FormState:
    names: set[str] = set()
    empty_visible: set[str] = set()
    signed = False
    seen: set[int] = set()
    try:
        top = reader.root["/AcroForm"].raw_get("/Fields")
    except KeyError:
        top = generic.ArrayObject()
    # (array of fields, parent's name, inherited field type)
    pending: list[tuple[object, str, object]] = [(top, "", None)]
    while pending:
        array, prefix, inherited_type = pending.pop()
        if isinstance(array, generic.IndirectObject):
            array = array.get_object()  # type: ignore[no-untyped-call]
        if not isinstance(array, generic.ArrayObject):
            continue
        for item in array:
            if isinstance(item, generic.IndirectObject):
                if item.idnum in seen:
                    continue
                seen.add(item.idnum)
            field = item.get_object()
            if not isinstance(field, generic.DictionaryObject) or "/T" not in field:
                continue  # a widget of its parent field, or junk
            name = f"{prefix}{field['/T']}"
            names.add(name)
            field_type = pdf_value(field, "/FT") or inherited_type
            kids = pdf_value(field, "/Kids")
            kids = kids if isinstance(kids, generic.ArrayObject) else generic.ArrayObject()
            if field_type == "/Sig":
                if pdf_value(field, "/V") is not None:
                    signed = True
                else:
                    widgets = [field]
                    for kid in kids:
                        widget = kid.get_object()
                        # Kids with a name are child fields, not this field's widgets.
                        if isinstance(widget, generic.DictionaryObject) and "/T" not in widget:
                            widgets.append(widget)
                    if any(_has_area(widget) for widget in widgets):
                        empty_visible.add(name)
            if kids:
                pending.append((kids, f"{name}.", field_type))
    try:
        certified = "/DocMDP" in reader.root["/Perms"]
    except KeyError:
        certified = False
    return FormState(frozenset(names), frozenset(empty_visible), signed, certified)


def _certificate_name_and_title(key: SigningKey) -> tuple[str, str]:
    cert = key.signer.signing_cert
    if cert is None:
        return key.subject, ""
    subject = cert.subject.native
    return str(subject.get("common_name") or key.subject), str(subject.get("title") or "")


@dataclass(frozen=True, slots=True)
class _FieldPlan:
    """Where the signature goes, and which empty fields are created beside it."""

    name: str
    new_field: fields.SigFieldSpec | None
    reserved: tuple[fields.SigFieldSpec, ...]


def _plan_fields(reader: PdfFileReader, request: SignatureRequest) -> _FieldPlan:
    state = form_state(reader)
    stamp = request.stamp
    if request.certify and state.signed:
        raise SigningError("a certification signature must be the document's first")
    if request.reserve_fields < 0:
        raise SigningError("the number of fields to reserve cannot be negative")
    if request.reserve_fields and (state.certified or state.signed) and not request.certify:
        raise SigningError(
            "fields are reserved by the document's first signature: later visible fields "
            "would break a certification"
        )
    name = request.field_name
    if name is None:
        name = (stamp and state.first_reserved_field()) or state.next_free_name()
    if request.reserve_fields and name in state.names:
        raise SigningError(f"fields are reserved beside a new field, and {name} exists")
    if name in state.empty_visible_signature_fields:
        if stamp is None:
            raise SigningError(f"the field {name} is visible: signing it needs a stamp")
        return _FieldPlan(name, None, ())
    if name in state.names:
        return _FieldPlan(name, None, ())  # pyHanko refuses a filled or non-signature field
    if stamp is not None and state.certified:
        raise SigningError(
            "this document is certified and has no empty reserved signature field: a new "
            "visible signature would break its certification; sign without a stamp"
        )
    if stamp is None and not request.reserve_fields:
        return _FieldPlan(name, fields.SigFieldSpec(sig_field_name=name), ())  # invisible
    pages = int(reader.root["/Pages"]["/Count"])
    page = stamp.page if stamp is not None else -1
    if not -pages <= page < pages:
        raise SigningError(f"no page index {page}: the document has {pages} page(s)")
    page %= pages
    wanted = request.reserve_fields + (1 if stamp is not None and stamp.box is None else 0)
    given = [stamp.box] if stamp is not None and stamp.box is not None else []
    boxes = free_boxes(reader, page, wanted, taken=given) if wanted else []
    own_box = given[0] if given else boxes.pop(0) if stamp is not None else None
    own = fields.SigFieldSpec(
        sig_field_name=name, on_page=page if own_box is not None else 0, box=own_box
    )
    reserved: list[fields.SigFieldSpec] = []
    for box in boxes:
        reserved_name = state.next_free_name(
            frozenset({name, *(f.sig_field_name for f in reserved)})
        )
        reserved.append(fields.SigFieldSpec(sig_field_name=reserved_name, on_page=page, box=box))
    return _FieldPlan(name, own, tuple(reserved))


def sign_file(
    source: Path,
    target: Path,
    key: SigningKey,
    request: SignatureRequest,
    timestamper: TimeStamper | None = None,
    material: ValidationMaterial | None = None,
) -> str:
    """Sign ``source`` into ``target`` as an incremental update; return the field's name.
    On any failure ``target`` is removed, so that no half-written file looks signed."""
    level = request.level
    try:
        if level is not Level.B_B and timestamper is None:
            raise SigningError(f"{level.value} needs a timestamp authority")
        if level in (Level.B_LT, Level.B_LTA) and material is None:
            raise SigningError(f"{level.value} needs the trust roots and revocation data to embed")
        estimate = _estimated_size(key, level)
        try:
            return _sign_once(source, target, key, request, timestamper, material, estimate)
        except _ReservationTooSmall:
            # Rare: a larger chain or token than estimated. Sign again with room to spare.
            reservation = max(_flat_reservation(level), 2 * estimate)
            return _sign_once(source, target, key, request, timestamper, material, reservation)
    except BaseException:
        if target.resolve() != source.resolve():
            target.unlink(missing_ok=True)
        raise


class _ReservationTooSmall(SigningError):
    pass


def _flat_reservation(level: Level) -> int:
    """Hex digits to reserve for the CMS when the signer's certificates cannot be measured."""
    return SIGNATURE_BYTES_RESERVED if level is Level.B_B else TIMESTAMPED_SIGNATURE_BYTES_RESERVED


def _estimated_size(key: SigningKey, level: Level) -> int:
    """Hex digits to reserve for the CMS: every certificate the signer embeds, plus the
    allowances, two digits a byte. Short by half, every signature was made twice."""
    signer = key.signer
    try:
        certificates = [signer.signing_cert, *signer.cert_registry]
        embedded = sum(len(c.dump()) for c in certificates if c is not None)
    except Exception:  # an unusual signer: fall back to the flat size
        return _flat_reservation(level)
    size = embedded + CMS_ALLOWANCE + (0 if level is Level.B_B else TIMESTAMP_ALLOWANCE)
    return 2 * ((size + 1023) // 1024 * 1024)


def _sign_once(
    source: Path,
    target: Path,
    key: SigningKey,
    request: SignatureRequest,
    timestamper: TimeStamper | None,
    material: ValidationMaterial | None,
    reservation: int,
) -> str:

    level = request.level
    long_term = level in (Level.B_LT, Level.B_LTA)
    with source.open("rb") as inp, target.open("w+b") as out:
        writer = IncrementalPdfFileWriter(inp, strict=False)
        try:
            plan = _plan_fields(writer.prev, request)
        except (PdfError, KeyError, TypeError, ValueError) as exc:
            raise SigningError(f"the document's form cannot be read: {exc}") from exc
        new_field = plan.new_field
        if plan.reserved and new_field is not None:
            # Created here rather than by pyHanko so that /Fields lists the signing line in order.
            for spec in (new_field, *plan.reserved):
                fields.append_signature_field(writer, spec)
            new_field = None
        metadata = signers.PdfSignatureMetadata(
            field_name=plan.name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=request.reason,
            location=request.location,
            certify=request.certify,
            docmdp_permissions=MDPPerm.FILL_FORMS,
            embed_validation_info=long_term,
            use_pades_lta=level is Level.B_LTA,
            validation_context=material.context() if long_term and material else None,
            cades_signed_attr_spec=(
                CAdESSignedAttrSpec(
                    signer_attributes=SignerAttrSpec(
                        claimed_attrs=[request.stand_in_for.attribute()], certified_attrs=[]
                    )
                )
                if request.stand_in_for is not None
                else None
            ),
        )
        stamp = request.stamp
        pdf_signer = signers.PdfSigner(
            metadata,
            signer=key.signer,
            timestamper=timestamper if level is not Level.B_B else None,
            stamp_style=stamp_style() if stamp is not None else None,
            new_field_spec=new_field,
        )
        try:
            pdf_signer.sign_pdf(
                writer,
                bytes_reserved=reservation,
                appearance_text_params=(
                    stamp_text_params(stamp, *_certificate_name_and_title(key))
                    if stamp is not None
                    else None
                ),
                output=out,
            )
        except (PyHankoSigningError, PdfError) as exc:
            if "allocated" in str(exc):
                raise _ReservationTooSmall(f"the document cannot be signed: {exc}") from exc
            raise SigningError(f"the document cannot be signed: {exc}") from exc
    return plan.name
