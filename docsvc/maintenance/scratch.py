"""Scratch directories of processes that are gone.

Each process writes its uploads in flight and the copies it signs under
``DATA_DIR/tmp/proc-<host>-<pid>-<start>`` (``Settings.upload_tmp_dir``). A process killed
with ``kill -9`` leaves its directory behind, with plaintext copies of documents in it; the
next start of any process on the same host removes the directories whose owner no longer
runs, and the hourly sweep does it again. A directory of another host (a data directory on
shared storage) is left to that host.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from docsvc.config import Settings, process_scratch_name, process_start_ticks

log = logging.getLogger("docsvc.maintenance")


def _owner_alive(name: str, host: str) -> bool:
    """Whether the process a ``proc-<host>-<pid>-<start>`` directory belongs to still runs;
    True for another host's directories and for names this code did not make."""
    parts = name.split("-")
    if len(parts) < 4 or not parts[-2].isdigit():
        return True
    owner_host = "-".join(parts[1:-2])
    if owner_host != host:
        return True
    pid, start = int(parts[-2]), parts[-1]
    return process_start_ticks(pid) == start and Path(f"/proc/{pid}").exists()


def remove_dead_scratch(settings: Settings) -> int:
    """Remove the scratch directories of this host's processes that no longer run; return
    how many."""
    root = settings.shared_tmp_dir
    if not root.is_dir():
        return 0
    mine = process_scratch_name()
    host = "-".join(mine.split("-")[1:-2])
    removed = 0
    for directory in root.glob("proc-*"):
        if directory.name == mine or not directory.is_dir():
            continue
        if not _owner_alive(directory.name, host):
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    if removed:
        log.info("removed %d scratch directories of processes that are gone", removed)
    return removed
