"""Signing a large PDF: peak RSS growth (target <= 64 MiB) and wall time, with baselines.

    .venv/bin/python bench/large_file_signing.py [--size-mb 200] [--repeat 3] [--dir DIR]

It writes a valid PDF of about ``--size-mb`` MB on disk without ever holding it in memory:
one page per MiB, each page drawing one 1024 x 1024 greyscale image of random (so
incompressible) bytes, written by a small hand-rolled writer. Every measurement then runs
in a fresh child process, so that its resident set is clean:

- ``signing.pades.sign_file`` at B-B, B-T, B-LT and B-LTA (in-process TSA, embedded CRL),
  streamed to an output file;
- ``verify`` of each of those outputs (the verdict must be ``valid``);
- baselines in the same run: ``shutil.copyfile`` of the same file and a SHA-256 pass over
  it (a signature must copy and hash every byte, so signing cannot beat copy + hash), and
  the child's own RSS just before the measured call (``child RSS``: pyHanko imported, the
  key unlocked, the TSA built);
- two plain pyHanko B-B signatures for comparison: into an output opened write-only
  (``"wb"``, what ``sign_file`` did until it opened ``"w+b"``: pyHanko then builds the
  signed file in a ``BytesIO``), and in place on a copy made by the kernel
  (``shutil.copyfile``, then ``sign_pdf(in_place=True)`` with 1 MiB chunks), the faster
  way ``sign_file`` could take.

Each row runs ``--repeat`` times, each time in a new child that first calls ``os.sync()``
(so that no run is throttled by an earlier run's writeback); the best and median times and
the worst RSS growth are shown.

The child samples its RSS every 2 ms with psutil from a thread and also reads
``ru_maxrss``; "RSS +MiB" is the larger of the two peaks minus that ``child RSS``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import psutil
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from signing.dev_pki import (
    DevPki,
    PkiUrls,
    create_dev_pki,
    issue_official,
    load_dev_pki,
    save_dev_pki,
)
from signing.pades import (
    Level,
    LocalTimeStamper,
    SignatureRequest,
    SigningKey,
    ValidationMaterial,
    sign_file,
    unlock_pkcs12,
)
from signing.revocation import build_crl
from signing.tsa import tsa_config
from signing.verification import VerificationPolicy, verify

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
RSS_TARGET_MIB = 64
IMAGE_SIDE = 1024  # one 8-bit greyscale image of IMAGE_SIDE² bytes (1 MiB) per page
PIN = "1234"
POLICY = "2.25.329800735698586629295641978511506172918"
PKI_PASSPHRASE = b"bench-large-file"


# --------------------------------------------------------------------------- the PDF


class _Writer:
    """Counts bytes and records object offsets; holds nothing else."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.position = 0
        self.offsets: dict[int, int] = {}

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self.position += len(data)

    def begin(self, number: int) -> None:
        self.offsets[number] = self.position
        self.write(b"%d 0 obj\n" % number)

    def obj(self, number: int, body: bytes) -> None:
        self.begin(number)
        self.write(body + b"\nendobj\n")


def write_large_pdf(path: Path, size_bytes: int, chunk: int = MIB) -> int:
    """Write a valid PDF of about ``size_bytes`` with one 1 MiB random image per page,
    streaming the image bytes in ``chunk``-sized pieces. Returns the page count."""
    image_bytes = IMAGE_SIDE * IMAGE_SIDE
    pages = max(1, round(size_bytes / image_bytes))
    # Objects: 1 catalog, 2 page tree, then per page i: 3+3i page, 4+3i content, 5+3i image.
    page_numbers = [3 + 3 * i for i in range(pages)]
    content = b"q 595 0 0 842 0 0 cm /Im0 Do Q"
    with path.open("wb") as out:
        w = _Writer(out)
        w.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        w.obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
        w.obj(2, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (pages, kids))
        for number in page_numbers:
            w.obj(
                number,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
                b" /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                % (number + 2, number + 1),
            )
            w.obj(
                number + 1,
                b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            )
            w.begin(number + 2)
            w.write(
                b"<< /Type /XObject /Subtype /Image /Width %d /Height %d"
                b" /ColorSpace /DeviceGray /BitsPerComponent 8 /Length %d >>\nstream\n"
                % (IMAGE_SIDE, IMAGE_SIDE, image_bytes)
            )
            remaining = image_bytes
            while remaining:
                piece = os.urandom(min(chunk, remaining))
                w.write(piece)
                remaining -= len(piece)
            w.write(b"\nendstream\nendobj\n")
        size = 3 + 3 * pages
        xref = w.position
        w.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
        for number in range(1, size):
            w.write(b"%010d 00000 n \n" % w.offsets[number])
        document_id = os.urandom(16).hex().encode()
        w.write(
            b"trailer\n<< /Size %d /Root 1 0 R /ID [<%s> <%s>] >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, document_id, document_id, xref)
        )
    return pages


