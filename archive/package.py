"""An archival information package as E-ARK CSIP/SIP lays it out, inside a BagIt bag
(RFC 8493, the ``bagit`` library): what another archive, a court or a national archive
reads without docsvc.

The layout, under the bag's ``data/`` (the package's root)::

    METS.xml                                  the root METS (CSIP, package type SIP)
    metadata/descriptive/record.json         what the package holds, as JSON
    metadata/preservation/premis.xml         PREMIS 3: the files and the register's events
    metadata/preservation/*                  the register's proofs, checkpoint and key; the
                                             trust anchors the signatures were checked with
    documentation/*                          how to check it, for a person
    schemas/*                                the schema of record.json
    representations/rep1/METS.xml            the representation's METS
    representations/rep1/data/*              the documents' files
    representations/rep1/metadata/preservation/*   their validation reports

Every file is listed with its size and SHA-256 in a METS file section or metadata
reference, and again in the bag's manifests. ``build`` copies each file once, hashing as it
copies, in chunks: the memory used does not grow with the package. The rules of the E-ARK
validator (eark-validator 1.1.3, CSIP 2.1.0) that shape the METS are noted where they
bite."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import bagit

from archive.errors import ArchiveError
from storage.hashing import copy_while_hashing, digest_of

METS = "http://www.loc.gov/METS/"
XLINK = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS = "http://www.loc.gov/premis/v3"
SIP_PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
REPRESENTATION = "rep1"

for _prefix, _uri in (("mets", METS), ("xlink", XLINK), ("csip", CSIP), ("sip", SIP)):
    ET.register_namespace(_prefix, _uri)
ET.register_namespace("premis", PREMIS)


@dataclass(frozen=True, slots=True)
class Entry:
    """A file of the package: where it goes (a relative POSIX path), where it is now."""

    path: str
    source: Path
    mime: str

    def __post_init__(self) -> None:
        relative = PurePosixPath(self.path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ArchiveError("bad_package", f"not a path inside the package: {self.path!r}")


@dataclass(frozen=True, slots=True)
class Event:
    """A PREMIS event: one leaf of the register, about the files of ``files``."""

    identifier: str
    kind: str
    time: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Content:
    """What the package holds. Paths of ``data`` and ``data_reports`` are relative to the
    representation (``data/...``, ``metadata/preservation/...``), the others to the root."""

    object_id: str
    label: str
    created: datetime
    software_version: str
    descriptive: Entry
    preservation: tuple[Entry, ...]
    documentation: tuple[Entry, ...]
    schemas: tuple[Entry, ...]
    data: tuple[Entry, ...]
    data_reports: tuple[Entry, ...] = ()
    events: tuple[Event, ...] = ()
    bag_info: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Copied:
    path: str
    mime: str
    size: int
    sha256: str


def _copy(entry: Entry, root: Path, prefix: str = "") -> _Copied:
    """Copy ``entry`` under ``root`` (hashing as it goes, in chunks)."""
    target = root / f"{prefix}{entry.path}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with entry.source.open("rb") as source, target.open("wb") as out:
        digest = copy_while_hashing(source, out)
    return _Copied(entry.path, entry.mime, digest.size, digest.sha256.upper())


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _mets_root(content: Content, object_id: str) -> ET.Element:
    root = ET.Element(
        _q(METS, "mets"),
        {
            "OBJID": object_id,
            "LABEL": content.label,
            "TYPE": "Mixed",
            _q(CSIP, "CONTENTINFORMATIONTYPE"): "MIXED",
            "PROFILE": SIP_PROFILE,
        },
    )
    header = ET.SubElement(
        root,
        _q(METS, "metsHdr"),
        {
            "CREATEDATE": _stamp(content.created),
            "LASTMODDATE": _stamp(content.created),
            "RECORDSTATUS": "NEW",
            _q(CSIP, "OAISPACKAGETYPE"): "SIP",
        },
    )
    agent = ET.SubElement(
        header, _q(METS, "agent"), {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"}
    )
    ET.SubElement(agent, _q(METS, "name")).text = "docsvc"
    note = ET.SubElement(agent, _q(METS, "note"), {_q(CSIP, "NOTETYPE"): "SOFTWARE VERSION"})
    note.text = content.software_version
    return root


def _link(element: ET.Element, href: str) -> None:
    element.set("LOCTYPE", "URL")
    element.set(_q(XLINK, "type"), "simple")
    element.set(_q(XLINK, "href"), href)


def _described(copied: _Copied, created: str) -> dict[str, str]:
    return {
        "MIMETYPE": copied.mime,
        "SIZE": str(copied.size),
        "CREATED": created,
        "CHECKSUM": copied.sha256,
        "CHECKSUMTYPE": "SHA-256",
    }


def _md_ref(parent: ET.Element, copied: _Copied, mdtype: str, created: str) -> None:
    attributes = (
        {"MDTYPE": mdtype}
        if mdtype in ("PREMIS", "DC")
        else {
            "MDTYPE": "OTHER",
            "OTHERMDTYPE": mdtype,
        }
    )
    ref = ET.SubElement(parent, _q(METS, "mdRef"), {**attributes, **_described(copied, created)})
    _link(ref, copied.path)


def _file_group(
    parent: ET.Element, group_id: str, use: str, files: Iterable[_Copied], created: str
) -> None:
    # CSIP63 as eark-validator 1.1.3 tests it passes only with OTHER and its name.
    group = ET.SubElement(
        parent,
        _q(METS, "fileGrp"),
        {
            "ID": group_id,
            "USE": use,
            _q(CSIP, "CONTENTINFORMATIONTYPE"): "OTHER",
            _q(CSIP, "OTHERCONTENTINFORMATIONTYPE"): "docsvc",
        },
    )
    for number, copied in enumerate(files, start=1):
        item = ET.SubElement(
            group, _q(METS, "file"), {"ID": f"{group_id}-{number}", **_described(copied, created)}
        )
        _link(ET.SubElement(item, _q(METS, "FLocat")), copied.path)


def _write_xml(element: ET.Element, path: Path) -> None:
    ET.indent(element)
    ET.ElementTree(element).write(path, encoding="UTF-8", xml_declaration=True)


def _premis(content: Content, copied: Sequence[_Copied]) -> ET.Element:
    root = ET.Element(_q(PREMIS, "premis"), {"version": "3.0"})
    for item in copied:
        obj = ET.SubElement(
            root,
            _q(PREMIS, "object"),
            {"{http://www.w3.org/2001/XMLSchema-instance}type": "premis:file"},
        )
        ident = ET.SubElement(obj, _q(PREMIS, "objectIdentifier"))
        ET.SubElement(ident, _q(PREMIS, "objectIdentifierType")).text = "filepath"
        ET.SubElement(ident, _q(PREMIS, "objectIdentifierValue")).text = item.path
        characteristics = ET.SubElement(obj, _q(PREMIS, "objectCharacteristics"))
        fixity = ET.SubElement(characteristics, _q(PREMIS, "fixity"))
        ET.SubElement(fixity, _q(PREMIS, "messageDigestAlgorithm")).text = "SHA-256"
        ET.SubElement(fixity, _q(PREMIS, "messageDigest")).text = item.sha256.lower()
        ET.SubElement(characteristics, _q(PREMIS, "size")).text = str(item.size)
        fmt = ET.SubElement(characteristics, _q(PREMIS, "format"))
        designation = ET.SubElement(fmt, _q(PREMIS, "formatDesignation"))
        ET.SubElement(designation, _q(PREMIS, "formatName")).text = item.mime
    for event in content.events:
        element = ET.SubElement(root, _q(PREMIS, "event"))
        ident = ET.SubElement(element, _q(PREMIS, "eventIdentifier"))
        ET.SubElement(ident, _q(PREMIS, "eventIdentifierType")).text = "docsvc register leaf"
        ET.SubElement(ident, _q(PREMIS, "eventIdentifierValue")).text = event.identifier
        ET.SubElement(element, _q(PREMIS, "eventType")).text = event.kind
        ET.SubElement(element, _q(PREMIS, "eventDateTime")).text = event.time
        for path in event.files:
            link = ET.SubElement(element, _q(PREMIS, "linkingObjectIdentifier"))
            ET.SubElement(link, _q(PREMIS, "linkingObjectIdentifierType")).text = "filepath"
            ET.SubElement(link, _q(PREMIS, "linkingObjectIdentifierValue")).text = path
    return root


def _representation(content: Content, base: Path, created: str) -> None:
    prefix = f"representations/{REPRESENTATION}/"
    data = [_copy(entry, base, prefix) for entry in content.data]
    reports = [_copy(entry, base, prefix) for entry in content.data_reports]
    root = _mets_root(content, f"{content.object_id}-{REPRESENTATION}")
    if reports:
        amd = ET.SubElement(root, _q(METS, "amdSec"), {"ID": "rep1-amd"})
        for number, report in enumerate(reports, start=1):
            md = ET.SubElement(
                amd,
                _q(METS, "digiprovMD"),
                {"ID": f"rep1-digiprov-{number}", "CREATED": created, "STATUS": "CURRENT"},
            )
            _md_ref(md, report, "docsvc-validation-report", created)
    files = ET.SubElement(root, _q(METS, "fileSec"), {"ID": "rep1-fileSec"})
    _file_group(files, "rep1-data", "Data", data, created)
    struct = ET.SubElement(
        root, _q(METS, "structMap"), {"ID": "rep1-structMap", "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(struct, _q(METS, "div"), {"ID": "rep1-div", "LABEL": REPRESENTATION})
    div = ET.SubElement(top, _q(METS, "div"), {"ID": "rep1-div-data", "LABEL": "Data"})
    ET.SubElement(div, _q(METS, "fptr"), {"FILEID": "rep1-data"})
    # A dossier whose documents were disposed of has no data: its METS is still written.
    (base / prefix).mkdir(parents=True, exist_ok=True)
    _write_xml(root, base / prefix / "METS.xml")


def build(content: Content, bag_dir: Path) -> Path:
    """Lay the package out in the new directory ``bag_dir`` and make it a bag (SHA-256 and
    SHA-512 manifests). Returns ``bag_dir``."""
    if bag_dir.exists():
        raise ArchiveError("bad_package", f"{bag_dir} exists already")
    bag_dir.mkdir(parents=True)
    created = _stamp(content.created)
    # The representation first: its METS is a file of the root's.
    _representation(content, bag_dir, created)
    rep_mets = Entry(
        f"representations/{REPRESENTATION}/METS.xml",
        bag_dir / "representations" / REPRESENTATION / "METS.xml",
        "text/xml",
    )
    descriptive = _copy(content.descriptive, bag_dir)
    preservation = [_copy(entry, bag_dir) for entry in content.preservation]
    documentation = [_copy(entry, bag_dir) for entry in content.documentation]
    schemas = [_copy(entry, bag_dir) for entry in content.schemas]
    rep = _Copied(rep_mets.path, "text/xml", *_size_and_hash(rep_mets.source))

    premis_path = bag_dir / "metadata" / "preservation" / "premis.xml"
    premis_path.parent.mkdir(parents=True, exist_ok=True)
    data_paths = [
        _Copied(
            f"representations/{REPRESENTATION}/{e.path}",
            e.mime,
            *_size_and_hash(bag_dir / "representations" / REPRESENTATION / e.path),
        )
        for e in content.data
    ]
    _write_xml(_premis(content, data_paths), premis_path)
    premis = _Copied("metadata/preservation/premis.xml", "text/xml", *_size_and_hash(premis_path))

    root = _mets_root(content, content.object_id)
    dmd = ET.SubElement(
        root, _q(METS, "dmdSec"), {"ID": "dmd-record", "CREATED": created, "STATUS": "CURRENT"}
    )
    _md_ref(dmd, descriptive, "docsvc-record", created)
    amd = ET.SubElement(root, _q(METS, "amdSec"), {"ID": "amd"})
    for number, (copied, mdtype) in enumerate(
        [(premis, "PREMIS"), *((p, "docsvc-evidence") for p in preservation)], start=1
    ):
        md = ET.SubElement(
            amd,
            _q(METS, "digiprovMD"),
            {"ID": f"digiprov-{number}", "CREATED": created, "STATUS": "CURRENT"},
        )
        _md_ref(md, copied, mdtype, created)
    files = ET.SubElement(root, _q(METS, "fileSec"), {"ID": "fileSec"})
    _file_group(files, "grp-documentation", "Documentation", documentation, created)
    _file_group(files, "grp-schemas", "Schemas", schemas, created)
    _file_group(files, "grp-rep1", f"Representations/{REPRESENTATION}", [rep], created)
    struct = ET.SubElement(
        root, _q(METS, "structMap"), {"ID": "structMap-csip", "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(struct, _q(METS, "div"), {"ID": "div-root", "LABEL": content.object_id})
    ET.SubElement(
        top,
        _q(METS, "div"),
        {
            "ID": "div-metadata",
            "LABEL": "Metadata",
            "DMDID": "dmd-record",
            "ADMID": " ".join(f"digiprov-{n}" for n in range(1, len(preservation) + 2)),
        },
    )
    for div_id, label, group in (
        ("div-documentation", "Documentation", "grp-documentation"),
        ("div-schemas", "Schemas", "grp-schemas"),
    ):
        div = ET.SubElement(top, _q(METS, "div"), {"ID": div_id, "LABEL": label})
        ET.SubElement(div, _q(METS, "fptr"), {"FILEID": group})
    # CSIP103/104 as the validator tests them: a "Representations" div with an fptr,
    # around the representation's own div and its mptr.
    reps = ET.SubElement(
        top, _q(METS, "div"), {"ID": "div-representations", "LABEL": "Representations"}
    )
    ET.SubElement(reps, _q(METS, "fptr"), {"FILEID": "grp-rep1"})
    rep_div = ET.SubElement(
        reps, _q(METS, "div"), {"ID": "div-rep1", "LABEL": f"Representations/{REPRESENTATION}"}
    )
    mptr = ET.SubElement(rep_div, _q(METS, "mptr"), {_q(XLINK, "title"): "grp-rep1"})
    _link(mptr, rep.path)
    _write_xml(root, bag_dir / "METS.xml")

    bagit.make_bag(str(bag_dir), bag_info=dict(content.bag_info), checksums=["sha256", "sha512"])
    return bag_dir


def _size_and_hash(path: Path) -> tuple[int, str]:
    with path.open("rb") as source:
        digest = digest_of(source)
    return digest.size, digest.sha256.upper()


def zip_bag(bag_dir: Path, target: Path) -> Path:
    """The bag as one zip file whose single top folder is the bag's name (written file by
    file, in chunks)."""
    top = bag_dir.name
    with zipfile.ZipFile(target, "w", allowZip64=True) as out:
        for path in sorted(bag_dir.rglob("*")):
            if path.is_file():
                # PDFs compress their own streams: deflating them again costs much and
                # saves little. The text files (METS, JSON, manifests) are deflated.
                method = zipfile.ZIP_STORED if path.suffix == ".pdf" else zipfile.ZIP_DEFLATED
                out.write(
                    path, f"{top}/{path.relative_to(bag_dir).as_posix()}", compress_type=method
                )
    return target


def unpack(package: Path, into: Path) -> Path:
    """The bag directory of ``package``: itself when it is a directory, else its zip
    extracted into ``into`` (refusing members that would land outside it)."""
    if package.is_dir():
        return package
    try:
        with zipfile.ZipFile(package) as archive:
            base = into.resolve()
            for member in archive.infolist():
                target = (base / member.filename).resolve()
                if not target.is_relative_to(base):
                    raise ArchiveError(
                        "bad_package", f"the package names a file outside it: {member.filename}"
                    )
            archive.extractall(base)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(
            "bad_package", f"not a package (neither a folder nor a zip): {exc}"
        ) from exc
    tops = [p for p in into.iterdir() if p.is_dir()]
    if len(tops) != 1:
        raise ArchiveError("bad_package", "the zip does not hold exactly one bag folder")
    return tops[0]


__all__ = ["Content", "Entry", "Event", "build", "unpack", "zip_bag"]
