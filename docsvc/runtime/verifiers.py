"""The verifier workers for untrusted uploads (``signing.isolation``), one pool a process
(held by ``Services.verifier``, started on first use and shared by every request); and the
settings' decompression limits."""

from __future__ import annotations

from docsvc.config import Settings
from signing.isolation import IsolatedVerifier
from signing.verification import DecompressionLimits, MiB


def build_verifier(settings: Settings) -> IsolatedVerifier:
    return IsolatedVerifier(settings.verifier_processes, settings.verify_memory_mb * MiB)


def decompression_limits(settings: Settings) -> DecompressionLimits:
    return DecompressionLimits(
        max_stream_bytes=settings.max_decoded_stream_mb * MiB,
        max_total_bytes=settings.max_decoded_total_mb * MiB,
    )