# --------------------------------------------------------------------------- the child


class PeakRss:
    """Samples this process's RSS every 2 ms from a thread."""

    def __init__(self, interval: float = 0.002) -> None:
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.baseline = self.peak = self._process.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._process.memory_info().rss)
            time.sleep(self._interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def measure_in_process(action: Callable[[], object]) -> dict[str, float]:
    """Run ``action`` once; its wall time and peak RSS growth over the RSS just before.
    Earlier runs' dirty pages are written back first, so that no run pays for another's."""
    os.sync()
    max_before = _max_rss_bytes()
    with PeakRss() as rss:
        started = time.perf_counter()
        action()
        seconds = time.perf_counter() - started
    max_after = _max_rss_bytes()
    # ru_maxrss only says something if the action raised the lifetime peak.
    peak = max(rss.peak, max_after if max_after > max_before else 0)
    return {
        "seconds": seconds,
        "baseline_rss": rss.baseline,
        "peak_rss": peak,
        "growth": peak - rss.baseline,
        "sampled_growth": rss.peak - rss.baseline,
        "maxrss_growth": max(0, max_after - rss.baseline) if max_after > max_before else 0,
    }


def _material(pki: DevPki) -> ValidationMaterial:
    return ValidationMaterial(
        trust_roots=(pki.root.certificate.public_bytes(Encoding.DER),),
        crls=(build_crl(pki, [], number=1),),
    )


def _pyhanko_b_b(key: SigningKey, source: Path, target: Path, in_place: bool) -> None:
    """Plain pyHanko B-B, the same signature as sign_file's, written one of two ways."""
    metadata = signers.PdfSignatureMetadata(
        field_name="Firma1", md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf_signer = signers.PdfSigner(metadata, signer=key.signer)
    if in_place:
        shutil.copyfile(source, target)
        with target.open("r+b") as out:
            writer = IncrementalPdfFileWriter(out, strict=False)
            pdf_signer.sign_pdf(writer, bytes_reserved=12 * 1024, in_place=True, chunk_size=MIB)
        return
    with source.open("rb") as inp, target.open("wb") as out:
        writer = IncrementalPdfFileWriter(inp, strict=False)
        pdf_signer.sign_pdf(writer, bytes_reserved=12 * 1024, output=out)


def child(operation: str, workdir: Path, source: Path) -> dict[str, float]:
    """One measurement, in this (fresh) process. Operations: ``copy``, ``sha256``,
    ``sign:LEVEL`` (sign_file), ``pyhanko:wb`` and ``pyhanko:in-place`` (B-B) and
    ``verify:LEVEL`` (of sign_file's output at that level)."""
    if operation == "copy":
        target = workdir / "copy.pdf"
        result = measure_in_process(lambda: shutil.copyfile(source, target))
        target.unlink()
        return result
    if operation == "sha256":

        def digest() -> None:
            hasher = hashlib.sha256()
            with source.open("rb") as handle:
                while block := handle.read(MIB):
                    hasher.update(block)

        return measure_in_process(digest)

    kind, _, rest = operation.partition(":")
    if kind == "verify":
        signed = workdir / f"signed-{rest}.pdf"
        root = x509.load_pem_x509_certificate((workdir / "pki" / "root.pem").read_bytes())
        policy = VerificationPolicy([root.public_bytes(Encoding.DER)])
        verdict: list[str] = []
        result = measure_in_process(lambda: verdict.append(verify(signed, policy).report.verdict))
        result["valid"] = float(verdict == ["valid"])
        return result
    key = unlock_pkcs12((workdir / "official.p12").read_bytes(), PIN)
    target = workdir / f"signed-{rest}.pdf"
    target.unlink(missing_ok=True)  # the previous run's, so that no run truncates 200 MB
    if kind == "pyhanko":
        result = measure_in_process(
            lambda: _pyhanko_b_b(key, source, target, in_place=rest == "in-place")
        )
    else:
        level = Level(rest)
        pki = load_dev_pki(workdir / "pki", PKI_PASSPHRASE)
        chain = [
            pki.issuing.certificate.public_bytes(Encoding.DER),
            pki.root.certificate.public_bytes(Encoding.DER),
        ]
        stamper = (
            LocalTimeStamper(tsa_config(pki.tsa, chain, POLICY)) if level is not Level.B_B else None
        )
        material = _material(pki) if level in (Level.B_LT, Level.B_LTA) else None
        result = measure_in_process(
            lambda: sign_file(source, target, key, SignatureRequest(level), stamper, material)
        )
    result["output_bytes"] = target.stat().st_size
    return result


def run_child(operation: str, workdir: Path, source: Path) -> dict[str, float]:
    """Run ``child`` in a fresh interpreter and return what it measured."""
    completed = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            operation,
            str(workdir),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"child {operation} failed:\n{completed.stderr}")
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- the parent


def prepare_pki(workdir: Path) -> None:
    """A development PKI (saved, keys under PKI_PASSPHRASE) and an official's PKCS#12."""
    pki = create_dev_pki("Ministerio", PkiUrls("http://127.0.0.1:8000"))
    save_dev_pki(pki, workdir / "pki", PKI_PASSPHRASE)
    official = issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio",
        position="Ministra",
        pin=PIN,
    )
    (workdir / "official.p12").write_bytes(official.pkcs12)


