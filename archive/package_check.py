"""Checking an archival package (``archive.package``) offline, with nothing of the
institution: no network, no database. Only the bag, pyHanko (through ``signing``) and the
transparency library.

``check`` gives one verdict:

- **invalid**: the bag does not validate, or a file is not what the METS says (its size or
  SHA-256), or a register proof or the checkpoint's signature fails, or a signature is
  invalid, or a document's file is not recorded in the register;
- **indeterminate**: every check passed but some signed document could not be judged
  valid (its verdict is ``indeterminate``, for example under anchors that do not reach it);
- **valid**: everything holds.

The signatures are checked against ``trust_roots`` when given, else against the anchors
the package carries (``metadata/preservation/trust-anchors.pem``), which the report says:
who trusts the package's own anchors trusts whoever made it. Likewise the register's key.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree as ET

import bagit

from archive.errors import ArchiveError
from archive.package import METS, REPRESENTATION, XLINK, unpack
from signing.cades import verify_record
from signing.errors import SigningError
from signing.verification import VerificationPolicy, verify
from storage.hashing import digest_of
from transparency.checkpoints import Checkpoint, verify_checkpoint
from transparency.errors import TransparencyError
from transparency.leaves import json_leaf_hash
from transparency.notes import VerifierKey
from transparency.proofs import verify_inclusion

Verdict = Literal["valid", "invalid", "indeterminate"]
EVIDENCE = "metadata/preservation"
PROOFS = f"{EVIDENCE}/register-proofs.json"
CHECKPOINT = f"{EVIDENCE}/register-checkpoint.txt"
REGISTER_KEY = f"{EVIDENCE}/register-key.txt"
ANCHORS = f"{EVIDENCE}/trust-anchors.pem"


class Line(str):
    """One line of a report: its English text, and what a translation needs, a stable
    ``code`` and the ``values`` in it (the pages say it in the reader's language)."""

    code: str
    values: dict[str, str | int]

    def __new__(cls, code: str, template: str, **values: str | int) -> Line:
        line = super().__new__(cls, template % values)
        line.code = code
        line.values = values
        return line

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "values": self.values, "text": str(self)}


def _coded(lines: list[str]) -> list[dict[str, object]]:
    return [
        line.as_json() if isinstance(line, Line) else {"code": "", "values": {}, "text": line}
        for line in lines
    ]


@dataclass(frozen=True, slots=True)
class FileVerdict:
    path: str
    verdict: str
    level: str
    reasons: tuple[str, ...]


@dataclass(slots=True)
class PackageReport:
    verdict: Verdict = "valid"
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)
    files: list[FileVerdict] = field(default_factory=list)

    def settle(self) -> PackageReport:
        self.verdict = "invalid" if self.problems else "indeterminate" if self.doubts else "valid"
        return self

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "checked": self.checked,
            "problems": self.problems,
            "doubts": self.doubts,
            "lines": {
                "checked": _coded(self.checked),
                "problems": _coded(self.problems),
                "doubts": _coded(self.doubts),
            },
            "files": [
                {"path": f.path, "verdict": f.verdict, "level": f.level, "reasons": list(f.reasons)}
                for f in self.files
            ],
        }


def _sha256(path: Path) -> str:
    with path.open("rb") as source:
        return digest_of(source).sha256


def _check_listed(base: Path, mets: Path, report: PackageReport) -> int:
    """Every file and metadata reference of a METS document: there, of its size and hash."""
    try:
        text = mets.read_bytes()
        # METS never needs a DTD; refusing one rules out entity-expansion bombs.
        if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
            raise ET.ParseError("a METS file with a DTD")
        tree = ET.ElementTree(ET.fromstring(text))  # noqa: S314 - no DTD, see above
    except (ET.ParseError, OSError) as exc:
        report.problems.append(
            Line(
                "mets_unreadable",
                "%(file)s cannot be read: %(detail)s",
                file=mets.name,
                detail=str(exc),
            )
        )
        return 0
    listed = 0
    refs = [
        (element, element.find(f"{{{METS}}}FLocat")) for element in tree.iter(f"{{{METS}}}file")
    ] + [(element, element) for element in tree.iter(f"{{{METS}}}mdRef")]
    for described, locator in refs:
        href = locator.get(f"{{{XLINK}}}href") if locator is not None else None
        if not href:
            report.problems.append(
                Line(
                    "file_without_location",
                    "%(file)s lists a file without its location",
                    file=str(mets.relative_to(base)),
                )
            )
            continue
        path = (mets.parent / href).resolve()
        if not path.is_relative_to(base.resolve()) or not path.is_file():
            report.problems.append(
                Line(
                    "file_missing",
                    "%(file)s, listed in %(mets)s, is missing",
                    file=href,
                    mets=str(mets.relative_to(base)),
                )
            )
            continue
        listed += 1
        if str(path.stat().st_size) != described.get("SIZE"):
            report.problems.append(
                Line("file_size", "%(file)s is not of the size its METS says", file=href)
            )
        if _sha256(path).upper() != (described.get("CHECKSUM") or "").upper():
            report.problems.append(
                Line("file_hash", "%(file)s does not hash to the SHA-256 its METS says", file=href)
            )
    return listed


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveError("bad_package", f"{path.name} cannot be read: {exc}") from exc


