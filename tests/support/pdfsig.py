"""Poppler's pdfsig as an independent validator: an NSS database that trusts one root, and
pdfsig's report on a signed file.

pdfsig asks the OCSP responder named in the certificate online. No docsvc server runs in most
tests to answer it, so that check is off unless ``ocsp=True`` (the service's own OCSP is
tested in tests/api/test_pki_endpoints.py and tests/cli/test_pdfsig_online_ocsp.py).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PDFSIG_AVAILABLE: bool = shutil.which("pdfsig") is not None and shutil.which("certutil") is not None
PDFSIG_MISSING_REASON = "poppler-utils and libnss3-tools are installed by make test"
requires_pdfsig = pytest.mark.skipif(not PDFSIG_AVAILABLE, reason=PDFSIG_MISSING_REASON)


def nss_database(root_pem: Path, directory: Path) -> str:
    """A new NSS database in ``directory`` (which holds none yet) that trusts ``root_pem``
    and nothing else; returns it as pdfsig's ``-nssdir`` argument."""
    nss = f"sql:{directory}"
    subprocess.run(["certutil", "-N", "-d", nss, "--empty-password"], check=True)
    subprocess.run(
        [
            *("certutil", "-A", "-d", nss),
            *("-n", "docsvc-root", "-t", "CT,C,C", "-i", str(root_pem)),
        ],
        check=True,
    )
    return nss


def run_pdfsig(
    signed: Path, nss: str | None, *, ocsp: bool = False, with_stderr: bool = False
) -> str:
    """pdfsig's report on ``signed``: with the certificates checked against ``nss`` (see
    ``nss_database``), or with ``nss=None`` the signatures only (``-nocert``)."""
    options = ["-nocert"] if nss is None else ["-nssdir", nss, *([] if ocsp else ["-no-ocsp"])]
    done = subprocess.run(
        ["pdfsig", *options, str(signed)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout + done.stderr if with_stderr else done.stdout


def pdfsig_output(signed: Path, root_pem: Path, workdir: Path, *, ocsp: bool = False) -> str:
    """pdfsig's report on ``signed``, trusting only ``root_pem``, with a new NSS database
    under ``workdir``."""
    directory = Path(tempfile.mkdtemp(prefix="nss-", dir=workdir))
    return run_pdfsig(signed, nss_database(root_pem, directory), ocsp=ocsp)
