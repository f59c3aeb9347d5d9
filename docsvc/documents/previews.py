"""Page previews for the document pages: PNGs rendered by PDFium in a child process
(``docsvc.documents.render_page``) under a time and memory limit, and cached by the
version's sha256, page and scale, which never change."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from docsvc.errors import NotFound, Unprocessable
from docsvc.models import DocumentVersion
from docsvc.services import Services
from storage.files import save_chunks

SCALE = 1.25  # 744 px for an A4 page: readable on a screen, light to send
RENDER_SECONDS = 20
RENDER_MEMORY = 1024 * 1024 * 1024


def preview_png(services: Services, version: DocumentVersion, page: int) -> bytes:
    settings = services.settings
    cache = settings.data_dir / "cache" / "previews"
    target = cache / f"{version.sha256}-{page}-{SCALE}.png"
    if target.exists():
        return target.read_bytes()
    cache.mkdir(parents=True, exist_ok=True)
    settings.upload_tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.upload_tmp_dir) as work:
        source = Path(work) / "version.pdf"
        save_chunks(services.store.iter_chunks(version.sha256), source)
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "docsvc.documents.render_page",
                    str(source),
                    str(page),
                    str(SCALE),
                    str(RENDER_MEMORY),
                ],
                capture_output=True,
                timeout=RENDER_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise Unprocessable("The page took too long to draw.", code="preview_failed") from exc
    if done.returncode == 2:
        raise NotFound("The document has no such page.", code="page_not_found")
    if done.returncode != 0 or not done.stdout.startswith(b"\x89PNG"):
        raise Unprocessable("The page could not be drawn.", code="preview_failed")
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(done.stdout)
    os.replace(partial, target)
    return done.stdout
