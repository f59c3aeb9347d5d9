"""Check Python dependencies against an OSV vulnerability database: what pip-audit does, with
a database that can be read where pip-audit's services cannot (pip-audit needs PyPI's
per-version JSON or api.osv.dev).

    .venv/bin/python scripts/dependency_audit.py [--requirements FILE] [--osv-dir PATH]
        [--osv-api URL | --no-api] [--timeout S] [--ignore ID ...] [--allow-unavailable]

What is checked: the distributions installed in the environment this script runs in
(importlib.metadata; a project installed from a local directory, such as docsvc itself, is
skipped: it is no PyPI release), or with ``--requirements FILE`` the pins (``name==version``)
of a requirements file. Names are compared normalised (PEP 503), versions as PEP 440
(packaging).

Where the advisories come from, in this order:

1. a local OSV export: ``--osv-dir PATH`` or ``DOCSVC_OSV_DIR``, a directory of OSV JSON
   records (``https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip`` unzipped, one
   ``<ID>.json`` per advisory) or that zip file itself;
2. otherwise the OSV API, ``POST <--osv-api>/v1/querybatch`` (what pip-audit's ``osv``
   service asks), then ``GET /v1/vulns/<ID>`` for each advisory found.

Matching follows the OSV schema's evaluation: a version is affected when an ``affected``
entry for the package lists it in ``versions`` or when it lies in one of its ECOSYSTEM (or
SEMVER) ranges: events sorted, ``introduced: "0"`` before every version, ``fixed``
excluded, ``last_affected`` included, ``limit`` bounding the range. Withdrawn advisories are
not reported; advisories that name each other (``aliases``, or an alias in common) are one
finding.

It prints one line per finding, ``name version: ID (aliases) fixed in X``, then a summary.
Exit status: 0 no known vulnerability (or every finding ignored with ``--ignore ID``, which
matches an advisory's ID or any of its aliases); 1 at least one finding; 2 wrong usage;
3 could not run, because no database could be read: the reason says which source failed
and how. With ``--allow-unavailable`` that case prints ``dependency audit: not run: ...``
and exits 0 (the quality gate uses this: it audits where a database can be read and says
plainly when it did not).
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal, NoReturn

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_NOT_RUN = 3

ECOSYSTEM = "PyPI"
DEFAULT_API = "https://api.osv.dev"
DEFAULT_TIMEOUT = 5.0
OSV_DIR_VARIABLE = "DOCSVC_OSV_DIR"
EXPORT_URL = "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip"
# The OSV API takes at most 1,000 queries per batch.
BATCH_SIZE = 1000
MAX_PAGES = 50

EventKind = Literal["introduced", "fixed", "last_affected", "limit"]
EVENT_KINDS: tuple[EventKind, ...] = ("introduced", "fixed", "last_affected", "limit")
# Range types whose versions are the ecosystem's own (PEP 440 for PyPI). GIT ranges need the
# repository; OSV expands them into `versions`, which is checked instead.
VERSION_RANGE_TYPES = frozenset({"ECOSYSTEM", "SEMVER"})


class UsageError(Exception):
    """A wrong option or an unreadable requirements file (exit 2)."""


class SourceUnavailable(Exception):
    """This vulnerability source cannot be read; the message says how it failed."""


# --- OSV records ------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    kind: EventKind
    version: str


@dataclass(frozen=True)
class VersionRange:
    type: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Affected:
    name: NormalizedName
    ranges: tuple[VersionRange, ...]
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    withdrawn: str | None
    modified: str
    affected: tuple[Affected, ...]  # the PyPI entries only

    def names(self) -> frozenset[str]:
        return frozenset({self.id, *self.aliases})


def _strings(value: object, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} is not a list of strings")
    return tuple(value)


def _event(raw: object) -> Event:
    if not isinstance(raw, dict):
        raise ValueError("an event is not an object")
    kinds = [kind for kind in EVENT_KINDS if kind in raw]
    if len(kinds) != 1 or not isinstance(raw[kinds[0]], str):
        raise ValueError(f"event {raw!r} has not exactly one of {', '.join(EVENT_KINDS)}")
    return Event(kinds[0], raw[kinds[0]])


def parse_advisory(raw: object) -> Advisory:
    """An OSV record (schema 1.x) with its PyPI `affected` entries; ValueError if malformed."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        raise ValueError("not an OSV record: no id")
    affected: list[Affected] = []
    entries = raw.get("affected") or []
    if not isinstance(entries, list):
        raise ValueError("affected is not a list")
    for entry in entries:
        package = entry.get("package") if isinstance(entry, dict) else None
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            continue  # no package: nothing to match (OSV allows this only for GIT-only records)
        if package.get("ecosystem") != ECOSYSTEM:
            continue
        ranges: list[VersionRange] = []
        raw_ranges = entry.get("ranges") or []
        if not isinstance(raw_ranges, list):
            raise ValueError("ranges is not a list")
        for raw_range in raw_ranges:
            if not isinstance(raw_range, dict) or not isinstance(raw_range.get("events"), list):
                raise ValueError("a range has no events")
            events = tuple(_event(item) for item in raw_range["events"])
            ranges.append(VersionRange(str(raw_range.get("type", "")), events))
        affected.append(
            Affected(
                canonicalize_name(package["name"]),
                tuple(ranges),
                _strings(entry.get("versions"), "versions"),
            )
        )
    withdrawn, modified = raw.get("withdrawn"), raw.get("modified")
    return Advisory(
        id=raw["id"],
        aliases=_strings(raw.get("aliases"), "aliases"),
        withdrawn=withdrawn if isinstance(withdrawn, str) and withdrawn else None,
        modified=modified if isinstance(modified, str) else "",
        affected=tuple(affected),
    )


