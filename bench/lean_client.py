"""A lean load generator for the HTTP benchmarks: the standard library only, one process and
one thread (asyncio), so that it takes as little of the machine's CPU from the server as
it can, and measures how much it took.

    python bench/lean_client.py --port 8000 --path /api/v1/verify --file f.pdf \
        --requests 1000 --concurrency 4 --expect-verdict valid

Each of the ``--concurrency`` clients keeps one connection open and sends its requests one
after another; client ``i`` connects from ``127.0.0.{2 + i}`` (every loopback address
reaches the server), so that the server sees as many client addresses as clients, as it
would in use. Each request is a multipart upload of the file (field ``file``); each answer
must be a 200 whose JSON ``verdict`` is the expected one. It prints one JSON line: the
requests done, the wall time of the run, each request's latency (seconds), and this
process's CPU seconds during the run (user and system).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

BOUNDARY = b"docsvc-bench-boundary-7d1f3c"


def upload_request(host: str, port: int, path: str, name: str, content: bytes) -> bytes:
    """The whole HTTP/1.1 request, made once and sent as it is every time."""
    body = b"".join(
        [
            b"--" + BOUNDARY + b"\r\n",
            b'Content-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n',
            b"Content-Type: application/pdf\r\n\r\n",
            content,
            b"\r\n--" + BOUNDARY + b"--\r\n",
        ]
    )
    head = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "\r\n"
    ).encode()
    return head + body


async def _client(
    host: str,
    port: int,
    source: str,
    request: bytes,
    left: list[int],
    latencies: list[float],
    expect: str,
) -> None:
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    try:
        while left[0] > 0:
            left[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in header_lines if line)
            }
            body = await reader.readexactly(int(headers["content-length"]))
            latencies.append(time.perf_counter() - started)
            status = int(status_line.split(" ", 2)[1])
            if status != 200:
                raise SystemExit(f"HTTP {status}: {body[:300]!r}")
            verdict = json.loads(body).get("verdict")
            if verdict != expect:
                raise SystemExit(f"verdict {verdict!r}, expected {expect!r}")
    finally:
        writer.close()


async def run(args: argparse.Namespace) -> dict[str, object]:
    content = Path(args.file).read_bytes()
    request = upload_request(args.host, args.port, args.path, "f.pdf", content)
    left = [args.requests]
    latencies: list[float] = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _client(args.host, args.port, f"127.0.0.{2 + i}", request, left, latencies, args.expect)
            for i in range(args.concurrency)
        )
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"requests": len(latencies), "wall": wall, "latencies": latencies, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/api/v1/verify")
    parser.add_argument("--file", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--expect-verdict", dest="expect", default="valid")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