@dataclass(frozen=True, slots=True)
class ProvenLeaves:
    """A register's leaves checked against its signed checkpoint: how many are proven, the
    SHA-256s of the document versions they record, and what failed."""

    checkpoint: Checkpoint | None
    key_name: str
    proven: int
    recorded: frozenset[str]
    problems: tuple[Line, ...]


def prove_leaves(
    checkpoint_note: str, key_text: str, items: Sequence[dict[str, Any]]
) -> ProvenLeaves:
    """The checkpoint under the key, then each leaf's inclusion proof in it (``items`` as
    ``register-proofs.json`` lists them: ``index``, ``leaf``, ``proof``)."""
    try:
        key = VerifierKey.parse(key_text)
        checkpoint = verify_checkpoint(checkpoint_note, key)
    except (TransparencyError, ValueError) as exc:
        problem = Line(
            "checkpoint_invalid",
            "the register checkpoint does not verify: %(detail)s",
            detail=str(exc),
        )
        return ProvenLeaves(None, "", 0, frozenset(), (problem,))
    recorded: set[str] = set()
    problems: list[Line] = []
    proven = 0
    for item in items:
        try:
            leaf = item["leaf"]
            verify_inclusion(
                int(item["index"]),
                checkpoint.size,
                json_leaf_hash(leaf),
                [bytes.fromhex(p) for p in item["proof"]],
                checkpoint.root,
            )
        except (TransparencyError, KeyError, TypeError, ValueError) as exc:
            problems.append(
                Line(
                    "leaf_unproven",
                    "leaf %(index)s is not proven: %(detail)s",
                    index=str(item.get("index")),
                    detail=str(exc),
                )
            )
            continue
        proven += 1
        if leaf.get("kind") in ("document.version", "document.signature"):
            sha256 = leaf.get("data", {}).get("sha256")
            if isinstance(sha256, str):
                recorded.add(sha256.lower())
    return ProvenLeaves(checkpoint, key.name, proven, frozenset(recorded), tuple(problems))


def _check_register(root: Path, register_key: str | None, report: PackageReport) -> set[str]:
    """The checkpoint under the register's key, every leaf's inclusion in it; the SHA-256s
    of the document versions the proven leaves record."""
    key_text = register_key or (root / REGISTER_KEY).read_text(encoding="utf-8").strip()
    if register_key is None:
        report.checked.append(
            Line("own_register_key", "the register's key is the one the package carries")
        )
    found = prove_leaves(
        (root / CHECKPOINT).read_text(encoding="utf-8"),
        key_text,
        _load_json(root / PROOFS).get("leaves", []),
    )
    report.problems.extend(found.problems)
    if found.checkpoint is None:
        return set()
    report.checked.append(
        Line(
            "checkpoint_signed",
            "the register checkpoint of %(size)s leaves is signed by %(key)s",
            size=found.checkpoint.size,
            key=found.key_name,
        )
    )
    report.checked.append(
        Line(
            "leaves_proven",
            "%(count)s register leaves are proven in that checkpoint",
            count=found.proven,
        )
    )
    return set(found.recorded)


def _anchors(root: Path, trust_roots: Sequence[bytes] | None, report: PackageReport) -> list[bytes]:
    if trust_roots:
        return list(trust_roots)
    pem = (root / ANCHORS).read_text(encoding="ascii")
    anchors = []
    for block in pem.split("-----BEGIN CERTIFICATE-----")[1:]:
        body = block.split("-----END CERTIFICATE-----")[0]
        anchors.append(base64.b64decode("".join(body.split())))
    report.checked.append(
        Line(
            "own_anchors",
            "signatures checked against the %(count)s trust anchors the package carries",
            count=len(anchors),
        )
    )
    return anchors