# --- range evaluation -------------------------------------------------------------------


def _sort_key(event: Event) -> tuple[int, Version]:
    if event.kind == "introduced" and event.version == "0":
        return (0, Version("0"))  # "0": before every version
    return (1, Version(event.version))


def _below_limits(version: Version, events: Sequence[Event]) -> bool:
    limits = [event.version for event in events if event.kind == "limit"]
    if not limits:
        return True  # an implicit {"limit": "*"}
    return any("*" in limit or version < Version(limit) for limit in limits)


def range_includes(version: Version, events: Sequence[Event]) -> bool:
    """Whether `version` lies in the range these events describe (OSV's IncludedInRanges for
    one range). InvalidVersion if an event's version is not PEP 440."""
    if not _below_limits(version, events):
        return False
    vulnerable = False
    ordered = sorted((e for e in events if e.kind != "limit"), key=_sort_key)
    # The schema leaves the order of events at one version open. An open interval is closed
    # before one is introduced there, and otherwise the other way round: abutting intervals
    # {introduced 1, fixed 2, introduced 2, fixed 3} cover 2, {introduced 2, fixed 2} is
    # empty, and {introduced 2, last_affected 2} is exactly 2.
    for _, group in itertools.groupby(ordered, key=_sort_key):
        introduced_last = vulnerable
        for event in sorted(group, key=lambda e: (e.kind == "introduced") == introduced_last):
            if event.kind == "introduced":
                if event.version == "0" or version >= Version(event.version):
                    vulnerable = True
            elif event.kind == "fixed":
                if version >= Version(event.version):
                    vulnerable = False
            elif version > Version(event.version):  # last_affected
                vulnerable = False
    return vulnerable


def _listed(version: str, parsed: Version | None, versions: Iterable[str]) -> bool:
    for listed in versions:
        if listed == version:
            return True
        if parsed is not None:
            try:
                if Version(listed) == parsed:
                    return True
            except InvalidVersion:
                continue
    return False


@dataclass(frozen=True)
class Verdict:
    affected: bool
    fixed: tuple[str, ...]  # fixed versions above the one checked, in order
    problems: tuple[str, ...]  # what could not be evaluated


def evaluate(advisory: Advisory, name: str, version: str) -> Verdict:
    """Whether `name` at `version` is affected by `advisory` (OSV's IsVulnerable)."""
    name = canonicalize_name(name)
    try:
        parsed: Version | None = Version(version)
    except InvalidVersion:
        parsed = None
    affected = False
    fixed: set[Version] = set()
    problems: list[str] = []
    for entry in advisory.affected:
        if entry.name != name:
            continue
        if _listed(version, parsed, entry.versions):
            affected = True
        for vrange in entry.ranges:
            if vrange.type not in VERSION_RANGE_TYPES or parsed is None:
                continue
            try:
                if range_includes(parsed, vrange.events):
                    affected = True
                fixed.update(Version(e.version) for e in vrange.events if e.kind == "fixed")
            except InvalidVersion as exc:
                problems.append(f"{advisory.id}: a {vrange.type} range was not evaluated ({exc})")
    above = sorted(v for v in fixed if parsed is not None and v > parsed)
    return Verdict(affected, tuple(str(v) for v in above), tuple(problems))


