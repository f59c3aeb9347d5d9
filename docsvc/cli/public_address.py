"""The address people and documents use to reach the service (``DOCSVC_PUBLIC_URL``):
QR codes, the public download button, the sealed report, register checkpoints and the
development PKI's certificate addresses all point there.

Left unset, it follows where ``docsvc serve`` listens, so ``make run PORT=18500`` makes QR
codes that lead to port 18500. Set, it is checked once the server is up: an address
that does not answer means every printed code leads nowhere, and the operator is told."""

from __future__ import annotations

import ipaddress
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable

PUBLIC_URL_VARIABLE = "DOCSVC_PUBLIC_URL"
_ANY_ADDRESS = {"", "0.0.0.0", "::"}  # noqa: S104 - names the wildcard, binds nothing


def served_url(host: str, port: int) -> str:
    """The address of a server bound to ``host`` and ``port``, as a browser on the same
    machine writes it (bound to every address: the loopback one)."""
    shown = "127.0.0.1" if host in _ANY_ADDRESS else host
    try:
        if ipaddress.ip_address(shown).version == 6:
            shown = f"[{shown}]"
    except ValueError:
        pass  # a host name
    return f"http://{shown}:{port}"


def follow_served_address(host: str, port: int) -> tuple[str, bool]:
    """The public address, and whether it was set: when ``DOCSVC_PUBLIC_URL`` is not, it
    is made the served address, in this process's environment, which the server's worker
    processes inherit."""
    configured = os.environ.get(PUBLIC_URL_VARIABLE, "").strip()
    if configured:
        return configured, True
    url = served_url(host, port)
    os.environ[PUBLIC_URL_VARIABLE] = url
    return url, False


def answers(url: str, timeout: float = 3.0) -> str | None:
    """None when the service answers its health check at ``url``, else why not."""
    target = url.rstrip("/") + "/healthz"
    if not target.startswith(("http://", "https://")):
        return f"{url} is not an http(s) address"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:  # noqa: S310 - http(s) only, checked above
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return f"{target} answered {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"nothing answers at {target} ({reason})"
    return None if status == 200 else f"{target} answered {status}"


def unreachable_elsewhere(url: str) -> str | None:
    """Why ``url`` does not answer, for an address on another machine; None when it answers
    or is this machine's own (where nothing answers before ``docsvc serve`` starts)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass  # a host name: ask it
    return answers(url)


def check_when_up(
    served: str, public: str, warn: Callable[[str], None], *, wait_seconds: float = 60
) -> threading.Thread:
    """Once the server answers at ``served``, check that ``public`` answers too, and
    ``warn`` if it does not. Runs beside the server, in a daemon thread."""

    def check() -> None:
        deadline = time.monotonic() + wait_seconds
        while answers(served, timeout=1) is not None:
            if time.monotonic() > deadline:
                return  # the server itself did not come up: it says why
            time.sleep(0.5)
        problem = answers(public)
        if problem is not None:
            warn(
                f"warning: the public address {public} does not answer: {problem}. QR codes, "
                "download links, sealed reports and register checkpoints point there. Set "
                f"{PUBLIC_URL_VARIABLE} to the address people reach this service at."
            )

    thread = threading.Thread(target=check, name="public-address-check", daemon=True)
    thread.start()
    return thread
