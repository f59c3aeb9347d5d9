"""Everything under the data directory is the service's alone: 0700 directories, files
with no group or other bits (0600, and 0400 for the store's write-once objects).

New files get it from the process's umask (``PRIVATE_UMASK``, set by the command line and
the application factory); files made before that (a database created 0644, store objects
0444, page previews 0644) are tightened at every start, since a copy of the data
directory in the wrong hands must not be readable by any local account either.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger("docsvc.maintenance")

PRIVATE_UMASK = 0o077


def private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def make_private(root: Path) -> int:
    """Take the group and other bits off everything under ``root``; return how many
    entries changed. Symbolic links are left alone (and not followed)."""
    if not root.is_dir():
        return 0
    changed = 0
    for directory, dirnames, filenames in os.walk(root):
        for name in [directory, *(os.path.join(directory, n) for n in (*dirnames, *filenames))]:
            try:
                mode = os.lstat(name).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode) or not stat.S_IMODE(mode) & 0o077:
                continue
            wanted = 0o700 if stat.S_ISDIR(mode) else stat.S_IMODE(mode) & 0o700
            os.chmod(name, wanted)
            changed += 1
    if changed:
        log.info("made %d entries under %s private to the service", changed, root)
    return changed
