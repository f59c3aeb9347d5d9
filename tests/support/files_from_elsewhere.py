"""The files an outside verifier brings, each with the verdict it must get: signed files made
by other products and the deviations a lenient reading tolerates (``data/corpus``), the
shadow attacks of NDSS 2021 (``data/shadow``), and the incremental saving, signature
wrapping and universal forgery attacks of CCS 2019 (``data/isa_swa``). Each folder's
``expected.json`` is written by the script that makes its files; its README says why each
verdict is right."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent.parent / "data"
FOLDERS = ("corpus", "shadow", "isa_swa")


@dataclass(frozen=True)
class Case:
    folder: str
    name: str
    verdict: str
    trust: tuple[str, ...]
    signatures: int | None = None
    level: str | None = None
    warnings: frozenset[str] = field(default_factory=frozenset)
    reason_codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def path(self) -> Path:
        return DATA / self.folder / self.name

    @property
    def anchors(self) -> list[Path]:
        return [DATA / self.folder / name for name in self.trust]

    @property
    def id(self) -> str:
        return f"{self.folder}/{self.name}"


def cases() -> list[Case]:
    found = []
    for folder in FOLDERS:
        listed = json.loads((DATA / folder / "expected.json").read_text())["files"]
        for name, expected in sorted(listed.items()):
            found.append(
                Case(
                    folder=folder,
                    name=name,
                    verdict=expected["verdict"],
                    trust=tuple(expected["trust"]),
                    signatures=expected.get("signatures"),
                    level=expected.get("level"),
                    warnings=frozenset(expected.get("warnings", ())),
                    reason_codes=frozenset(expected.get("reason_codes", ())),
                )
            )
    return found


def check_report(case: Case, report: dict[str, Any]) -> None:
    """The report (docs/contracts.md's JSON) agrees with what ``case`` expects."""
    assert report["verdict"] == case.verdict, (case.id, report)
    signatures = report["signatures"]
    if case.signatures is not None:
        assert len(signatures) == case.signatures, (case.id, report)
    if case.level is not None and signatures and signatures[0]["verdict"] != "invalid":
        assert signatures[0]["level"] == case.level, (case.id, report)
    warned = {warning["code"] for warning in report["warnings"]}
    assert case.warnings <= warned, (case.id, report)
    if not case.warnings:
        # A clean file gets no warning either: a warning is never noise.
        assert not warned - {"pdf_syntax"}, (case.id, report)
    given = {code for s in signatures for code in s["reason_codes"]}
    assert case.reason_codes <= given, (case.id, report)
    for signature in signatures:
        assert len(signature["reasons"]) == len(signature["reason_codes"]), (case.id, report)
