"""How long a failed job waits before its next attempt."""

from __future__ import annotations

from datetime import timedelta

# However many attempts failed, a retry is never put off further than this: a job whose
# cause of failure is mended (a server back up) should not wait half a day for it.
MAX_DELAY = timedelta(hours=1)


def retry_delay(attempt: int, base: timedelta, cap: timedelta = MAX_DELAY) -> timedelta:
    """The wait after the ``attempt``-th failed attempt (1 for the first): ``base``, then
    twice as long after each further failure, at most ``cap``. Exponential, so that a
    dependency that is down is not hammered by every job that needs it."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    # 2**attempt grows without bound; past 2**30 times any base the cap has long won.
    delay: timedelta = base * 2 ** min(attempt - 1, 30)
    return min(delay, cap)
