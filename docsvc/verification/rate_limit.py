"""Throttles for the public verification routes, which anyone can call without an account.

Two, both per client address and both kept in each process's memory, on purpose: what they
protect is this process's own request threads and verifier workers, so the process is the
right unit (with several processes or hosts, each protects its own workers). Behind a
proxy, run ``docsvc serve --proxy-headers`` so that the address is the client's.

- Requests per minute (``public_requests_per_minute``): a sliding window, the limiter
  ``docsvc.throttles.RateLimiter`` shared with the PKI and login routes.
- A fair share of the verifier (``docsvc.throttles.VerificationBudget``): counting requests
  is not enough, since one request with a hostile file (thousands of empty revisions) keeps
  a worker busy for the whole time limit. Each client may use
  ``public_verify_seconds_per_minute`` worker seconds in any 60 seconds and have
  ``public_verifications_in_flight`` verifications running at once; beyond either it gets a
  429 ``verification_budget`` with Retry-After, and the workers stay free for everyone else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from fastapi import Request

from docsvc.throttles import WorkerTime, client_address, throttles


def limit_public_requests(request: Request) -> None:
    """A route dependency: count this request against its client's window."""
    throttles(request).public_requests.check(client_address(request))


async def count_public_request(request: Request) -> None:
    """``limit_public_requests`` as a route dependency that runs on the event loop (a lock
    held for a few dictionary operations), not on a thread of its own."""
    limit_public_requests(request)


@contextlib.contextmanager
def public_verification(request: Request) -> Iterator[WorkerTime]:
    """Hold one of the client's verifications in flight (429 ``verification_budget`` if it
    is over its share) and charge it the worker time it used (``WorkerTime``, to pass to the
    verification) when it ends, whatever the outcome."""
    budget = throttles(request).verification
    client = client_address(request)
    admitted = budget.admit(client)
    used = WorkerTime()
    try:
        yield used
    finally:
        used.stop()  # a worker abandoned mid-job still counts up to now
        budget.settle(client, admitted, used.seconds)