# --- what is checked --------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Package:
    name: NormalizedName
    version: str


@dataclass
class Inventory:
    packages: list[Package]
    notes: list[str] = field(default_factory=list)
    description: str = ""


def _installed_from_local_directory(dist: metadata.Distribution) -> bool:
    text = dist.read_text("direct_url.json")
    if not text:
        return False
    try:
        direct_url = json.loads(text)
    except json.JSONDecodeError:
        return False
    return isinstance(direct_url, dict) and "dir_info" in direct_url


def site_directories() -> list[str]:
    """The entries of sys.path that packages are installed into (the environment's
    site-packages, and the system's or the user's when they are on the path): not the
    current directory or a PYTHONPATH source tree, whose egg-info is no installed release."""
    return [entry for entry in sys.path if Path(entry).name in ("site-packages", "dist-packages")]


def installed_packages() -> Inventory:
    """The distributions installed for this interpreter, the first of each name on sys.path."""
    inventory = Inventory([], description="installed distributions of " + sys.prefix)
    seen: set[NormalizedName] = set()
    for dist in metadata.distributions(path=site_directories()):
        raw_name = dist.metadata["Name"] if dist.metadata else None
        if not raw_name:
            continue
        name = canonicalize_name(raw_name)
        if name in seen:
            continue
        seen.add(name)
        if _installed_from_local_directory(dist):
            inventory.notes.append(
                f"{name} {dist.version}: installed from a local directory, not a PyPI "
                "release: not checked"
            )
            continue
        inventory.packages.append(Package(name, dist.version))
    inventory.packages.sort()
    return inventory


_OPTION_TAIL = re.compile(r"\s+--?[A-Za-z]")


def _logical_lines(text: str) -> Iterator[str]:
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


def _read_requirements(path: Path, inventory: Inventory, seen: set[Path]) -> None:
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read requirements file {path}: {exc.strerror or exc}") from exc
    for line in _logical_lines(text):
        if line.startswith("-"):
            option, _, value = line.partition(" ")
            if "=" in option:
                option, _, value = line.partition("=")
            if option in ("-r", "--requirement"):
                _read_requirements(path.parent / value.strip(), inventory, seen)
            elif option in ("-e", "--editable"):
                inventory.notes.append(f"{path}: {line}: an editable requirement: not checked")
            continue  # index options, constraints (-c), hashes on their own line
        match = _OPTION_TAIL.search(line)
        if match:
            line = line[: match.start()]  # e.g. --hash=sha256:...
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            inventory.notes.append(f"{path}: {line!r} is not a requirement ({exc}): not checked")
            continue
        try:
            applies = requirement.marker is None or requirement.marker.evaluate()
        except (UndefinedComparison, UndefinedEnvironmentName):
            applies = True
        if not applies:
            continue
        specifiers = list(requirement.specifier)
        if (
            requirement.url
            or len(specifiers) != 1
            or specifiers[0].operator not in ("==", "===")
            or specifiers[0].version.endswith(".*")
        ):
            inventory.notes.append(
                f"{path}: {line!r} is not pinned to one version (name==version): not checked"
            )
            continue
        package = Package(canonicalize_name(requirement.name), specifiers[0].version)
        if package not in inventory.packages:
            inventory.packages.append(package)


def requirement_packages(path: Path) -> Inventory:
    inventory = Inventory([], description=f"pins of {path}")
    _read_requirements(path, inventory, set())
    inventory.packages.sort()
    return inventory


# --- where the advisories come from -----------------------------------------------------


@dataclass
class Database:
    description: str
    by_package: dict[NormalizedName, list[Advisory]]
    notes: list[str] = field(default_factory=list)
    # From the API: the advisories OSV itself matched to each package, reported even where
    # the record's ranges say otherwise here.
    matched: dict[Package, set[str]] | None = None


