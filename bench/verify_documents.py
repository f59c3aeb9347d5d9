"""Verification time of two everyday documents, against a baseline in the same run.

    .venv/bin/python bench/verify_documents.py [--runs N] [--against REF]

- a one-page resolution with one B-B signature;
- a ten-revision B-LTA document: three B-LTA signatures, each adding its signature, its
  validation data (DSS) and a document timestamp to the original.

Each file is verified the way ``docsvc verify`` and the public endpoint's workers do
(``signing.verification.verify``), and, as the baseline, by plain pyHanko with default
settings (``validate_pdf_signature`` on each signature, ``validate_pdf_timestamp`` on each
document timestamp), which reads the same file without docsvc's lenient reading, its
rendering checks or its reasons.

``--against REF`` also measures the verifier as it was at a git revision (a temporary
``git worktree`` of REF, run in a child process on the same files), so that a change to the
verifier is measured before and after in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko_certvalidator import ValidationContext

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from the repository root or from bench/
    sys.path.insert(0, str(ROOT))

PIN = "1234"
FILES = ("one_page_b_b.pdf", "ten_revisions_b_lta.pdf")


def _samples(action: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per run, after one warm-up run."""
    action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _figure(samples: list[float]) -> str:
    return f"{statistics.median(samples):.1f} / {min(samples):.1f}"


def make_files(work: Path) -> Path:
    """Sign the two documents with a fresh development PKI; return the root's PEM path."""
    from docsvc.demo.sample_pdfs import demo_documents
    from signing.dev_pki import PkiUrls, create_dev_pki, issue_official
    from signing.pades import (
        Level,
        LocalTimeStamper,
        SignatureRequest,
        ValidationMaterial,
        sign_file,
        unlock_pkcs12,
    )
    from signing.revocation import build_crl
    from signing.tsa import tsa_config

    pki = create_dev_pki("Ministerio", PkiUrls("http://127.0.0.1:8000"))
    official = issue_official(
        pki,
        full_name="Ana María Rojas",
        username="ministra",
        organisation="Ministerio",
        position="Ministra",
        pin=PIN,
        key_bits=2048,
    )
    key = unlock_pkcs12(official.pkcs12, PIN)
    root_der = pki.root.certificate.public_bytes(Encoding.DER)
    chain = [c.public_bytes(Encoding.DER) for c in (pki.issuing.certificate, pki.root.certificate)]
    stamper = LocalTimeStamper(tsa_config(pki.tsa, chain, "2.25.1"))
    material = ValidationMaterial(trust_roots=(root_der,), crls=(build_crl(pki, [], number=1),))
    source = work / "unsigned.pdf"
    source.write_bytes(demo_documents()[1].pdf)
    sign_file(source, work / FILES[0], key, SignatureRequest(Level.B_B))
    current = source
    for step in range(3):
        target = work / f"lta_{step}.pdf"
        sign_file(current, target, key, SignatureRequest(Level.B_LTA), stamper, material)
        current = target
    shutil.copy(current, work / FILES[1])
    root = work / "root.pem"
    root.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    return root


def _root_der(root_pem: Path) -> bytes:
    from cryptography import x509

    return x509.load_pem_x509_certificate(root_pem.read_bytes()).public_bytes(Encoding.DER)


def measure_docsvc(work: Path, root_pem: Path, runs: int) -> dict[str, list[float]]:
    """Samples (ms) of ``verify`` from whichever ``signing`` package is first on the path
    (``verify_pdf`` at a revision from before ``VerificationPolicy``)."""
    from signing import verification

    roots = [_root_der(root_pem)]
    check: Callable[[Path], Any]
    if hasattr(verification, "VerificationPolicy"):
        policy = verification.VerificationPolicy(roots)

        def check(path: Path) -> Any:
            return verification.verify(path, policy).report

    else:

        def check(path: Path) -> Any:
            return verification.verify_pdf(path, roots)  # type: ignore[attr-defined]

    results = {}
    for name in FILES:
        path = work / name
        report = check(path)
        assert report.verdict == "valid", (name, report)
        results[name] = _samples(lambda path=path: check(path), runs)
    return results


def measure_pyhanko(work: Path, root_pem: Path, runs: int) -> dict[str, list[float]]:
    from asn1crypto import x509 as asn1_x509

    root = asn1_x509.Certificate.load(_root_der(root_pem))

    async def validate(path: Path) -> None:
        with path.open("rb") as handle:
            reader = PdfFileReader(handle, strict=False)
            context = ValidationContext(trust_roots=[root])
            for embedded in reader.embedded_signatures:
                if embedded.sig_object_type == "/DocTimeStamp":
                    await async_validate_pdf_timestamp(embedded, context)
                else:
                    await async_validate_pdf_signature(embedded, context)

    return {
        name: _samples(lambda name=name: asyncio.run(validate(work / name)), runs) for name in FILES
    }


_CHILD = (
    "import json, sys; from pathlib import Path; "
    "sys.path.insert(0, sys.argv[1]); "
    "from bench.verify_documents import measure_docsvc; "
    "print(json.dumps(measure_docsvc(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))"
)


def measure_tree(tree: Path, work: Path, root_pem: Path, runs: int) -> dict[str, list[float]]:
    """``measure_docsvc`` in a child process whose ``signing`` package comes from ``tree``."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tree), str(work), str(root_pem), str(runs)],
        check=True,
        capture_output=True,
        text=True,
        cwd=tree,
    ).stdout
    samples: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return samples


def worktree_at(ref: str) -> Path:
    """A temporary checkout of ``ref``, running this file's measurement code."""
    tree = Path(tempfile.mkdtemp(prefix="docsvc-bench-ref-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--force", "--detach", str(tree), ref],
        check=True,
        capture_output=True,
    )
    shutil.copy(Path(__file__), tree / "bench" / "verify_documents.py")
    return tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the measurements")
    parser.add_argument("--against", help="a git revision to measure the verifier at, too")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docsvc-bench-verify-"))
    tree = worktree_at(args.against) if args.against else None
    now: dict[str, list[float]] = {name: [] for name in FILES}
    before: dict[str, list[float]] = {name: [] for name in FILES}
    baseline: dict[str, list[float]] = {name: [] for name in FILES}
    try:
        root = make_files(work)
        per_round = max(1, args.runs // args.rounds)
        # Alternate, so that a change in the machine's load falls on every column alike.
        for _ in range(args.rounds):
            for name, samples in measure_tree(ROOT, work, root, per_round).items():
                now[name] += samples
            if tree is not None:
                for name, samples in measure_tree(tree, work, root, per_round).items():
                    before[name] += samples
            for name, samples in measure_pyhanko(work, root, per_round).items():
                baseline[name] += samples
        print(f"samples per figure: {per_round * args.rounds} (median / best, ms)")
        header = "| file | pyHanko alone | docsvc verify | docsvc / pyHanko |"
        if tree is not None:
            header += f" docsvc at {args.against} | now / before |"
        print(header)
        print("|---|---:|---:|---:|" + ("---:|---:|" if tree is not None else ""))
        for name in FILES:
            median_now = statistics.median(now[name])
            row = (
                f"| {name} | {_figure(baseline[name])} | {_figure(now[name])} "
                f"| {median_now / statistics.median(baseline[name]):.2f} |"
            )
            if tree is not None:
                row += (
                    f" {_figure(before[name])} "
                    f"| {median_now / statistics.median(before[name]):.3f} |"
                )
            print(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if tree is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                check=False,
                capture_output=True,
            )


if __name__ == "__main__":
    main()
