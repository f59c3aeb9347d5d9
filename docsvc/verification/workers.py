"""The process's verifier workers for untrusted uploads (``signing.isolation``), started on
first use and shared by every request; and the settings' decompression limits."""

from __future__ import annotations

import atexit
import os
import threading

from docsvc.config import Settings
from signing.isolation import IsolatedVerifier
from signing.verification import DecompressionLimits, MiB

_lock = threading.Lock()
_verifiers: dict[tuple[int, int], IsolatedVerifier] = {}


def processes(settings: Settings) -> int:
    return settings.verify_processes or min(os.cpu_count() or 1, 4)


def verifier(settings: Settings) -> IsolatedVerifier:
    key = (processes(settings), settings.verify_memory_mb * MiB)
    with _lock:
        found = _verifiers.get(key)
        if found is None:
            found = _verifiers[key] = IsolatedVerifier(*key)
        return found


def decompression_limits(settings: Settings) -> DecompressionLimits:
    return DecompressionLimits(
        max_stream_bytes=settings.max_decoded_stream_mb * MiB,
        max_total_bytes=settings.max_decoded_total_mb * MiB,
    )


@atexit.register
def _close_all() -> None:
    with _lock:
        for found in _verifiers.values():
            found.close()
        _verifiers.clear()
