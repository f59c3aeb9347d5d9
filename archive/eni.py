"""An expediente in Spain's ENI form (Normas Técnicas de Interoperabilidad de Documento y de
Expediente Electrónico, XSD v1.0): each document as an ``enidoc:documento`` with its
metadata, and the expediente with its signed electronic index (índice electrónico) listing
each document's identifier, SHA-256, date of incorporation and order.

The index is signed as ``TF04`` (CAdES detached): the signature covers the exclusive XML
canonicalization (C14N 1.0, ``exc-c14n``) of the ``IndiceContenido`` element, and is
carried base64-encoded in ``FirmaBase64``, with ``firma/@ref`` naming the element. The
signing is handed in (``sign``), so the key may be a PKCS#12 or an HSM's. A PDF signed in
PAdES is declared ``TF06`` with the signature inside the content file
(``ReferenciaFirma``); a document without one carries its verification code (``TF01``).

Validation against the published XSDs is the caller's (the tests keep them)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from archive.errors import ArchiveError

_BASE = "http://administracionelectronica.gob.es/ENI/XSD/v1.0"
EXP = f"{_BASE}/expediente-e"
EXP_INDEX = f"{_BASE}/expediente-e/indice-e"
EXP_CONTENT = f"{_BASE}/expediente-e/indice-e/contenido"
EXP_META = f"{_BASE}/expediente-e/metadatos"
DOC = f"{_BASE}/documento-e"
DOC_CONTENT = f"{_BASE}/documento-e/contenido"
DOC_META = f"{_BASE}/documento-e/metadatos"
SIGNATURES = f"{_BASE}/firma"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
CSV_REGULATION = (
    "Código seguro de verificación generado por docsvc; se comprueba en la sede de "
    "verificación de la institución."
)
STATES = ("E01", "E02", "E03")
DOC_STATES = ("EE01", "EE02", "EE03", "EE04", "EE99")


@dataclass(frozen=True, slots=True)
class EniDocument:
    identifier: str
    organ: str
    captured_at: datetime
    content_file: str  # the file's name inside the export (referenciaFichero)
    format_name: str  # "pdf"
    sha256: str  # of the content file, lowercase hex
    added_at: datetime
    order: int
    doc_type: str = "TD99"
    state: str = "EE01"
    from_citizen: bool = False
    pades: bool = False
    verification_code: str | None = None


@dataclass(frozen=True, slots=True)
class EniExpediente:
    identifier: str
    organ: str
    opened_at: datetime
    classification: str
    state: str
    indexed_at: datetime
    documents: tuple[EniDocument, ...]
    interested: tuple[str, ...] = ()


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _text(parent: etree._Element, namespace: str, name: str, value: str) -> etree._Element:
    element = etree.SubElement(parent, _q(namespace, name))
    element.text = value
    return element


def _stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ArchiveError("bad_eni", "ENI dates carry their offset")
    return moment.isoformat(timespec="seconds")


def _xml_id(prefix: str, identifier: str) -> str:
    # xsd:ID is an NCName: letters, digits, '_', '-', '.'; never a leading digit.
    safe = "".join(c if c.isalnum() or c in "_-." else "_" for c in identifier)
    return f"{prefix}{safe}"


def documento_xml(document: EniDocument) -> bytes:
    if document.state not in DOC_STATES:
        raise ArchiveError("bad_eni", f"not an ENI elaboration state: {document.state}")
    nsmap = {"enidoc": DOC, "enifile": DOC_CONTENT, "enidocmeta": DOC_META, "enids": SIGNATURES}
    root = etree.Element(_q(DOC, "documento"), nsmap=nsmap, Id=_xml_id("DOC_", document.identifier))
    content_id = _xml_id("CONTENIDO_", document.identifier)
    content = etree.SubElement(root, _q(DOC_CONTENT, "contenido"), Id=content_id)
    _text(content, DOC_CONTENT, "referenciaFichero", document.content_file)
    _text(content, DOC_CONTENT, "NombreFormato", document.format_name)
    meta = etree.SubElement(root, _q(DOC_META, "metadatos"))
    _text(meta, DOC_META, "VersionNTI", DOC)
    _text(meta, DOC_META, "Identificador", document.identifier)
    _text(meta, DOC_META, "Organo", document.organ)
    _text(meta, DOC_META, "FechaCaptura", _stamp(document.captured_at))
    _text(meta, DOC_META, "OrigenCiudadanoAdministracion", str(document.from_citizen).lower())
    state = etree.SubElement(meta, _q(DOC_META, "EstadoElaboracion"))
    _text(state, DOC_META, "ValorEstadoElaboracion", document.state)
    _text(meta, DOC_META, "TipoDocumental", document.doc_type)
    if document.pades or document.verification_code:
        signatures = etree.SubElement(root, _q(SIGNATURES, "firmas"))
        firma = etree.SubElement(
            signatures, _q(SIGNATURES, "firma"), Id="FIRMA_0", ref=f"#{content_id}"
        )
        if document.pades:
            _text(firma, SIGNATURES, "TipoFirma", "TF06")
            holder = etree.SubElement(firma, _q(SIGNATURES, "ContenidoFirma"))
            signed = etree.SubElement(holder, _q(SIGNATURES, "FirmaConCertificado"))
            # PAdES: the signature is inside the content file itself.
            _text(signed, SIGNATURES, "ReferenciaFirma", document.content_file)
        else:
            _text(firma, SIGNATURES, "TipoFirma", "TF01")
            holder = etree.SubElement(firma, _q(SIGNATURES, "ContenidoFirma"))
            csv = etree.SubElement(holder, _q(SIGNATURES, "CSV"))
            _text(csv, SIGNATURES, "ValorCSV", document.verification_code or "")
            _text(csv, SIGNATURES, "RegulacionGeneracionCSV", CSV_REGULATION)
    written: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return written


def _index_element(expediente: EniExpediente, parent: etree._Element) -> etree._Element:
    index = etree.SubElement(
        parent,
        _q(EXP_INDEX, "IndiceContenido"),
        Id=_xml_id("EXP_INDICE_CONTENIDO_", expediente.identifier),
    )
    _text(index, EXP_CONTENT, "FechaIndiceElectronico", _stamp(expediente.indexed_at))
    for document in sorted(expediente.documents, key=lambda d: d.order):
        entry = etree.SubElement(index, _q(EXP_CONTENT, "DocumentoIndizado"))
        _text(entry, EXP_CONTENT, "IdentificadorDocumento", document.identifier)
        _text(entry, EXP_CONTENT, "ValorHuella", document.sha256.lower())
        _text(entry, EXP_CONTENT, "FuncionResumen", SHA256_URI)
        _text(entry, EXP_CONTENT, "FechaIncorporacionExpediente", _stamp(document.added_at))
        _text(entry, EXP_CONTENT, "OrdenDocumentoExpediente", str(document.order))
    return index


def canonical_index(index: etree._Element) -> bytes:
    """What the index signature covers: the element's exclusive canonical form."""
    canonical: bytes = etree.tostring(index, method="c14n", exclusive=True, with_comments=False)
    return canonical