def _check_disposals(root: Path, anchors: Sequence[bytes], report: PackageReport) -> None:
    """Each signed disposal record (``disposal-N.json`` and its CAdES ``.p7s``)."""
    for record in sorted((root / EVIDENCE).glob("disposal-*.json")):
        relative = record.relative_to(root).as_posix()
        signature = record.with_suffix(".p7s")
        try:
            found = verify_record(record.read_bytes(), signature.read_bytes(), anchors)
        except (SigningError, OSError) as exc:
            report.problems.append(
                Line(
                    "disposal_unreadable",
                    "%(file)s: its signature cannot be read: %(detail)s",
                    file=relative,
                    detail=str(exc),
                )
            )
            continue
        if found.verdict == "invalid":
            report.problems.append(
                Line("disposal_invalid", "%(file)s: its signature does not verify", file=relative)
            )
        elif found.verdict == "indeterminate":
            report.doubts.append(
                Line(
                    "disposal_untrusted",
                    "%(file)s is signed by %(signer)s, who does not chain to a trusted root",
                    file=relative,
                    signer=found.signer_name,
                )
            )
        else:
            report.checked.append(
                Line(
                    "disposal_signed",
                    "%(file)s is signed by %(signer)s",
                    file=relative,
                    signer=found.signer_name,
                )
            )


def check(
    package: Path,
    trust_roots: Sequence[bytes] | None = None,
    register_key: str | None = None,
) -> PackageReport:
    """Check ``package`` (a bag folder, or its zip). ``ArchiveError`` when it is not a
    package at all."""
    with tempfile.TemporaryDirectory(prefix="docsvc-package-") as work:
        return check_bag(unpack(package, Path(work)), trust_roots, register_key)


def check_bag(
    bag_dir: Path,
    trust_roots: Sequence[bytes] | None = None,
    register_key: str | None = None,
) -> PackageReport:
    """Check an unpacked package (``unpack``): its bag, its METS, its register proofs and
    every signed file."""
    report = PackageReport()
    try:
        bag = bagit.Bag(str(bag_dir))
        bag.validate(processes=1)
        report.checked.append(Line("bag_valid", "the bag validates (its manifests and payload)"))
    except bagit.BagError as exc:
        report.problems.append(
            Line("bag_invalid", "the bag does not validate: %(detail)s", detail=str(exc))
        )
        return report.settle()
    root = bag_dir / "data"
    mets = root / "METS.xml"
    if not mets.is_file():
        raise ArchiveError("bad_package", "the bag holds no package: data/METS.xml is missing")
    rep_mets = root / "representations" / REPRESENTATION / "METS.xml"
    listed = _check_listed(root, mets, report) + _check_listed(root, rep_mets, report)
    report.checked.append(
        Line("files_listed", "the %(count)s files the METS list are there, whole", count=listed)
    )
    try:
        recorded = _check_register(root, register_key, report)
        anchors = _anchors(root, trust_roots, report)
    except (ArchiveError, OSError) as exc:
        report.problems.append(
            Line(
                "evidence_unreadable",
                "the package's evidence cannot be read: %(detail)s",
                detail=str(exc),
            )
        )
        return report.settle()
    _check_disposals(root, anchors, report)
    data = root / "representations" / REPRESENTATION / "data"
    for pdf in sorted(data.rglob("*.pdf")):
        relative = pdf.relative_to(root).as_posix()
        if _sha256(pdf) not in recorded:
            report.problems.append(
                Line("not_recorded", "%(file)s is not recorded in the register", file=relative)
            )
        result = verify(pdf, VerificationPolicy(tuple(anchors))).report
        if not result.signatures:
            continue  # an original before its signature: nothing to judge
        level = ", ".join(s.level for s in result.signatures)
        report.files.append(
            FileVerdict(
                relative,
                result.verdict,
                level,
                tuple(r for s in result.signatures for r in s.reasons),
            )
        )
        if result.verdict == "invalid":
            report.problems.append(
                Line("signature_invalid", "%(file)s: a signature is invalid", file=relative)
            )
        elif result.verdict == "indeterminate":
            report.doubts.append(
                Line(
                    "signature_indeterminate",
                    "%(file)s: a signature is indeterminate",
                    file=relative,
                )
            )
    report.checked.append(
        Line("signed_verified", "%(count)s signed files verified", count=len(report.files))
    )
    return report.settle()
