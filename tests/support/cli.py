"""Running the ``docsvc`` command as an operator does: a real process, with its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DOCSVC = [sys.executable, "-m", "docsvc"]


def run(
    args: list[str], data_dir: Path, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOCSVC_")} | {
        "DOCSVC_DATA_DIR": str(data_dir),
        "DOCSVC_ENV": "test",
        **env,
    }
    return subprocess.run(
        [*DOCSVC, *args],
        env=environment,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def instance_secret(data_dir: Path) -> bytes:
    """The secret a development installation made for itself at ``init``."""
    return (data_dir / "secrets" / "instance-secret").read_bytes().strip()