def _export_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every JSON record in a directory (recursively, and in the zip files
    directly inside it) or in a zip file."""
    if path.is_dir():
        for member in sorted(path.rglob("*.json")):
            if member.is_file():
                yield str(member), member.read_bytes()
        for archive in sorted(path.glob("*.zip")):
            yield from _export_members(archive)
        return
    with zipfile.ZipFile(path) as zipped:
        for info in zipped.infolist():
            if not info.is_dir() and info.filename.endswith(".json"):
                yield f"{path}:{info.filename}", zipped.read(info)


def load_export(path: Path, wanted: Iterable[NormalizedName]) -> Database:
    """The advisories of a local OSV export for the packages in `wanted`."""
    if not path.exists():
        raise SourceUnavailable(f"{path} does not exist")
    if not path.is_dir() and not zipfile.is_zipfile(path):
        raise SourceUnavailable(f"{path} is neither a directory nor a zip file")
    names = set(wanted)
    by_package: dict[NormalizedName, list[Advisory]] = {}
    records = pypi_records = 0
    newest = ""
    malformed: list[str] = []
    try:
        for member, data in _export_members(path):
            records += 1
            try:
                advisory = parse_advisory(json.loads(data))
            except (ValueError, UnicodeDecodeError) as exc:
                malformed.append(f"{member} ({exc})")
                continue
            if not advisory.affected:
                continue
            pypi_records += 1
            newest = max(newest, advisory.modified)
            for package in {entry.name for entry in advisory.affected} & names:
                by_package.setdefault(package, []).append(advisory)
    except (OSError, zipfile.BadZipFile) as exc:
        raise SourceUnavailable(f"{path} could not be read: {exc}") from exc
    if not pypi_records:
        raise SourceUnavailable(
            f"{path} holds no OSV record for {ECOSYSTEM} ({records} JSON files, "
            f"{len(malformed)} of them malformed)"
        )
    database = Database(
        f"the local OSV export {path} ({pypi_records} {ECOSYSTEM} advisories, "
        f"newest modified {newest[:10] or 'unknown'})",
        by_package,
    )
    if malformed:
        shown = "; ".join(malformed[:3]) + ("; ..." if len(malformed) > 3 else "")
        database.notes.append(
            f"{len(malformed)} records of the export are not OSV and were skipped: {shown}"
        )
    return database


def _opener(url: str) -> urllib.request.OpenerDirector:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    # A proxy cannot reach this machine's own loopback: go direct there.
    return urllib.request.build_opener(urllib.request.ProxyHandler({} if loopback else None))


def _http_json(
    opener: urllib.request.OpenerDirector, url: str, body: object | None, timeout: float
) -> object:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked in query_api)
        url,
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json", "User-Agent": "docsvc-dependency-audit"},
    )
    with opener.open(request, timeout=timeout) as response:
        return json.loads(response.read())


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, OSError) and reason.strerror:
            return f"connection failed: {reason.strerror}"
        return f"connection failed: {reason}"
    if isinstance(exc, TimeoutError):
        return "no answer within the timeout"
    if isinstance(exc, json.JSONDecodeError):
        return f"the answer is not JSON ({exc.msg})"
    return f"{type(exc).__name__}: {exc}"


def query_api(base: str, packages: Sequence[Package], timeout: float) -> Database:
    """The advisories the OSV API matches to `packages` (querybatch, then each record)."""
    base = base.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise SourceUnavailable(f"{base!r} is not an http(s) URL")
    batch_url = f"{base}/v1/querybatch"
    opener = _opener(base)
    matched: dict[Package, set[str]] = {}

    def fail(what: str, exc: BaseException) -> NoReturn:
        raise SourceUnavailable(
            f"{what} ({_describe_failure(exc)}; timeout {timeout:g} s)"
        ) from exc

    def query(package: Package, token: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "package": {"name": package.name, "ecosystem": ECOSYSTEM},
            "version": package.version,
        }
        if token:
            body["page_token"] = token
        return body

    try:
        for start in range(0, len(packages), BATCH_SIZE):
            chunk = packages[start : start + BATCH_SIZE]
            pending = [(package, query(package)) for package in chunk]
            for _ in range(MAX_PAGES):
                if not pending:
                    break
                answer = _http_json(
                    opener, batch_url, {"queries": [q for _, q in pending]}, timeout
                )
                results = answer.get("results") if isinstance(answer, dict) else None
                if not isinstance(results, list) or len(results) != len(pending):
                    raise ValueError("the answer has no result for each query")
                following = []
                for (package, _), result in zip(pending, results, strict=True):
                    vulns = result.get("vulns") if isinstance(result, dict) else None
                    for vuln in vulns or []:
                        if isinstance(vuln, dict) and isinstance(vuln.get("id"), str):
                            matched.setdefault(package, set()).add(vuln["id"])
                    token = result.get("next_page_token") if isinstance(result, dict) else None
                    if isinstance(token, str) and token:
                        following.append((package, query(package, token)))
                pending = following
    except (OSError, ValueError) as exc:  # URLError, TimeoutError and JSONDecodeError too
        fail(f"POST {batch_url} failed", exc)
    by_package: dict[NormalizedName, list[Advisory]] = {}
    records: dict[str, Advisory] = {}
    for advisory_id in sorted({i for ids in matched.values() for i in ids}):
        url = f"{base}/v1/vulns/{urllib.parse.quote(advisory_id, safe='')}"
        try:
            records[advisory_id] = parse_advisory(_http_json(opener, url, None, timeout))
        except (OSError, ValueError) as exc:
            fail(f"GET {url} failed", exc)
    for package, ids in matched.items():
        for advisory_id in sorted(ids):
            by_package.setdefault(package.name, []).append(records[advisory_id])
    return Database(f"the OSV API at {base}", by_package, matched=matched)


# --- findings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    package: Package
    id: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]

    def names(self) -> frozenset[str]:
        return frozenset({self.id, *self.aliases})

    def line(self) -> str:
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = f"fixed in {', '.join(self.fixed)}" if self.fixed else "no fixed version known"
        return f"{self.package.name} {self.package.version}: {self.id}{aliases} {fix}"


def _id_rank(advisory_id: str) -> tuple[int, str]:
    for rank, prefix in enumerate(("GHSA-", "PYSEC-", "CVE-")):
        if advisory_id.startswith(prefix):
            return (rank, advisory_id)
    return (3, advisory_id)


def _merge(package: Package, hits: list[tuple[Advisory, Verdict]]) -> list[Finding]:
    """One finding per group of advisories that name each other (directly or through a
    shared alias), as pip-audit does."""
    groups: list[tuple[set[str], list[tuple[Advisory, Verdict]]]] = []
    for advisory, verdict in hits:
        names = set(advisory.names())
        joined = [g for g in groups if g[0] & names]
        merged_names, merged_hits = names, [(advisory, verdict)]
        for group in joined:
            groups.remove(group)
            merged_names |= group[0]
            merged_hits += group[1]
        groups.append((merged_names, merged_hits))
    findings = []
    for names, members in groups:
        primary = min((advisory.id for advisory, _ in members), key=_id_rank)
        fixed = sorted({v for _, verdict in members for v in verdict.fixed}, key=Version)
        findings.append(
            Finding(package, primary, tuple(sorted(names - {primary}, key=_id_rank)), tuple(fixed))
        )
    return sorted(findings, key=lambda f: _id_rank(f.id))


@dataclass
class Report:
    findings: list[Finding]
    notes: list[str]


def audit(packages: Sequence[Package], database: Database) -> Report:
    findings: list[Finding] = []
    notes: list[str] = []
    for package in packages:
        advisories = database.by_package.get(package.name, [])
        if not advisories:
            continue
        try:
            Version(package.version)
        except InvalidVersion:
            notes.append(
                f"{package.name} {package.version}: not a PEP 440 version: only the advisories' "
                "explicit version lists were checked"
            )
        forced = (database.matched or {}).get(package, set())
        hits: list[tuple[Advisory, Verdict]] = []
        for advisory in advisories:
            verdict = evaluate(advisory, package.name, package.version)
            notes.extend(f"{package.name} {package.version}: {p}" for p in verdict.problems)
            if not (verdict.affected or advisory.id in forced):
                continue
            if advisory.withdrawn:
                notes.append(
                    f"{package.name} {package.version}: {advisory.id} was withdrawn on "
                    f"{advisory.withdrawn[:10]}: not reported"
                )
                continue
            hits.append((advisory, verdict))
        findings += _merge(package, hits)
    return Report(findings, notes)


# --- command line -----------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Check dependencies against an OSV vulnerability database "
        "(exit 0 clean, 1 findings, 2 usage, 3 could not run).",
    )
    parser.add_argument(
        "--requirements",
        "-r",
        type=Path,
        metavar="FILE",
        help="check the pins (name==version) of this requirements file instead of the "
        "distributions installed in this interpreter's environment",
    )
    parser.add_argument(
        "--osv-dir",
        type=Path,
        metavar="PATH",
        help=f"a local OSV export: a directory of OSV JSON records or the zip file "
        f"({EXPORT_URL}); default ${OSV_DIR_VARIABLE}",
    )
    parser.add_argument(
        "--osv-api",
        default=DEFAULT_API,
        metavar="URL",
        help="the OSV API, asked when no local export is given or readable "
        f"(default {DEFAULT_API})",
    )
    parser.add_argument("--no-api", action="store_true", help="never ask the OSV API")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for each answer of the API (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="ID",
        help="an accepted finding: an advisory ID or alias (repeatable); it is printed as ignored",
    )
    parser.add_argument(
        "--allow-unavailable",
        action="store_true",
        help="exit 0 (after saying so) when no vulnerability database can be read",
    )
    return parser.parse_args(argv)


def _open_database(args: argparse.Namespace, packages: Sequence[Package]) -> Database:
    failures: list[str] = []
    export = args.osv_dir
    if export is None and os.environ.get(OSV_DIR_VARIABLE):
        export = Path(os.environ[OSV_DIR_VARIABLE])
    if export is not None:
        try:
            return load_export(export, {package.name for package in packages})
        except SourceUnavailable as exc:
            failures.append(f"the local OSV export could not be read: {exc}")
    else:
        failures.append(
            f"no local OSV export was given (--osv-dir or {OSV_DIR_VARIABLE}: a directory of "
            f"OSV JSON records for {ECOSYSTEM}, e.g. {EXPORT_URL} unzipped, or that zip file)"
        )
    if args.no_api:
        failures.append("the OSV API was not asked (--no-api)")
    else:
        try:
            return query_api(args.osv_api, packages, args.timeout)
        except SourceUnavailable as exc:
            failures.append(f"the OSV API could not be used: {exc}")
    raise SourceUnavailable(
        "no vulnerability database could be read, so no dependency was checked: "
        + "; ".join(failures)
        + "."
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if args.timeout <= 0:
        print("dependency audit: --timeout must be positive", file=sys.stderr)
        return EXIT_USAGE
    try:
        inventory = (
            requirement_packages(args.requirements) if args.requirements else installed_packages()
        )
    except UsageError as exc:
        print(f"dependency audit: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        database = _open_database(args, inventory.packages)
    except SourceUnavailable as exc:
        if args.allow_unavailable:
            print(f"dependency audit: not run: {exc}")
            return EXIT_CLEAN
        print(f"dependency audit: could not run: {exc}", file=sys.stderr)
        return EXIT_NOT_RUN

    report = audit(inventory.packages, database)
    # IDs are matched without regard to case: "cve-2019-10906" is CVE-2019-10906.
    ignore = {item.upper(): item for item in args.ignore}
    used: set[str] = set()
    reported: list[Finding] = []
    ignored = 0
    for finding in report.findings:
        accepted = sorted(name for name in finding.names() if name.upper() in ignore)
        if accepted:
            used.update(name.upper() for name in accepted)
            ignored += 1
            print(f"ignored: {finding.line()} (--ignore {', '.join(accepted)})")
        else:
            reported.append(finding)
            print(finding.line())
    for note in [*inventory.notes, *database.notes, *dict.fromkeys(report.notes)]:
        print(f"note: {note}")
    for key in sorted(ignore.keys() - used):
        print(f"note: --ignore {ignore[key]} matched no finding")

    packages = len(inventory.packages)
    checked = f"{packages} {'package' if packages == 1 else 'packages'} ({inventory.description})"
    extra = f", {ignored} ignored" if ignored else ""
    if reported:
        affected = len({finding.package for finding in reported})
        print(
            f"dependency audit: {len(reported)} known "
            f"{'vulnerability' if len(reported) == 1 else 'vulnerabilities'} in {affected} of "
            f"{checked}{extra}; checked against {database.description}"
        )
        return EXIT_FINDINGS
    print(
        f"dependency audit: no known vulnerability in {checked}{extra}; checked against "
        f"{database.description}"
    )
    return EXIT_CLEAN


if __name__ == "__main__":
    sys.exit(main())