def expediente_xml(expediente: EniExpediente, sign: Callable[[bytes], bytes]) -> bytes:
    """The expediente with its index signed by ``sign`` (detached CAdES over the bytes)."""
    if expediente.state not in STATES:
        raise ArchiveError("bad_eni", f"not an ENI expediente state: {expediente.state}")
    if not expediente.documents:
        raise ArchiveError("bad_eni", "an ENI index lists at least one document")
    nsmap = {
        "eniexp": EXP,
        "eniexpind": EXP_INDEX,
        "eniconexpind": EXP_CONTENT,
        "eniexpmeta": EXP_META,
        "enids": SIGNATURES,
    }
    root = etree.Element(_q(EXP, "expediente"), nsmap=nsmap)
    indice = etree.SubElement(root, _q(EXP_INDEX, "indice"))
    index = _index_element(expediente, indice)
    signature = sign(canonical_index(index))
    signatures = etree.SubElement(indice, _q(SIGNATURES, "firmas"))
    firma = etree.SubElement(
        signatures, _q(SIGNATURES, "firma"), Id="FIRMA_INDICE", ref=f"#{index.get('Id')}"
    )
    _text(firma, SIGNATURES, "TipoFirma", "TF04")
    holder = etree.SubElement(firma, _q(SIGNATURES, "ContenidoFirma"))
    signed = etree.SubElement(holder, _q(SIGNATURES, "FirmaConCertificado"))
    _text(signed, SIGNATURES, "FirmaBase64", base64.b64encode(signature).decode("ascii"))
    meta = etree.SubElement(root, _q(EXP_META, "metadatosExp"), Id="METADATOS_EXP")
    _text(meta, EXP_META, "VersionNTI", EXP)
    _text(meta, EXP_META, "Identificador", expediente.identifier)
    _text(meta, EXP_META, "Organo", expediente.organ)
    _text(meta, EXP_META, "FechaAperturaExpediente", _stamp(expediente.opened_at))
    _text(meta, EXP_META, "Clasificacion", expediente.classification)
    _text(meta, EXP_META, "Estado", expediente.state)
    for person in expediente.interested:
        _text(meta, EXP_META, "Interesado", person)
    # Not indented: whitespace added inside the index would change what was signed.
    written: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return written


