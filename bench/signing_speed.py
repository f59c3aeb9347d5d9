"""Signing and verification speed (issue 3), each figure with its baseline in the same run.

    .venv/bin/python bench/signing_speed.py [--runs N]

- B-B signing of a 1-page PDF with an RSA-2048 key, in process: docsvc's path (key unlocked
  once per signing session, signature size reserved up front, output streamed to a file)
  against naive pyHanko use (SimpleSigner.load_pkcs12 every time, sign_pdf into a BytesIO
  with its dry run to size the signature).
- B-LT signing (in-process TSA, embedded CRL): the median.
- Verifying a 1-page PDF with one B-B signature: the median.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

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
from signing.verification import VerificationPolicy, verify

PIN = "1234"


def _median_ms(action: Callable[[], object], runs: int) -> tuple[float, float]:
    action()  # warm-up: imports, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docsvc-bench-sign-"))
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
    p12 = work / "official.p12"
    p12.write_bytes(official.pkcs12)
    source = work / "one_page.pdf"
    source.write_bytes(demo_documents()[1].pdf)
    target = work / "signed.pdf"

    key = unlock_pkcs12(official.pkcs12, PIN)  # once per signing session

    def docsvc_b_b() -> None:
        sign_file(source, target, key, SignatureRequest(Level.B_B))

    def naive_b_b() -> None:
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PIN.encode())
        assert signer is not None
        with source.open("rb") as inp:
            writer = IncrementalPdfFileWriter(inp)
            out = io.BytesIO()
            signers.sign_pdf(
                writer,
                signers.PdfSignatureMetadata(
                    field_name="Firma1", subfilter=fields.SigSeedSubFilter.PADES
                ),
                signer=signer,
                output=out,
            )

    chain = [
        pki.issuing.certificate.public_bytes(Encoding.DER),
        pki.root.certificate.public_bytes(Encoding.DER),
    ]
    timestamper = LocalTimeStamper(tsa_config(pki.tsa, chain, "2.25.1"))
    root = pki.root.certificate.public_bytes(Encoding.DER)
    material = ValidationMaterial(trust_roots=(root,), crls=(build_crl(pki, [], number=1),))
    lt_target = work / "signed_lt.pdf"

    def docsvc_b_lt() -> None:
        sign_file(source, lt_target, key, SignatureRequest(Level.B_LT), timestamper, material)

    docsvc_b_b()
    verified = work / "to_verify.pdf"
    target.replace(verified)

    def verify_one() -> None:
        assert verify(verified, VerificationPolicy([root])).report.verdict == "valid"

    ours, ours_min = _median_ms(docsvc_b_b, args.runs)
    naive, naive_min = _median_ms(naive_b_b, args.runs)
    b_lt, b_lt_min = _median_ms(docsvc_b_lt, max(5, args.runs // 3))
    check, check_min = _median_ms(verify_one, args.runs)
    print(f"{'what':<44} {'median ms':>10} {'min ms':>8}")
    print(f"{'B-B sign, docsvc (key unlocked once)':<44} {ours:>10.1f} {ours_min:>8.1f}")
    print(f"{'B-B sign, naive pyHanko (baseline)':<44} {naive:>10.1f} {naive_min:>8.1f}")
    print(f"{'B-LT sign, docsvc (TSA + CRL in process)':<44} {b_lt:>10.1f} {b_lt_min:>8.1f}")
    print(f"{'verify 1-page B-B':<44} {check:>10.1f} {check_min:>8.1f}")
    print(f"ratio naive/docsvc for B-B signing: {naive / ours:.2f}x (target >= 3x)")
    print(f"verification median {check:.1f} ms (target <= 20 ms)")


if __name__ == "__main__":
    main()
