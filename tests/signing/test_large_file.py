"""Signing a large PDF does not hold it in memory: a behaviour test, not a timed one.

A 20 MiB PDF (one incompressible 1 MiB image per page) is signed with ``sign_file`` in a
fresh child process that samples its own RSS (bench/large_file_signing.py's child mode).
The growth must stay far below both the 64 MiB target and the size of the file, which a
whole-file buffer exceeds: pyHanko builds the signed file in a ``BytesIO`` whenever the
output it is given is not readable and seekable (a target opened ``"wb"``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from bench.large_file_signing import MIB, prepare_pki, run_child, write_large_pdf
from signing.verification import VerificationPolicy, verify

SIZE = 20 * MIB
# Well under the 64 MiB target, and under the 20 MiB document: a copy of it would show.
MAX_GROWTH = 12 * MIB


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large")
    write_large_pdf(path / "large.pdf", SIZE)
    prepare_pki(path)
    return path


def _root(workdir: Path) -> bytes:
    pem = (workdir / "pki" / "root.pem").read_bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_the_generated_pdf_is_large_and_readable(workdir: Path) -> None:
    source = workdir / "large.pdf"
    assert source.stat().st_size >= SIZE
    report = verify(source, VerificationPolicy([_root(workdir)])).report
    assert report.document.pages == 20
    assert report.verdict == "indeterminate"  # no signature yet


@pytest.mark.parametrize("level", ["B-B", "B-T", "B-LTA"])
def test_signing_keeps_rss_flat(workdir: Path, level: str) -> None:
    measured = run_child(f"sign:{level}", workdir, workdir / "large.pdf")
    assert measured["growth"] < MAX_GROWTH, f"RSS grew {measured['growth'] / MIB:.1f} MiB"
    signed = workdir / f"signed-{level}.pdf"
    assert signed.stat().st_size > SIZE
    report = verify(signed, VerificationPolicy([_root(workdir)])).report
    assert report.verdict == "valid", report
    assert report.signatures[0].level == level
    assert report.signatures[0].covers_whole_document == (level in ("B-B", "B-T"))
