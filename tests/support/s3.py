"""Buckets and clients on the harness's S3 server (SeaweedFS on 127.0.0.1), and what a
test does to a store behind its back."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import urllib3
from minio import Minio

from storage import S3ObjectStore
from tests.harness.seaweedfs import S3Endpoint, refuse_non_loopback

_buckets = itertools.count()

# Replaces the bytes stored under a key behind the store's back, as a failing disk or an
# intruder would.
Tamper = Callable[[str, bytes], None]


def new_bucket_name() -> str:
    return f"conformance-{os.getpid()}-{next(_buckets)}"


@contextlib.contextmanager
def raw_client(endpoint: S3Endpoint) -> Iterator[Minio]:
    """A plain minio client, for doing what the store would never do."""
    refuse_non_loopback(endpoint.endpoint)
    http = urllib3.PoolManager()
    try:
        yield Minio(
            endpoint.endpoint,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            secure=False,
            region="us-east-1",
            http_client=http,
        )
    finally:
        http.clear()


@contextlib.contextmanager
def s3_store(endpoint: S3Endpoint, spool_dir: Path, **options: Any) -> Iterator[S3ObjectStore]:
    refuse_non_loopback(endpoint.endpoint)
    store = S3ObjectStore(
        endpoint.endpoint,
        endpoint.access_key,
        endpoint.secret_key,
        new_bucket_name(),
        region="us-east-1",
        spool_dir=spool_dir,
        **options,
    )
    store.ensure_bucket()
    try:
        yield store
    finally:
        store.close()