@dataclass(frozen=True, slots=True)
class Row:
    what: str
    best: float
    median: float
    growth: int  # the worst of the runs
    child_rss: int  # the child's RSS just before the measured call
    valid: bool | None = None


def repeat(what: str, operation: str, workdir: Path, source: Path, runs: int) -> Row:
    found = [run_child(operation, workdir, source) for _ in range(runs)]
    seconds = [m["seconds"] for m in found]
    valid = all(m["valid"] for m in found) if "valid" in found[0] else None
    return Row(
        what,
        min(seconds),
        statistics.median(seconds),
        int(max(m["growth"] for m in found)),
        int(max(m["baseline_rss"] for m in found)),
        valid,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the PDF (MiB)")
    parser.add_argument("--dir", type=Path, default=None, help="where to work (one disk)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row; best and median")
    parser.add_argument("--child", nargs=3, metavar=("OPERATION", "WORKDIR", "SOURCE"))
    args = parser.parse_args()
    if args.child:
        operation, workdir, source = args.child
        print(json.dumps(child(operation, Path(workdir), Path(source))))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="docsvc-bench-large-", dir=args.dir))
    try:
        source = workdir / "large.pdf"
        with PeakRss() as generation:
            started = time.perf_counter()
            pages = write_large_pdf(source, args.size_mb * MIB)
            generated = time.perf_counter() - started
        size = source.stat().st_size
        print(
            f"generated {size / MIB:.1f} MiB, {pages} pages in {generated:.1f} s, "
            f"peak RSS growth {(generation.peak - generation.baseline) / MIB:.1f} MiB",
            flush=True,
        )
        prepare_pki(workdir)
        plan = [
            ("baseline: shutil.copyfile", "copy"),
            ("baseline: sha256 of the file", "sha256"),
            ("sign_file B-B", "sign:B-B"),
            ("sign_file B-T", "sign:B-T"),
            ("sign_file B-LT", "sign:B-LT"),
            ("sign_file B-LTA", "sign:B-LTA"),
            ("pyHanko B-B, output opened wb", "pyhanko:wb"),
            ("pyHanko B-B, kernel copy + in place", "pyhanko:in-place"),
            ("verify of the B-B output", "verify:B-B"),
            ("verify of the B-T output", "verify:B-T"),
            ("verify of the B-LT output", "verify:B-LT"),
            ("verify of the B-LTA output", "verify:B-LTA"),
        ]
        rows = [repeat(what, op, workdir, source, args.repeat) for what, op in plan]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_table(rows)
    return summarise(rows)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'what':<38} {'best s':>7} {'median s':>9} {'RSS +MiB':>9} {'child RSS MiB':>14} "
        f"{'verdict':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        verdict = "" if row.valid is None else ("valid" if row.valid else "NOT")
        print(
            f"{row.what:<38} {row.best:>7.2f} {row.median:>9.2f} {row.growth / MIB:>9.1f} "
            f"{row.child_rss / MIB:>14.1f} {verdict:>8}"
        )


def summarise(rows: list[Row]) -> int:
    by_what = {row.what: row for row in rows}
    copy = by_what["baseline: shutil.copyfile"].best
    digest = by_what["baseline: sha256 of the file"].best
    signed = [row for row in rows if row.what.startswith("sign_file")]
    print()
    for row in signed:
        print(
            f"{row.what}: {row.best / copy:.1f}x the copy time, "
            f"{row.best / (copy + digest):.2f}x copy + sha256"
        )
    write_only = by_what["pyHanko B-B, output opened wb"]
    in_place = by_what["pyHanko B-B, kernel copy + in place"]
    b_b = by_what["sign_file B-B"]
    print(
        f"pyHanko into a write-only output: RSS +{write_only.growth / MIB:.1f} MiB; "
        f"kernel copy + in place: {b_b.best / in_place.best:.2f}x faster than sign_file B-B"
    )
    worst = max(row.growth for row in signed)
    met = worst <= RSS_TARGET_MIB * MIB
    verified = [row for row in rows if row.valid is not None]
    all_valid = all(row.valid for row in verified)
    print(
        f"peak RSS growth of sign_file {worst / MIB:.1f} MiB "
        f"(target <= {RSS_TARGET_MIB} MiB: {'met' if met else 'NOT met'})"
    )
    print(
        f"verification: {'every output valid' if all_valid else 'NOT all valid'}, "
        f"peak RSS growth {max(row.growth for row in verified) / MIB:.1f} MiB"
    )
    return 0 if met and all_valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
