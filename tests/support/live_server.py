"""The service served by uvicorn on 127.0.0.1 in a thread of the test process."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn

from docsvc.app import create_app
from tests.support.backends import Backend


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread


def serve(backend: Backend) -> Iterator[LiveServer]:
    """The service of ``backend`` on a free port, until the generator is closed: a
    fixture's ``yield from serve(backend)``."""
    port = free_port()
    settings = backend.settings.model_copy(update={"public_url": f"http://127.0.0.1:{port}"})
    app = create_app(settings, backend.services)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", server, thread)
    finally:
        server.should_exit = True
        thread.join(30)
