"""scripts/dependency_audit.py: OSV range evaluation against the schema's own examples and
Hypothesis properties, requirements and exports read, the API path against a local server,
and the script run end to end on the small export in tests/data/osv (no network)."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.utils import canonicalize_name
from packaging.version import Version

from scripts.dependency_audit import (
    Advisory,
    Database,
    Event,
    EventKind,
    Package,
    SourceUnavailable,
    audit,
    evaluate,
    load_export,
    main,
    parse_advisory,
    range_includes,
    requirement_packages,
)

ROOT = Path(__file__).parents[2]
DEMO = canonicalize_name("demo")
JINJA2 = canonicalize_name("jinja2")
SCRIPT = ROOT / "scripts" / "dependency_audit.py"
OSV_DIR = ROOT / "tests" / "data" / "osv"
GHSA_LINE = "jinja2 2.10: GHSA-462w-v97r-4m45 (PYSEC-2019-217, CVE-2019-10906) fixed in 2.10.1"
REDOS_LINE = (
    "jinja2 2.10: PYSEC-2021-66 (GHSA-g3rq-g295-4j3m, CVE-2020-28493, "
    "SNYK-PYTHON-JINJA2-1012994) fixed in 2.11.3"
)


def events(*pairs: tuple[str, str]) -> tuple[Event, ...]:
    return tuple(Event(cast(EventKind, kind), version) for kind, version in pairs)


def package(name: str, version: str) -> Package:
    return Package(canonicalize_name(name), version)


def includes(version: str, *pairs: tuple[str, str]) -> bool:
    return range_includes(Version(version), events(*pairs))


def record(
    advisory_id: str = "TEST-1",
    *,
    name: str = "demo",
    ecosystem: str = "PyPI",
    ranges: list[dict[str, object]] | None = None,
    versions: list[str] | None = None,
    **extra: object,
) -> Advisory:
    entry: dict[str, object] = {"package": {"ecosystem": ecosystem, "name": name}}
    if ranges is not None:
        entry["ranges"] = ranges
    if versions is not None:
        entry["versions"] = versions
    return parse_advisory({"id": advisory_id, "affected": [entry], **extra})


def ecosystem_range(*pairs: tuple[str, str]) -> dict[str, object]:
    return {"type": "ECOSYSTEM", "events": [{kind: version} for kind, version in pairs]}


# --- range evaluation: the OSV schema's examples ----------------------------------------


def test_introduced_zero_and_fixed() -> None:
    fixed = (("introduced", "0"), ("fixed", "2.10.1"))
    assert includes("0.1", *fixed)
    assert includes("2.10", *fixed)
    assert includes("2.10.1rc1", *fixed)  # a pre-release of the fix comes before it
    assert not includes("2.10.1", *fixed)
    assert not includes("3.1.6", *fixed)


def test_introduced_zero_alone_is_every_version() -> None:
    assert includes("0.0.1.dev0", ("introduced", "0"))
    assert includes("2026.1", ("introduced", "0"))


def test_last_affected_is_included() -> None:
    pairs = (("introduced", "1.0"), ("last_affected", "1.2"))
    assert not includes("0.9", *pairs)
    assert includes("1.0", *pairs)
    assert includes("1.2", *pairs)
    assert includes("1.2.0", *pairs)  # the same version as 1.2 under PEP 440
    assert not includes("1.2.1", *pairs)


def test_several_intervals_in_one_range() -> None:
    pairs = (
        ("introduced", "1.0.0"),
        ("fixed", "1.0.2"),
        ("introduced", "3.0.0"),
        ("fixed", "3.2.5"),
    )
    assert [v for v in ("0.9", "1.0.0", "1.0.1", "1.0.2", "2.0", "3.0.0", "3.2.4", "3.2.5", "4")
            if includes(v, *pairs)] == ["1.0.0", "1.0.1", "3.0.0", "3.2.4"]  # fmt: skip


def test_events_are_sorted_before_evaluation() -> None:
    pairs = (("fixed", "3.2.5"), ("introduced", "3.0.0"), ("fixed", "1.0.2"), ("introduced", "1"))
    assert includes("1.0.1", *pairs)
    assert includes("3.1", *pairs)
    assert not includes("2.0", *pairs)


def test_events_at_one_version() -> None:
    single = (("introduced", "2.0"), ("last_affected", "2.0"))
    assert [v for v in ("1.9", "2.0", "2.0.1") if includes(v, *single)] == ["2.0"]
    abutting = (("introduced", "1.0"), ("fixed", "2.0"), ("introduced", "2.0"), ("fixed", "3.0"))
    assert [v for v in ("0.9", "1.0", "2.0", "2.5", "3.0") if includes(v, *abutting)] == [
        "1.0", "2.0", "2.5"
    ]  # fmt: skip
    assert not includes("2.0", ("introduced", "2.0"), ("fixed", "2.0"))  # empty


def test_limit_bounds_the_range() -> None:
    assert includes("1.5", ("introduced", "0"), ("limit", "2.0"))
    assert not includes("2.0", ("introduced", "0"), ("limit", "2.0"))
    assert includes("9.0", ("introduced", "0"), ("limit", "*"))
    assert includes("2.5", ("introduced", "0"), ("limit", "2.0"), ("limit", "3.0"))


def test_explicit_versions_list() -> None:
    advisory = record(versions=["1.0", "1.1rc1", "not-pep-440"])
    assert evaluate(advisory, "demo", "1.0").affected
    assert evaluate(advisory, "demo", "1.0.0").affected  # equal under PEP 440
    assert evaluate(advisory, "demo", "1.1rc1").affected
    assert not evaluate(advisory, "demo", "1.1").affected
    assert evaluate(advisory, "demo", "not-pep-440").affected  # compared as written


def test_any_range_or_the_list_makes_a_version_affected() -> None:
    advisory = record(
        ranges=[
            ecosystem_range(("introduced", "1.0"), ("fixed", "1.1")),
            ecosystem_range(("introduced", "2.0"), ("fixed", "2.1")),
        ],
        versions=["0.5"],
    )
    affected = [v for v in ("0.5", "0.6", "1.0", "1.1", "2.0.5", "2.1") if
                evaluate(advisory, "demo", v).affected]  # fmt: skip
    assert affected == ["0.5", "1.0", "2.0.5"]


def test_fixed_versions_shown_are_those_above_the_version_checked() -> None:
    advisory = record(
        ranges=[
            ecosystem_range(("introduced", "0"), ("fixed", "1.4.2")),
            ecosystem_range(("introduced", "2.0"), ("fixed", "2.3"), ("introduced", "3.0")),
        ]
    )
    assert evaluate(advisory, "demo", "1.0").fixed == ("1.4.2", "2.3")
    assert evaluate(advisory, "demo", "2.1").fixed == ("2.3",)
    unfixed = evaluate(advisory, "demo", "3.5")
    assert unfixed.affected
    assert unfixed.fixed == ()


def test_names_are_compared_normalised_and_ecosystems_kept_apart() -> None:
    advisory = record(name="Foo_Bar.baz", ranges=[ecosystem_range(("introduced", "0"))])
    assert evaluate(advisory, "foo-bar-baz", "1.0").affected
    assert evaluate(advisory, "FOO.BAR_BAZ", "1.0").affected
    assert not evaluate(advisory, "foo-bar", "1.0").affected
    npm = record(ecosystem="npm", ranges=[ecosystem_range(("introduced", "0"))])
    assert npm.affected == ()
    assert not evaluate(npm, "demo", "1.0").affected


def test_git_ranges_are_left_to_the_versions_list() -> None:
    advisory = record(
        ranges=[{"type": "GIT", "repo": "https://example.org/r", "events": [{"introduced": "0"}]}],
        versions=["1.0"],
    )
    assert evaluate(advisory, "demo", "1.0").affected
    assert not evaluate(advisory, "demo", "1.1").affected


def test_unparsable_versions_are_skipped_with_a_note() -> None:
    bad_range = record(
        ranges=[ecosystem_range(("introduced", "0"), ("fixed", "1.0-final-really"))],
        versions=["0.1"],
    )
    verdict = evaluate(bad_range, "demo", "0.5")
    assert not verdict.affected
    assert verdict.problems
    assert "TEST-1" in verdict.problems[0]
    assert "1.0-final-really" in verdict.problems[0]
    assert evaluate(bad_range, "demo", "0.1").affected  # the list still counts

    ranged = record(ranges=[ecosystem_range(("introduced", "0"))], versions=["weird-1"])
    assert not evaluate(ranged, "demo", "weird-2").affected  # no range can place it
    assert evaluate(ranged, "demo", "weird-1").affected
    report = audit([package("demo", "weird-2")], Database("test", {DEMO: [ranged]}))
    assert report.findings == []
    assert any("not a PEP 440 version" in note for note in report.notes)


def test_malformed_records_are_refused() -> None:
    raw: object
    for raw in (
        [],
        {"affected": []},
        {"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"}, "ranges": [{}]}]},
        {"id": "X", "affected": [{"package": {"ecosystem": "PyPI", "name": "a"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1"}]}]}]},
        {"id": "X", "aliases": "CVE-1"},
    ):  # fmt: skip
        with pytest.raises(ValueError):  # noqa: PT011 (each a different shape)
            parse_advisory(raw)


# --- range evaluation: properties ---------------------------------------------------------

releases = st.lists(st.integers(0, 12), min_size=1, max_size=3).map(
    lambda parts: Version(".".join(map(str, parts)))
)


@given(releases, releases, releases)
def test_below_introduced_or_at_or_above_fixed_is_never_affected(
    version: Version, low: Version, high: Version
) -> None:
    introduced, fixed = sorted((low, high))
    pairs = (("introduced", str(introduced)), ("fixed", str(fixed)))
    assert range_includes(version, events(*pairs)) == (introduced <= version < fixed)


@given(releases, releases, releases)
def test_last_affected_bounds_are_inclusive(version: Version, low: Version, high: Version) -> None:
    introduced, last = sorted((low, high))
    pairs = (("introduced", str(introduced)), ("last_affected", str(last)))
    assert range_includes(version, events(*pairs)) == (introduced <= version <= last)


intervals = st.lists(st.tuples(releases, releases).filter(lambda p: p[0] < p[1]), max_size=4)


@given(releases, intervals, st.randoms(use_true_random=False))
def test_a_range_is_the_union_of_its_intervals_in_any_order(
    version: Version, pairs: list[tuple[Version, Version]], rng: random.Random
) -> None:
    """Disjoint [introduced, fixed) intervals, listed in any order: affected exactly inside
    one of them; never below every `introduced`, never at or above every `fixed`."""
    disjoint: list[tuple[Version, Version]] = []
    for low, high in sorted(pairs):
        if not disjoint or low >= disjoint[-1][1]:
            disjoint.append((low, high))
    flat = [("introduced", str(low)) for low, _ in disjoint]
    flat += [("fixed", str(high)) for _, high in disjoint]
    rng.shuffle(flat)
    result = range_includes(version, events(*flat))
    assert result == any(low <= version < high for low, high in disjoint)
    if disjoint and (version < disjoint[0][0] or version >= disjoint[-1][1]):
        assert not result


# --- what is checked ----------------------------------------------------------------------


def test_requirements_files(tmp_path: Path) -> None:
    (tmp_path / "more.txt").write_text("idna==3.7\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# pinned by pip-compile\n"
        "Jinja2==2.10 \\\n"
        "    --hash=sha256:74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd\n"
        "MarkupSafe===2.1.5  # an exact pin\n"
        "requests>=2.31\n"
        "urllib3==2.*\n"
        "pywin32==306 ; sys_platform == 'win32'\n"
        "-e ./local-package\n"
        "--index-url https://example.org/simple\n"
        "-r more.txt\n"
    )
    inventory = requirement_packages(requirements)
    assert inventory.packages == [
        package("idna", "3.7"),
        package("jinja2", "2.10"),
        package("markupsafe", "2.1.5"),
    ]
    notes = "\n".join(inventory.notes)
    assert "'requests>=2.31' is not pinned" in notes
    assert "'urllib3==2.*' is not pinned" in notes
    assert "-e ./local-package" in notes
    assert "pywin32" not in notes  # not for this platform: skipped silently


def test_the_running_environment_is_listed_and_the_project_itself_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--osv-dir", str(OSV_DIR)]) == 0
    out = capsys.readouterr().out
    assert "docsvc 0.1.0: installed from a local directory, not a PyPI release" in out
    assert "installed distributions of" in out
    assert "jinja2" in out  # a dependency of docsvc, checked


# --- local exports ------------------------------------------------------------------------


def test_an_export_is_read_from_a_directory_or_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in OSV_DIR.glob("*.json"):
            zipped.write(path, path.name)
    for source in (OSV_DIR, archive):
        database = load_export(source, [JINJA2])
        assert sorted(a.id for a in database.by_package[JINJA2]) == [
            "GHSA-462w-v97r-4m45",
            "PYSEC-2019-217",
            "PYSEC-2021-66",
            "TEST-2020-0001",
        ]
        assert "4 PyPI advisories, newest modified 2023-08-30" in database.description


def test_an_unreadable_export_says_why(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="does not exist"):
        load_export(tmp_path / "missing", [])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceUnavailable, match="holds no OSV record for PyPI"):
        load_export(tmp_path / "empty", [])
    (tmp_path / "plain.txt").write_text("not an export")
    with pytest.raises(SourceUnavailable, match="neither a directory nor a zip file"):
        load_export(tmp_path / "plain.txt", [])


def test_malformed_records_are_noted_and_the_rest_used(tmp_path: Path) -> None:
    for path in OSV_DIR.glob("*.json"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "BROKEN-1.json").write_text("{not json")
    database = load_export(tmp_path, [JINJA2])
    assert len(database.by_package[JINJA2]) == 4
    assert database.notes
    assert "1 records of the export are not OSV" in database.notes[0]
    assert "BROKEN-1.json" in database.notes[0]


def test_withdrawn_advisories_are_not_reported_and_aliases_merge() -> None:
    database = load_export(OSV_DIR, [JINJA2])
    report = audit([package("jinja2", "2.10")], database)
    assert [f.line() for f in report.findings] == [GHSA_LINE, REDOS_LINE]
    assert report.notes == ["jinja2 2.10: TEST-2020-0001 was withdrawn on 2020-02-01: not reported"]


# --- the OSV API, served locally ----------------------------------------------------------


class _FakeOsv(BaseHTTPRequestHandler):
    """querybatch answers jinja2 2.10 over two pages; /v1/vulns/<ID> serves tests/data/osv."""

    batches: ClassVar[list[object]] = []
    fail: ClassVar[bool] = False

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).batches.append(request)
        if self.fail:
            self._send(500, {"message": "internal error"})
            return
        results: list[dict[str, object]] = []
        for query in request["queries"]:
            if query["package"]["name"] != "jinja2" or query["version"] != "2.10":
                results.append({})
            elif "page_token" not in query:
                results.append({"vulns": [{"id": "GHSA-462w-v97r-4m45"}], "next_page_token": "p2"})
            else:
                results.append({"vulns": [{"id": "PYSEC-2019-217"}, {"id": "PYSEC-2021-66"}]})
        self._send(200, {"results": results})

    def do_GET(self) -> None:
        path = OSV_DIR / f"{self.path.rsplit('/', 1)[-1]}.json"
        if self.path.startswith("/v1/vulns/") and path.is_file():
            self._send(200, json.loads(path.read_text()))
        else:
            self._send(404, {"message": "not found"})


@pytest.fixture
def fake_osv() -> Iterator[str]:
    _FakeOsv.batches = []
    _FakeOsv.fail = False
    with ThreadingHTTPServer(("127.0.0.1", 0), _FakeOsv) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()


def test_the_api_is_asked_when_no_export_is_given(
    fake_osv: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCSVC_OSV_DIR", raising=False)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jinja2==2.10\nidna==3.7\n")
    assert main(["-r", str(requirements), "--osv-api", fake_osv]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [GHSA_LINE, REDOS_LINE]
    assert f"checked against the OSV API at {fake_osv}" in out
    first, second = _FakeOsv.batches
    assert first == {"queries": [
        {"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "3.7"},
        {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10"},
    ]}  # fmt: skip
    assert second == {"queries": [
        {"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10", "page_token": "p2"}
    ]}  # fmt: skip


def test_an_api_error_means_not_run(
    fake_osv: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCSVC_OSV_DIR", raising=False)
    _FakeOsv.fail = True
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jinja2==2.10\n")
    assert main(["-r", str(requirements), "--osv-api", fake_osv]) == 3
    err = capsys.readouterr().err
    assert f"POST {fake_osv}/v1/querybatch failed (HTTP 500 Internal Server Error" in err


# --- the script, end to end ---------------------------------------------------------------


def run(*args: str, osv_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DOCSVC_OSV_DIR"}
    if osv_dir is not None:
        env["DOCSVC_OSV_DIR"] = str(osv_dir)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


@pytest.fixture
def pins(tmp_path: Path) -> dict[str, Path]:
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("jinja2==2.10\n")
    new.write_text("Jinja2==3.1.6\n")
    return {"old": old, "new": new}


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound without listening: connecting to it is refused, and nothing else can
    take it meanwhile."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_a_vulnerable_pin_is_found(pins: dict[str, Path]) -> None:
    result = run("--requirements", str(pins["old"]), "--osv-dir", str(OSV_DIR))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [GHSA_LINE, REDOS_LINE]
    assert "note: jinja2 2.10: TEST-2020-0001 was withdrawn on 2020-02-01: not reported" in lines
    assert lines[-1].startswith("dependency audit: 2 known vulnerabilities in 1 of 1 package")
    assert f"the local OSV export {OSV_DIR} (4 PyPI advisories" in lines[-1]


def test_a_fixed_pin_is_clean(pins: dict[str, Path]) -> None:
    result = run("--requirements", str(pins["new"]), osv_dir=OSV_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GHSA-" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith(
        "dependency audit: no known vulnerability in 1 package"
    )


def test_the_zip_export_gives_the_same_findings(pins: dict[str, Path], tmp_path: Path) -> None:
    archive = tmp_path / "all.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in OSV_DIR.glob("*.json"):
            zipped.write(path, path.name)
    result = run("--requirements", str(pins["old"]), "--osv-dir", str(archive))
    assert result.returncode == 1
    assert result.stdout.splitlines()[:2] == [GHSA_LINE, REDOS_LINE]


def test_ignored_findings_are_printed_as_ignored(pins: dict[str, Path]) -> None:
    result = run(
        "-r", str(pins["old"]), "--osv-dir", str(OSV_DIR),
        "--ignore", "cve-2019-10906", "--ignore", "GHSA-g3rq-g295-4j3m", "--ignore", "GHSA-none",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert f"ignored: {GHSA_LINE} (--ignore CVE-2019-10906)" in lines
    assert f"ignored: {REDOS_LINE} (--ignore GHSA-g3rq-g295-4j3m)" in lines
    assert "note: --ignore GHSA-none matched no finding" in lines
    assert lines[-1].startswith("dependency audit: no known vulnerability in 1 package")
    assert ", 2 ignored;" in lines[-1]


def test_without_a_database_it_says_why_and_exits_3(
    pins: dict[str, Path], closed_port: int
) -> None:
    api = f"http://127.0.0.1:{closed_port}"
    result = run("-r", str(pins["old"]), "--osv-api", api, "--timeout", "2")
    assert result.returncode == 3
    assert result.stdout == ""
    reason = result.stderr.strip()
    assert "\n" not in reason  # one paragraph
    assert reason.startswith("dependency audit: could not run: no vulnerability database")
    assert "no local OSV export was given (--osv-dir or DOCSVC_OSV_DIR" in reason
    assert f"POST {api}/v1/querybatch failed (connection failed: Connection refused" in reason

    allowed = run("-r", str(pins["old"]), "--osv-api", api, "--timeout", "2", "--allow-unavailable")
    assert allowed.returncode == 0
    assert allowed.stdout.startswith("dependency audit: not run: no vulnerability database")
    assert "Connection refused" in allowed.stdout


def test_an_unreadable_export_is_named_in_the_reason(pins: dict[str, Path], tmp_path: Path) -> None:
    result = run("-r", str(pins["old"]), "--no-api", osv_dir=tmp_path / "nowhere")
    assert result.returncode == 3
    assert f"the local OSV export could not be read: {tmp_path / 'nowhere'} does not exist" in (
        result.stderr
    )
    assert "the OSV API was not asked (--no-api)" in result.stderr