@dataclass(frozen=True, slots=True)
class SignedIndex:
    """The index as read back: the canonical bytes its signature covers, the signature,
    and each entry (identifier, SHA-256 hex, order)."""

    canonical: bytes
    signature: bytes
    entries: tuple[tuple[str, str, str], ...]


def read_index(xml: bytes) -> SignedIndex:
    """The signed index of an expediente written by ``expediente_xml``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ArchiveError("bad_eni", f"the expediente is not XML: {exc}") from exc
    index = root.find(f"{{{EXP_INDEX}}}indice/{{{EXP_INDEX}}}IndiceContenido")
    value = root.find(
        f"{{{EXP_INDEX}}}indice/{{{SIGNATURES}}}firmas/{{{SIGNATURES}}}firma/"
        f"{{{SIGNATURES}}}ContenidoFirma/{{{SIGNATURES}}}FirmaConCertificado/"
        f"{{{SIGNATURES}}}FirmaBase64"
    )
    if index is None or value is None or not value.text:
        raise ArchiveError("bad_eni", "the expediente has no signed index")
    entries: Sequence[etree._Element] = index.findall(f"{{{EXP_CONTENT}}}DocumentoIndizado")
    return SignedIndex(
        canonical=canonical_index(index),
        signature=base64.b64decode(value.text),
        entries=tuple(
            (
                entry.findtext(f"{{{EXP_CONTENT}}}IdentificadorDocumento") or "",
                entry.findtext(f"{{{EXP_CONTENT}}}ValorHuella") or "",
                entry.findtext(f"{{{EXP_CONTENT}}}OrdenDocumentoExpediente") or "",
            )
            for entry in entries
        ),
    )


# Digest functions an index may name (FuncionResumen), as hashlib names them.
DIGESTS = {
    SHA256_URI: "sha256",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
}


@dataclass(frozen=True, slots=True)
class IndexEntry:
    identifier: str
    digest: bytes  # the ValorHuella's bytes (written as hex by docsvc, base64 by others)
    algorithm: str  # a hashlib name, or the URI when it is not one we know
    order: int
    added_at: str


@dataclass(frozen=True, slots=True)
class ReadExpediente:
    """An expediente read leniently (any prefixes, hex or base64 digests)."""

    identifier: str
    organ: str
    opened_at: str
    classification: str
    state: str
    signature_type: str
    index: SignedIndex
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True, slots=True)
class ReadDocumento:
    identifier: str
    content_file: str | None  # referenciaFichero
    inline: bytes | None  # ValorBinario
    format_name: str
    state: str


def _parse(xml: bytes, what: str) -> etree._Element:
    # ENI files never need a DTD: one is refused outright (entity bombs, external
    # entities); and the parser loads none, resolves no entity and reaches no network.
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise ArchiveError("bad_eni", f"the {what} declares a DTD, which ENI files never need")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root: etree._Element = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as exc:
        raise ArchiveError("bad_eni", f"the {what} is not XML: {exc}") from exc
    return root


def _find_text(element: etree._Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _digest_bytes(value: str) -> bytes:
    value = value.strip()
    try:
        return bytes.fromhex(value)
    except ValueError:
        pass
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ArchiveError(
            "bad_eni", f"an index digest is neither hex nor base64: {value!r}"
        ) from exc


def read_expediente(xml: bytes) -> ReadExpediente:
    """The expediente's metadata and its index, whoever wrote it."""
    root = _parse(xml, "expediente")
    if etree.QName(root).localname != "expediente":
        raise ArchiveError("bad_eni", "expediente.xml does not hold an ENI expediente")
    index = root.find("{*}indice/{*}IndiceContenido")
    if index is None:
        raise ArchiveError("bad_eni", "the expediente has no electronic index")
    firma = root.find("{*}indice/{*}firmas/{*}firma")
    signature_type = _find_text(firma, "{*}TipoFirma") if firma is not None else ""
    value = (
        firma.find("{*}ContenidoFirma/{*}FirmaConCertificado/{*}FirmaBase64")
        if firma is not None
        else None
    )
    signature = base64.b64decode(value.text) if value is not None and value.text else b""
    entries = []
    for entry in index.findall("{*}DocumentoIndizado"):
        uri = _find_text(entry, "{*}FuncionResumen")
        try:
            order = int(_find_text(entry, "{*}OrdenDocumentoExpediente") or "0")
        except ValueError as exc:
            raise ArchiveError("bad_eni", f"an index order is not a number: {exc}") from exc
        entries.append(
            IndexEntry(
                identifier=_find_text(entry, "{*}IdentificadorDocumento"),
                digest=_digest_bytes(_find_text(entry, "{*}ValorHuella")),
                algorithm=DIGESTS.get(uri, uri),
                order=order,
                added_at=_find_text(entry, "{*}FechaIncorporacionExpediente"),
            )
        )
    if not entries:
        raise ArchiveError("bad_eni", "the electronic index lists no document")
    meta = root.find("{*}metadatosExp")
    if meta is None:
        raise ArchiveError("bad_eni", "the expediente has no metadata (metadatosExp)")
    return ReadExpediente(
        identifier=_find_text(meta, "{*}Identificador"),
        organ=_find_text(meta, "{*}Organo"),
        opened_at=_find_text(meta, "{*}FechaAperturaExpediente"),
        classification=_find_text(meta, "{*}Clasificacion"),
        state=_find_text(meta, "{*}Estado"),
        signature_type=signature_type,
        index=SignedIndex(
            canonical=canonical_index(index),
            signature=signature,
            entries=tuple((e.identifier, e.digest.hex(), str(e.order)) for e in entries),
        ),
        entries=tuple(sorted(entries, key=lambda e: e.order)),
    )


def read_documento(xml: bytes) -> ReadDocumento:
    """A document's ENI XML: its identifier and where its content is."""
    root = _parse(xml, "document")
    if etree.QName(root).localname != "documento":
        raise ArchiveError("bad_eni", "not an ENI document (enidoc:documento)")
    content = root.find("{*}contenido")
    if content is None:
        raise ArchiveError("bad_eni", "an ENI document without its content")
    inline_text = _find_text(content, "{*}ValorBinario")
    try:
        inline = base64.b64decode(inline_text) if inline_text else None
    except ValueError as exc:
        raise ArchiveError("bad_eni", f"a document's ValorBinario is not base64: {exc}") from exc
    meta = root.find("{*}metadatos")
    return ReadDocumento(
        identifier=_find_text(meta, "{*}Identificador") if meta is not None else "",
        content_file=_find_text(content, "{*}referenciaFichero") or None,
        inline=inline,
        format_name=_find_text(content, "{*}NombreFormato"),
        state=(
            _find_text(meta, "{*}EstadoElaboracion/{*}ValorEstadoElaboracion")
            if meta is not None
            else ""
        ),
    )
